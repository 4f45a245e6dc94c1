import Foundation
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Replication
import SamsaConfig

/// A running Samsa broker: the listener, the partitions, the control plane and the periodic work
/// (ISR checks, HW checkpoints, retention, flushes; run on the storage threads, off the event loops).
/// `start` returns once the broker serves requests; `shutdown` is the clean path taken on SIGTERM:
/// stop accepting, checkpoint and close every log.
public final class Broker: Sendable {
    public let config: BrokerConfig
    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    let services: BrokerServices
    private let server: NIOLockedValueBox<KafkaServer?> = NIOLockedValueBox(nil)
    private let metricsServer: NIOLockedValueBox<MetricsServer?> = NIOLockedValueBox(nil)
    private let timers = NIOLockedValueBox<[RepeatedTask]>([])
    private let markerChannel: TransactionMarkerChannel

    /// Refuses a configuration with seeded bugs unless `environment` allows them (see
    /// `seededBugsEnvironmentVariable`).
    public init(config: BrokerConfig, logger: Logger, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        if let refusal = config.seededBugsRefusal(environment: environment) { throw BrokerStartupError(refusal) }
        self.config = config
        self.logger = logger
        try FileManager.default.createDirectory(atPath: config.logDir, withIntermediateDirectories: true)
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(2, System.coreCount))
        let events = try EventLog(path: config.eventLogPath, brokerId: config.brokerId)
        let metrics = BrokerMetrics()
        let metadata = MetadataCache(ClusterMetadata(clusterId: ""))
        let replicaManager = try ReplicaManager(config: config, logger: logger, events: events, metrics: metrics,
                                                storage: .forProcess(threadCount: config.ioThreads))
        let controlPlane: any ControlPlane
        var cluster: ClusterRuntime?
        if config.zookeeperConnect != nil {
            guard config.advertisedListener.port != 0 else {
                throw BrokerStartupError("a broker in a ZooKeeper-mode cluster needs a fixed listener port (listeners or advertised.listeners)")
            }
            let runtime = ClusterRuntime(config: config, advertised: config.advertisedListener, replicaManager: replicaManager,
                                         metadata: metadata, events: events, metrics: metrics, logger: logger, group: group)
            controlPlane = ZooKeeperControlPlane(session: runtime.session, metadata: metadata, brokerId: config.brokerId,
                                                 limits: config.partitionLimits, logger: logger)
            cluster = runtime
        } else {
            controlPlane = try LocalControlPlane(config: config, replicaManager: replicaManager, metadata: metadata, logger: logger)
        }
        let groups = GroupCoordinator(config: config, replicaManager: replicaManager, loop: group.next(), logger: logger)
        let markerWriter = TransactionMarkerWriter(replicaManager: replicaManager, groups: groups, loop: group.next(),
                                                   replicationTimeoutMs: config.offsetsCommitTimeoutMs)
        let markerChannel = TransactionMarkerChannel(brokerId: config.brokerId, writer: markerWriter, metadata: metadata,
                                                     replicaManager: replicaManager, peers: config.peerAddresses, group: group,
                                                     requestTimeoutMs: config.offsetsCommitTimeoutMs + 5000, logger: logger)
        let configuredStatePartitions = config.transactionStateLogNumPartitions
        let transactions = TransactionCoordinator(
            replicaManager: replicaManager, markers: markerChannel, loop: group.next(), replicationTimeoutMs: config.offsetsCommitTimeoutMs,
            logger: logger, partitionCount: { TransactionStateTopic.partitionCount(in: metadata.snapshot) ?? configuredStatePartitions },
            allocateProducerId: { [controlPlane] in try await controlPlane.allocateProducerId() })
        self.markerChannel = markerChannel
        replicaManager.setLeadershipListener { tp, leading in
            if tp.topic == TransactionStateTopic.name {
                Task {
                    if leading { await transactions.becameLeader(of: tp.partition) } else { await transactions.resigned(from: tp.partition) }
                }
            }
            guard tp.topic == OffsetsTopic.name else { return }
            if leading { groups.becameLeader(of: tp.partition) } else { groups.resigned(from: tp.partition) }
        }
        services = BrokerServices(config: config, metadata: metadata, replicaManager: replicaManager, controlPlane: controlPlane,
                                  metrics: metrics, events: events, logger: logger, cluster: cluster, groups: groups,
                                  transactions: transactions, markerWriter: markerWriter)
    }

    /// The port the broker listens on (useful when `listeners` asked for port 0).
    public var boundPort: Int? { server.withLockedValue { $0?.localPort } }

    public func start() async throws {
        for key in config.ignoredKeys { logger.warning("property \(key) is accepted for compatibility and has no effect in Samsa") }
        services.events.record("started", ["listener": config.listener.description])
        let bugs = config.seededBugs.sorted().map(\.rawValue)
        if !bugs.isEmpty {
            logger.warning("SEEDED BUGS ON (test only): \(bugs.joined(separator: ", ")); this broker deliberately breaks replication rules")
            services.events.record("seeded_bugs", ["bugs": bugs])
        }
        let router = RequestRouter(broker: services, logger: logger)
        let listener = config.listener
        let kafkaServer: KafkaServer
        do {
            kafkaServer = try await KafkaServer.start(host: listener.host, port: listener.port, group: group,
                                                      maxFrameBytes: config.socketRequestMaxBytes, router: router, logger: logger)
        } catch {
            throw BrokerStartupError("cannot listen on \(listener): \(error)")
        }
        server.withLockedValue { $0 = kafkaServer }
        var advertised = config.advertisedListener
        if advertised.port == 0 { advertised.port = kafkaServer.localPort }
        if let control = services.controlPlane as? LocalControlPlane { control.start(advertised: advertised) }
        // A standalone broker has loaded every log and published its topics by now; a broker in a
        // cluster must accept before joining, as the controller's requests come through this listener.
        do { try await kafkaServer.startAccepting() } catch {
            throw BrokerStartupError("cannot accept connections on \(listener): \(error)")
        }
        if let cluster = services.cluster {
            do { try await cluster.start() } catch {
                throw BrokerStartupError("cannot join the cluster through ZooKeeper at \(config.zookeeperConnect ?? ""): \(error)")
            }
        }
        if let port = config.metricsPort {
            let metrics = try await MetricsServer.start(host: listener.host, port: port, group: group, services: services)
            metricsServer.withLockedValue { $0 = metrics }
        }
        services.groups.start()
        scheduleBackgroundWork()
        logger.info("broker \(config.brokerId) listening on \(listener.host):\(kafkaServer.localPort), log dir \(config.logDir)")
    }

    private func scheduleBackgroundWork() {
        let loop = group.next()
        let manager = services.replicaManager
        // The work runs on the storage threads (flushes and checkpoints fsync); the next run is
        // scheduled only once the previous one finished, so runs never overlap.
        func every(_ ms: Int64, _ body: @escaping @Sendable () -> Void) -> RepeatedTask {
            loop.scheduleRepeatedAsyncTask(initialDelay: .milliseconds(ms), delay: .milliseconds(ms)) { _ in
                manager.storage.run(on: loop, body)
            }
        }
        var tasks = [
            every(max(10, config.replicaLagTimeMaxMs / 2)) { manager.tick() },
            every(config.highWatermarkCheckpointIntervalMs) { manager.checkpointHighWatermarks() },
            every(config.retentionCheckIntervalMs) { manager.applyRetention() },
            every(config.flushSchedulerIntervalMs) { manager.flushDue() },
        ]
        // Transaction timeouts and unfinished markers, checked each second (Kafka: every 10 s).
        let transactions = services.transactions
        tasks.append(loop.scheduleRepeatedAsyncTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in
            let promise = loop.makePromise(of: Void.self)
            promise.completeWithTask { await transactions.tick() }
            return promise.futureResult
        })
        timers.withLockedValue { $0 = tasks }
    }

    /// Clean shutdown: stop serving, checkpoint HWs, flush and close every log.
    public func shutdown() async {
        logger.info("broker \(config.brokerId) shutting down")
        if let cluster = services.cluster { await cluster.controlledShutdown() }
        for task in timers.withLockedValue({ $0 }) { task.cancel() }
        services.groups.stop()
        await markerChannel.close()
        if let server = server.withLockedValue({ $0 }) { await server.close() }
        services.cluster?.shutdown()
        if let metrics = metricsServer.withLockedValue({ $0 }) { await metrics.close() }
        services.replicaManager.shutdown()
        services.events.record("stopped", ["clean": true])
        services.events.close()
        try? await group.shutdownGracefully()
    }
}
