import FaultModel
import Foundation
import KafkaClient
import Logging
import NIOCore
import NIOPosix
import Verification

/// A running lab: the cluster with its proxy network, the fault engine, the observers writing
/// `timeline.jsonl`, and the control socket through which `samsa fault`, `samsa cluster status`, the
/// shell and scripts drive it.
public final class LabSession: Sendable {
    public struct Options: Sendable {
        public var observerIntervalMs: Int64 = 200
        public var lagIntervalMs: Int64 = 1000
        /// Seed of the `random` target (reproducible runs).
        public var seed: UInt64 = 1
        public var controlSocket = true
        public init() {}
    }

    public let cluster: LocalCluster
    public let faults: FaultEngine
    public let observer: Observer
    public let timeline: TimelineLog
    public let client: KafkaCluster
    /// Fresh reads of the cluster's state for conditions (`await`, playbook `when:`).
    public let conditions: ConditionProbe
    let group: MultiThreadedEventLoopGroup
    let control: ControlServer?
    let logger: Logger

    private init(cluster: LocalCluster, faults: FaultEngine, observer: Observer, timeline: TimelineLog, client: KafkaCluster,
                 conditions: ConditionProbe, group: MultiThreadedEventLoopGroup, control: ControlServer?, logger: Logger) {
        self.cluster = cluster
        self.conditions = conditions
        self.faults = faults
        self.observer = observer
        self.timeline = timeline
        self.client = client
        self.group = group
        self.control = control
        self.logger = logger
    }

    /// Starts ZooKeeper, the proxies and the brokers, then the observers and the control socket.
    /// On failure everything started is stopped again.
    public static func start(spec: LocalCluster.Spec, options: Options = Options(), logger: Logger,
                             onShutdownRequest: @escaping @Sendable () -> Void = {},
                             onDetachRequest: @escaping @Sendable () -> Void = {}) async throws -> LabSession {
        let cluster = LocalCluster(spec: spec, logger: logger)
        do {
            try await cluster.start()
        } catch {
            await cluster.stop(graceMs: 2000)
            throw error
        }
        let timeline = try TimelineLog(path: cluster.run.path + "/timeline.jsonl")
        cluster.setTimeline(timeline)
        for broker in cluster.brokers { cluster.recordProcess(broker.id, .started, pid: broker.pid) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var clientOptions = KafkaCluster.Options()
        clientOptions.clientId = "samsa-lab"
        clientOptions.connectTimeoutMs = 1000
        clientOptions.requestTimeoutMs = 2000
        clientOptions.addressOverrides = Dictionary(uniqueKeysWithValues: cluster.brokerIds.map {
            (cluster.nodeId($0), (host: "127.0.0.1", port: cluster.internalPort($0)))
        })
        let direct = cluster.brokerIds.map { "127.0.0.1:\(cluster.internalPort($0))" }.joined(separator: ",")
        let client = try KafkaCluster(bootstrap: direct, options: clientOptions, group: group)
        let conditions = ConditionProbe(cluster: cluster, logger: logger)
        let resolver = TargetResolver(cluster: client, brokerIds: cluster.brokerIds, seed: options.seed,
                                      partitionState: { topic, partition in try await conditions.state(topic: topic, partition: partition) },
                                      brokerOfNode: { cluster.brokerId(ofNode: $0) }) {
            Set(cluster.brokers.filter { $0.state == .running }.map(\.id))
        }
        let faults = FaultEngine(cluster: cluster, resolver: resolver, timeline: timeline, logger: logger)
        let observer = Observer(cluster: cluster, client: client, timeline: timeline, intervalMs: options.observerIntervalMs,
                                lagIntervalMs: options.lagIntervalMs, logger: logger)
        observer.start()
        var control: ControlServer?
        let holder = SessionHolder()
        if options.controlSocket {
            control = try await ControlServer.start(path: cluster.run.path + "/control.sock", group: group, logger: logger) { request in
                guard let session = holder.session else { return .failure("the lab is starting") }
                switch request {
                case .shutdown:
                    onShutdownRequest()
                    return ControlResponse(ok: true, message: "stopping the lab", error: nil, fault: nil, ended: nil, status: nil)
                case .detach:
                    onDetachRequest()
                    return ControlResponse(ok: true, message: "the lab no longer stops with the process that started it",
                                           error: nil, fault: nil, ended: nil, status: nil)
                case .fault, .status:
                    break
                }
                return await session.handle(request)
            }
        }
        let session = LabSession(cluster: cluster, faults: faults, observer: observer, timeline: timeline, client: client,
                                 conditions: conditions, group: group,
                                 control: control, logger: logger)
        holder.session = session
        do {
            try session.readiness.write()
        } catch {
            await session.stop()
            throw LocalCluster.Failure(description: "cannot write \(LabReadiness.fileName) in \(cluster.run.path): \(error)")
        }
        return session
    }

    /// Answers a control request from the socket. Shutdown and detach belong to whoever started
    /// the lab, so only the socket's handler answers them.
    public func handle(_ request: ControlRequest) async -> ControlResponse {
        switch request {
        case .fault(let command):
            return await apply(command)
        case .status:
            return ControlResponse(ok: true, message: nil, error: nil, fault: nil, ended: nil, status: await status())
        case .shutdown, .detach:
            return .failure("\(request.op) is answered by the lab's control socket, not in-process")
        }
    }

    /// Applies a fault, waits for an `await`'s condition or sends an admin request (the socket's
    /// `fault` op, and the playbook runner in-process). The command arrives parsed, from where it
    /// was typed.
    public func apply(_ command: FaultCommand) async -> ControlResponse {
        if case .awaitCondition(let condition, let timeoutMs) = command { return await awaitCondition(condition, timeoutMs: timeoutMs) }
        if command.isAdminRequest { return await AdminRequests.send(command, client: client, timeline: timeline, logger: logger) }
        do {
            let outcome = try await faults.apply(command)
            return ControlResponse(ok: true, message: outcome.message, error: nil, fault: outcome.fault, ended: outcome.ended, status: nil)
        } catch {
            return .failure("\(error)")
        }
    }

    /// `await`: ok when the condition held within the timeout, a failure naming what was seen when
    /// it did not. Either way the wait is on the timeline (`kind: "await"`).
    func awaitCondition(_ condition: Condition, timeoutMs: Int) async -> ControlResponse {
        timeline.append(.awaitCondition(AwaitRecord(condition: condition.description, event: .wait, timeoutMs: Int64(timeoutMs))))
        let outcome = await conditions.wait(for: condition, timeoutMs: timeoutMs)
        timeline.append(.awaitCondition(AwaitRecord(condition: condition.description, event: outcome.held ? .held : .timeout,
                                                    waitedMs: Int64(outcome.waitedMs), observed: outcome.sample.observed,
                                                    value: outcome.sample.value)))
        var response = outcome.held ? ControlResponse(ok: true, message: outcome.summary, error: nil, fault: nil, ended: nil, status: nil)
                                    : ControlResponse.failure(outcome.summary)
        response.condition = outcome
        return response
    }

    public func status() async -> LabStatus {
        var processes: [LabStatus.Process] = []
        if let pid = cluster.zookeeperPid { processes.append(.init(name: "zookeeper", pid: pid, state: "running")) }
        for broker in cluster.brokers {
            processes.append(.init(name: "broker-\(broker.id)", pid: broker.pid, state: broker.state.rawValue, clientPort: broker.clientPort,
                                   internalPort: cluster.internalPort(broker.id), metricsPort: cluster.metricsEndpoint(broker.id)?.port))
        }
        var links: [LabStatus.Link] = []
        for link in await cluster.network.links.sorted(by: { $0.description < $1.description }) {
            if let condition = try? await cluster.network.condition(of: link), condition != .connected {
                links.append(.init(link: link.description, condition: condition.description))
            }
        }
        return LabStatus(directory: cluster.run.path, bootstrap: cluster.bootstrap, processes: processes, faults: await faults.active,
                         links: links, snapshot: observer.snapshot)
    }

    /// Heals every fault, stops the observers, the brokers, ZooKeeper and the proxies.
    public func stop() async {
        // A stopping lab is no longer ready: no launcher or `attach` may take it for one.
        try? FileManager.default.removeItem(atPath: cluster.run.path + "/" + LabReadiness.fileName)
        _ = try? await faults.apply(.heal(faultId: nil))
        await control?.close()
        await observer.stop()
        conditions.close()
        await cluster.stop()
        timeline.close()
        await client.close()
        try? await group.shutdownGracefully()
    }
}

/// Lets the control handler reach the session once it exists. Written once, before any request is
/// served; `@unchecked Sendable` rests on that single write happening before reads (a lock guards it).
private final class SessionHolder: @unchecked Sendable {
    private let lock = NSLock()
    private var value: LabSession?
    var session: LabSession? {
        get { lock.lock(); defer { lock.unlock() }; return value }
        set { lock.lock(); value = newValue; lock.unlock() }
    }
}
