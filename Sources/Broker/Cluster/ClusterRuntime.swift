import Coordination
import Foundation
import KafkaClient
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SamsaConfig

/// A broker's part in a ZooKeeper-mode cluster: its ZooKeeper session and registration, the
/// controller it may become, the replica fetchers of the partitions it follows, and the handlers of
/// the controller's requests (LeaderAndIsr, UpdateMetadata, StopReplica, ControlledShutdown).
final class ClusterRuntime: Sendable {
    let config: BrokerConfig
    let session: ZkSession
    let agent: ZkClusterAgent
    let controller: Controller
    let fetchers: ReplicaFetcherManager
    let replicaManager: ReplicaManager
    let metadata: MetadataCache
    let events: EventLog
    let logger: Logger
    let group: EventLoopGroup
    /// The highest controller epoch seen: requests from older controllers are refused (STALE_CONTROLLER_EPOCH).
    private let controllerEpochSeen = NIOLockedValueBox<Int32>(0)
    /// Held while a LeaderAndIsr or StopReplica is applied, as Kafka's replicaStateChangeLock: the
    /// controller's requests arrive on more than one connection (a reconnect after a timeout, a new
    /// controller), and each must see the state the one before left, from the epoch check to the
    /// fetchers it starts, or an older decision could land after a newer one.
    private let stateChangeLock = NIOLock()
    private let rebalanceTask = NIOLockedValueBox<RepeatedTask?>(nil)
    /// Client requests wait for the controller's first UpdateMetadata (see `whenServing`).
    private let serving: NIOLockedValueBox<(ready: Bool, deadline: NIODeadline, waiters: [EventLoopPromise<Void>])>
    /// How long client requests may wait for the first UpdateMetadata after the broker joined.
    static let firstMetadataWaitMs: Int64 = 5000

    init(config: BrokerConfig, advertised: HostPort, replicaManager: ReplicaManager, metadata: MetadataCache, events: EventLog,
         metrics: BrokerMetrics, logger: Logger, group: EventLoopGroup) {
        self.config = config
        self.replicaManager = replicaManager
        self.metadata = metadata
        self.events = events
        self.logger = logger
        self.group = group
        // Until `start` sets the real deadline: its ZooKeeper connection may take this long.
        serving = NIOLockedValueBox((false, .now() + .milliseconds(Int64(config.zookeeperConnectionTimeoutMs) + Self.firstMetadataWaitMs), []))
        session = ZkSession(connectString: config.zookeeperConnect!, sessionTimeoutMs: config.zookeeperSessionTimeoutMs,
                            connectTimeoutMs: config.zookeeperConnectionTimeoutMs, logger: logger)
        let channel = ControllerChannelManager(controllerId: config.brokerId, peers: config.peerAddresses, group: group,
                                               timeoutMs: config.controllerSocketTimeoutMs, logger: logger)
        controller = Controller(brokerId: config.brokerId, config: config, channel: channel, logger: logger, events: events, metrics: metrics)
        agent = ZkClusterAgent(brokerId: config.brokerId, advertised: advertised, session: session, controller: controller, metadata: metadata,
                               logger: logger) { [metadata, replicaManager] configs in
            let known = metadata.snapshot.topicConfigs
            let changed = configs.filter { known[$0.key] != $0.value }
            guard !changed.isEmpty else { return }
            metadata.update { cluster in for (topic, config) in changed { cluster.topicConfigs[topic] = config } }
            for (topic, config) in changed { replicaManager.updateTopicConfig(topic, overrides: config) }
        }
        fetchers = ReplicaFetcherManager(brokerId: config.brokerId, config: config, replicaManager: replicaManager, events: events,
                                         logger: logger, group: group)
        replicaManager.setIsrWriter(ZkIsrWriter(session: session))
    }

    func start() async throws {
        let agent = self.agent
        session.setHandler { event in agent.handle(event) }
        serving.withLockedValue { $0.deadline = .now() + .milliseconds(Self.firstMetadataWaitMs) }
        try await session.start()
        let interval = config.leaderImbalanceCheckIntervalMs
        let task = group.next().scheduleRepeatedTask(initialDelay: .milliseconds(interval), delay: .milliseconds(interval)) { [self] _ in
            session.queue.async {
                do { try self.session.onQueue { zk in try self.controller.rebalanceLeaders(zk) } } catch {
                    self.logger.warning("leader rebalance failed: \(error)")
                }
            }
        }
        rebalanceTask.withLockedValue { $0 = task }
    }

    var controllerId: Int32 { agent.controllerId }

    // MARK: Serving clients

    /// Completes once the broker can answer clients with the cluster's view: when the controller's
    /// first UpdateMetadata arrived, or `firstMetadataWaitMs` after joining, whichever comes first.
    /// Kafka opens its request processing only at the end of startup; answering before the first
    /// UpdateMetadata would tell clients the cluster has no brokers, and librdkafka then drops its
    /// connections to every broker missing from that answer.
    func whenServing(on loop: any EventLoop) -> EventLoopFuture<Void> {
        let wait = serving.withLockedValue { state -> (EventLoopPromise<Void>, NIODeadline)? in
            guard !state.ready, NIODeadline.now() < state.deadline else { return nil }
            let promise = loop.makePromise(of: Void.self)
            state.waiters.append(promise)
            return (promise, state.deadline)
        }
        guard let (promise, deadline) = wait else { return loop.makeSucceededVoidFuture() }
        loop.scheduleTask(deadline: deadline) { [self] in openToClients(metadataArrived: false) }
        return promise.futureResult
    }

    private func openToClients(metadataArrived: Bool) {
        let waiters = serving.withLockedValue { state -> [EventLoopPromise<Void>] in
            state.ready = state.ready || metadataArrived || NIODeadline.now() >= state.deadline
            guard state.ready else { return [] }
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.succeed(()) }
    }

    // MARK: Controller requests

    private func acceptControllerEpoch(_ epoch: Int32) -> Bool {
        controllerEpochSeen.withLockedValue { seen in
            guard epoch >= seen else { return false }
            seen = epoch
            return true
        }
    }

    func handleLeaderAndIsr(_ request: LeaderAndIsrRequest) async -> LeaderAndIsrResponse {
        let brokerId = config.brokerId
        let topics = request.topicStates.filter { topic in topic.partitionStates.contains { $0.replicas.contains(brokerId) } }
        let configs = await topicConfigs(for: Set(topics.map(\.topicName)))
        return stateChangeLock.withLock { applyLeaderAndIsr(request, topicConfigs: configs) }
    }

    /// The body of LeaderAndIsr; the caller holds `stateChangeLock`.
    private func applyLeaderAndIsr(_ request: LeaderAndIsrRequest, topicConfigs configs: [String: [String: String]]) -> LeaderAndIsrResponse {
        guard acceptControllerEpoch(request.controllerEpoch) else {
            return LeaderAndIsrResponse(PartitionErrorsResponse(errorCode: ErrorCode.staleControllerEpoch.rawValue, partitionErrors: []))
        }
        let brokerId = config.brokerId
        var errors: [PartitionErrorsResponse.PartitionError] = []
        var decisions: [PartitionLeadership] = []
        for topic in request.topicStates {
            for state in topic.partitionStates where state.replicas.contains(brokerId) {
                let tp = TopicPartition(topic.topicName, state.partitionIndex)
                if let current = replicaManager.partition(tp)?.replicaState, state.leaderEpoch < current.leaderEpoch {
                    errors.append(.init(topicName: tp.topic, partitionIndex: tp.partition, errorCode: ErrorCode.staleControllerEpoch.rawValue))
                    continue
                }
                decisions.append(PartitionLeadership(topicPartition: tp, leader: state.leader, leaderEpoch: state.leaderEpoch, isr: state.isr,
                                                     replicas: state.replicas, controllerEpoch: state.controllerEpoch, stateVersion: state.zkVersion))
                errors.append(.init(topicName: tp.topic, partitionIndex: tp.partition, errorCode: 0))
            }
        }
        let followers = replicaManager.applyLeadership(decisions, topicConfigs: configs)
        let leaders = Dictionary(request.liveLeaders.map { ($0.brokerId, $0) }, uniquingKeysWith: { a, _ in a })
        for decision in decisions where decision.leader == brokerId || decision.leader < 0 {
            fetchers.unfollow(decision.topicPartition)
        }
        for follower in followers {
            let registered = leaders[follower.leader].map { HostPort(host: $0.hostName, port: Int($0.port)) }
                ?? metadata.snapshot.brokers[follower.leader].map { HostPort(host: $0.host, port: Int($0.port)) }
            guard let address = config.peerAddresses[follower.leader] ?? registered else {
                logger.warning("no address for leader \(follower.leader) of \(follower.topicPartition)")
                continue
            }
            fetchers.follow(follower.topicPartition, leaderEpoch: follower.leaderEpoch,
                            source: FetchSource(brokerId: follower.leader, host: address.host, port: address.port))
        }
        return LeaderAndIsrResponse(PartitionErrorsResponse(errorCode: 0, partitionErrors: errors))
    }

    /// Topic-level overrides from `/config/topics/T`, cached in the metadata once read.
    private func topicConfigs(for topics: Set<String>) async -> [String: [String: String]] {
        var known = metadata.snapshot.topicConfigs
        let missing = topics.filter { known[$0] == nil }
        guard !missing.isEmpty else { return known }
        let loaded: [String: [String: String]] = (try? await session.run { zk in
            var out: [String: [String: String]] = [:]
            for topic in missing {
                if let data = try? zk.get(ZkPaths.topicConfig(topic), watch: false).data,
                   let parsed = try? ZkJSON.decode(ZkTopicConfig.self, data, path: ZkPaths.topicConfig(topic)) {
                    out[topic] = parsed.config
                } else {
                    out[topic] = [:]
                }
            }
            return out
        }) ?? [:]
        metadata.update { cluster in for (topic, config) in loaded { cluster.topicConfigs[topic] = config } }
        for (topic, config) in loaded { known[topic] = config }
        return known
    }

    func handleUpdateMetadata(_ request: UpdateMetadataRequest) -> UpdateMetadataResponse {
        guard acceptControllerEpoch(request.controllerEpoch) else { return UpdateMetadataResponse(errorCode: ErrorCode.staleControllerEpoch.rawValue) }
        metadata.update { cluster in
            cluster.controllerId = request.controllerId
            cluster.controllerEpoch = request.controllerEpoch
            cluster.brokers = Dictionary(request.liveBrokers.compactMap { broker in
                broker.endpoints.first.map { (broker.id, BrokerEndpoint(id: broker.id, host: $0.host, port: $0.port, rack: broker.rack)) }
            }, uniquingKeysWith: { a, _ in a })
            for topic in request.topicStates {
                for state in topic.partitionStates {
                    let tp = TopicPartition(topic.topicName, state.partitionIndex)
                    if state.leader == UpdateMetadataRequest.leaderDuringDelete {
                        cluster.partitions[tp] = nil
                        if !cluster.hasTopic(tp.topic) { cluster.topicConfigs[tp.topic] = nil }
                    } else {
                        cluster.update(PartitionLeadership(topicPartition: tp, leader: state.leader, leaderEpoch: state.leaderEpoch,
                                                           isr: state.isr, replicas: state.replicas, controllerEpoch: state.controllerEpoch,
                                                           stateVersion: state.zkVersion))
                    }
                }
            }
        }
        openToClients(metadataArrived: true)
        return UpdateMetadataResponse(errorCode: 0)
    }

    func handleStopReplica(_ request: StopReplicaRequest) -> StopReplicaResponse {
        stateChangeLock.withLock { applyStopReplica(request) }
    }

    /// The body of StopReplica; the caller holds `stateChangeLock`.
    private func applyStopReplica(_ request: StopReplicaRequest) -> StopReplicaResponse {
        guard acceptControllerEpoch(request.controllerEpoch) else {
            return StopReplicaResponse(PartitionErrorsResponse(errorCode: ErrorCode.staleControllerEpoch.rawValue, partitionErrors: []))
        }
        var errors: [PartitionErrorsResponse.PartitionError] = []
        for topic in request.topics {
            for index in topic.partitionIndexes {
                let tp = TopicPartition(topic.name, index)
                fetchers.unfollow(tp)
                replicaManager.stopReplica(tp, delete: request.deletePartitions)
                errors.append(.init(topicName: tp.topic, partitionIndex: tp.partition, errorCode: 0))
            }
        }
        return StopReplicaResponse(PartitionErrorsResponse(errorCode: 0, partitionErrors: errors))
    }

    func handleControlledShutdown(_ request: ControlledShutdownRequest) async -> ControlledShutdownResponse {
        guard agent.isController else { return ControlledShutdownResponse(errorCode: ErrorCode.notController.rawValue, remainingPartitions: []) }
        let controller = self.controller
        do {
            let result = try await session.run { zk in try controller.controlledShutdown(zk, broker: request.brokerId) }
            // Answer once the new leaders have applied their LeaderAndIsr, so the stopping broker never
            // leaves its partitions without a serving leader (bounded: a paused new leader must not
            // hold the shutdown past the requester's own timeout).
            let bound = min(5000, config.controllerSocketTimeoutMs / 2)
            if !(await controller.channel.awaitDelivery(to: result.newLeaders, timeoutMs: bound)) {
                logger.warning("controlled shutdown of broker \(request.brokerId): new leaders \(result.newLeaders.sorted()) did not confirm within \(bound) ms")
            }
            return ControlledShutdownResponse(errorCode: 0, remainingPartitions: result.remaining.map { .init(topicName: $0.topic, partitionIndex: $0.partition) })
        } catch {
            logger.error("controlled shutdown of broker \(request.brokerId) failed: \(error)")
            return ControlledShutdownResponse(errorCode: ErrorCode.unknownServerError.rawValue, remainingPartitions: [])
        }
    }

    // MARK: Shutdown

    /// Asks the controller to move leadership off this broker before it stops (Kafka's controlled
    /// shutdown), retrying `controlled.shutdown.max.retries` times until no partition is left led here.
    func controlledShutdown() async {
        guard config.controlledShutdownEnable else { return }
        for attempt in 1...max(1, config.controlledShutdownMaxRetries) {
            let controllerId = agent.controllerId
            let cluster = metadata.snapshot
            let address = config.peerAddresses[controllerId]
                ?? cluster.brokers[controllerId].map { HostPort(host: $0.host, port: Int($0.port)) }
            guard controllerId >= 0, let address else {
                logger.warning("controlled shutdown: no controller known (attempt \(attempt))")
                try? await Task.sleep(for: .milliseconds(config.controlledShutdownRetryBackoffMs))
                continue
            }
            do {
                let connection = try await KafkaConnection.connect(host: address.host, port: address.port, group: group,
                                                                   clientId: "samsa-shutdown-\(config.brokerId)",
                                                                   connectTimeoutMs: 3000, requestTimeoutMs: config.controllerSocketTimeoutMs)
                defer { connection.close() }
                let response: ControlledShutdownResponse = try await connection.send(ControlledShutdownRequest(brokerId: config.brokerId),
                                                                                     version: ControlledShutdownRequest.version,
                                                                                     timeoutMs: config.controllerSocketTimeoutMs)
                if response.errorCode == 0 && response.remainingPartitions.isEmpty {
                    logger.info("controlled shutdown: leadership moved off broker \(config.brokerId)")
                    return
                }
                logger.warning("controlled shutdown attempt \(attempt): error \(ErrorCode.describe(response.errorCode)), \(response.remainingPartitions.count) partition(s) remain")
            } catch {
                logger.warning("controlled shutdown attempt \(attempt) failed: \(error)")
            }
            try? await Task.sleep(for: .milliseconds(config.controlledShutdownRetryBackoffMs))
        }
        logger.warning("controlled shutdown did not complete; stopping anyway")
    }

    func shutdown() {
        rebalanceTask.withLockedValue { $0?.cancel() }
        fetchers.shutdown()
        controller.channel.removeAll()
        session.close()
    }
}
