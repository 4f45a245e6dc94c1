import Foundation
import Lab

/// How `samsa run` and `samsa suite` ask a running `PlaybookRunner` to stop early. `stop(_:)`
/// (the first SIGINT or SIGTERM) ends the workload, stops the cluster, then checks what was
/// recorded and writes the reports marked interrupted. `abort()` (a second signal) also SIGKILLs
/// the cluster and the workload processes at once instead of waiting for controlled shutdowns;
/// the reports are still written from what is on disk.
///
/// Owner: any thread; `lock` guards every field. The runner registers the lab's processes here as
/// it starts them, so an abort reaches them whichever phase the run is in.
public final class RunStopRequest: @unchecked Sendable {
    private let lock = NSLock()
    private var signalName: String?
    private var aborted = false
    private var cluster: LocalCluster?
    private var workloads: Workloads?

    public init() {}

    /// The signal that asked the run to stop, once one has.
    public var signal: String? { lock.withLock { signalName } }

    public var isAborted: Bool { lock.withLock { aborted } }

    /// Asks the run to stop at its next check (every phase checks; the workload loop every 100 ms).
    public func stop(_ signal: String) {
        lock.withLock { if signalName == nil { signalName = signal } }
    }

    /// Stops the run and kills its processes now.
    public func abort(_ signal: String) {
        let (cluster, workloads) = lock.withLock { () -> (LocalCluster?, Workloads?) in
            if signalName == nil { signalName = signal }
            aborted = true
            return (self.cluster, self.workloads)
        }
        workloads?.killAll()
        cluster?.killAll()
    }

    func register(cluster: LocalCluster) {
        let abortNow = lock.withLock { () -> Bool in
            self.cluster = cluster
            return aborted
        }
        if abortNow { cluster.killAll() }
    }

    func register(workloads: Workloads) {
        let abortNow = lock.withLock { () -> Bool in
            self.workloads = workloads
            return aborted
        }
        if abortNow { workloads.killAll() }
    }
}
