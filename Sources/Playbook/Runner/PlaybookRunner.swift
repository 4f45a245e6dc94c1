import Foundation
import KafkaClient
import Lab
import Logging
import Verification

/// Runs a `RunPlan` against a real lab: starts the cluster, then runs the phases every run shares
/// (`RunPhases`: topics, workload, schedule, heal, settle, final read) and stops the cluster before
/// checking the history and timeline. Every phase is bounded; a stop request (the first Ctrl-C)
/// ends the run early with reports that say it was interrupted.
public final class PlaybookRunner: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    let plan: RunPlan
    let directory: String
    let samsaBinary: String
    let logger: Logger
    let progress: ProgressReporter
    let stopRequest: RunStopRequest
    /// Client port of broker 1 (`--base-port`); nil picks a free range.
    let basePort: Int?

    public init(plan: RunPlan, directory: String, samsaBinary: String, logger: Logger, progress: ProgressReporter,
                stopRequest: RunStopRequest = RunStopRequest(), basePort: Int? = nil) {
        self.stopRequest = stopRequest
        self.basePort = basePort
        self.plan = plan
        self.directory = directory
        self.samsaBinary = samsaBinary
        self.logger = logger
        self.progress = progress
    }

    public func run() async throws -> RunOutcome {
        let basePort = try self.basePort ?? LocalCluster.freeBasePort(brokers: plan.brokers)
        var spec = LocalCluster.Spec(brokers: plan.brokers, basePort: basePort, directory: directory,
                                     brokerProperties: plan.brokerConfig.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, samsaBinary: samsaBinary)
        spec.readyTimeoutMs = 60_000
        if let launcher = plan.launcher { spec.launcher = launcher }
        if plan.usesPowerLoss { spec.durabilityLibrary = try DurabilityTracking.locateLibrary(samsaBinary: samsaBinary) }
        spec.brokerEnvironment = plan.brokerEnvironment ?? [:]
        var options = LabSession.Options()
        options.seed = plan.seed
        let launcher = spec.launcher
        progress.phase("starting \(plan.brokers) broker(s)\(launcher.name == "samsa" ? "" : " (\(launcher.name))")\(launcher.zookeeper ? " and ZooKeeper" : "") in \(directory)")
        let session = try await LabSession.start(spec: spec, options: options, logger: logger)
        stopRequest.register(cluster: session.cluster)
        return try await RunPhases(plan: plan, directory: directory, logger: logger, progress: progress, stopRequest: stopRequest, target: session).run()
    }
}

extension LabSession: RunTarget {
    var workloadBootstrap: String { cluster.bootstrap }

    var words: RunWords {
        RunWords(firstPhase: "starting the cluster", place: "", topicFailureNote: "", endPhase: "stopping the cluster",
                 interruptedPhase: "stopping the workload and the cluster")
    }

    func settled(topics: [String]) async { await recordLeadershipCensus(topics: topics) }

    /// Stops the cluster; `stop()` heals every fault first and reports no problem of its own.
    func end() async -> String? {
        await stop()
        return nil
    }
}
