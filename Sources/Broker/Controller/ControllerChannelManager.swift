import KafkaClient
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import SamsaConfig

/// Delivers controller requests over the network, one ordered queue per broker (Kafka's
/// `ControllerChannelManager` with its request-send threads). A request is retried, with a bounded
/// backoff, until the broker answers or leaves the cluster; requests to a broker are never reordered.
/// Brokers are reached at their peer address when `samsa.peer.addresses` names one (the lab's proxies).
final class ControllerChannelManager: ControllerChannel {
    private final class BrokerQueue: Sendable {
        let endpoint: BrokerEndpoint
        let address: (host: String, port: Int)
        private let state = NIOLockedValueBox<(queue: [ControllerRequest], running: Bool, removed: Bool, enqueued: Int, finished: Int)>(([], false, false, 0, 0))

        init(endpoint: BrokerEndpoint, address: (host: String, port: Int)) {
            self.endpoint = endpoint
            self.address = address
        }

        func enqueue(_ request: ControllerRequest) -> Bool {
            state.withLockedValue { state in
                guard !state.removed else { return false }
                state.queue.append(request)
                state.enqueued += 1
                if state.running { return false }
                state.running = true
                return true
            }
        }

        func next() -> ControllerRequest? {
            state.withLockedValue { state in
                guard !state.removed, !state.queue.isEmpty else {
                    state.running = false
                    return nil
                }
                return state.queue.removeFirst()
            }
        }

        /// A request left the queue's hands: answered, dropped as stale, or abandoned with the broker.
        func finished() { state.withLockedValue { $0.finished += 1 } }

        /// How many requests were handed to this queue so far.
        var enqueued: Int { state.withLockedValue { $0.enqueued } }

        /// Whether every request up to the `count`-th one has been answered (or the queue was dropped).
        func settled(upTo count: Int) -> Bool { state.withLockedValue { $0.removed || $0.finished >= count } }

        var removed: Bool { state.withLockedValue { $0.removed } }
        func remove() { state.withLockedValue { $0.removed = true; $0.queue = [] } }
    }

    private let queues = NIOLockedValueBox<[Int32: BrokerQueue]>([:])
    let peers: [Int32: HostPort]
    let group: EventLoopGroup
    let logger: Logger
    let timeoutMs: Int64
    let controllerId: Int32

    init(controllerId: Int32, peers: [Int32: HostPort], group: EventLoopGroup, timeoutMs: Int64, logger: Logger) {
        self.controllerId = controllerId
        self.peers = peers
        self.group = group
        self.timeoutMs = timeoutMs
        self.logger = logger
    }

    func send(_ request: ControllerRequest, to broker: BrokerEndpoint) {
        let queue = queues.withLockedValue { queues -> BrokerQueue in
            if let existing = queues[broker.id], existing.endpoint == broker, !existing.removed { return existing }
            queues[broker.id]?.remove()
            let address = peers[broker.id].map { (host: $0.host, port: $0.port) } ?? (host: broker.host, port: Int(broker.port))
            let fresh = BrokerQueue(endpoint: broker, address: address)
            queues[broker.id] = fresh
            return fresh
        }
        if queue.enqueue(request) {
            Task { await self.drain(queue) }
        }
    }

    func awaitDelivery(to brokers: Set<Int32>, timeoutMs: Int64) async -> Bool {
        let marks = queues.withLockedValue { queues in queues.filter { brokers.contains($0.key) }.values.map { ($0, $0.enqueued) } }
        let deadline = ContinuousClock.now + .milliseconds(timeoutMs)
        while !marks.allSatisfy({ queue, mark in queue.settled(upTo: mark) }) {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(5))
        }
        return true
    }

    func removeBroker(_ id: Int32) {
        queues.withLockedValue { $0.removeValue(forKey: id) }?.remove()
    }

    func removeAll() {
        let all = queues.withLockedValue { queues -> [BrokerQueue] in
            defer { queues = [:] }
            return Array(queues.values)
        }
        for queue in all { queue.remove() }
    }

    private func drain(_ queue: BrokerQueue) async {
        var connection: KafkaConnection?
        while let request = queue.next() {
            var attempt = 0
            while !queue.removed {
                do {
                    if connection == nil || connection!.isClosed {
                        connection = try await KafkaConnection.connect(host: queue.address.host, port: queue.address.port, group: group,
                                                                       clientId: "samsa-controller-\(controllerId)",
                                                                       connectTimeoutMs: min(timeoutMs, 3000), requestTimeoutMs: timeoutMs)
                    }
                    try await deliver(request, over: connection!)
                    queue.finished()
                    break
                } catch {
                    attempt += 1
                    connection?.close()
                    connection = nil
                    if attempt == 1 || attempt % 20 == 0 {
                        logger.info("controller request to broker \(queue.endpoint.id) failed (attempt \(attempt)): \(error)")
                    }
                    try? await Task.sleep(for: .milliseconds(min(1000, 50 * attempt)))
                }
            }
        }
        connection?.close()
    }

    private func deliver(_ request: ControllerRequest, over connection: KafkaConnection) async throws {
        switch request {
        case .leaderAndIsr(let controllerId, let epoch, let partitions, let leaders):
            let byTopic = Dictionary(grouping: partitions, by: \.topicPartition.topic)
            let wire = LeaderAndIsrRequest(controllerId: controllerId, controllerEpoch: epoch, topicStates: byTopic.keys.sorted().map { topic in
                .init(topicName: topic, partitionStates: byTopic[topic]!.map {
                    .init(partitionIndex: $0.topicPartition.partition, controllerEpoch: $0.controllerEpoch, leader: $0.leader,
                          leaderEpoch: $0.leaderEpoch, isr: $0.isr, zkVersion: $0.stateVersion, replicas: $0.replicas)
                })
            }, liveLeaders: leaders.map { .init(brokerId: $0.id, hostName: $0.host, port: $0.port) })
            let response: LeaderAndIsrResponse = try await connection.send(wire, version: LeaderAndIsrRequest.version, timeoutMs: timeoutMs)
            try check(response.result.errorCode)
        case .updateMetadata(let controllerId, let epoch, let brokers, let partitions, let deleted, _):
            var byTopic: [String: [UpdateMetadataRequest.PartitionState]] = [:]
            for leadership in partitions {
                byTopic[leadership.topicPartition.topic, default: []].append(.init(
                    partitionIndex: leadership.topicPartition.partition, controllerEpoch: leadership.controllerEpoch,
                    leader: leadership.leader, leaderEpoch: leadership.leaderEpoch, isr: leadership.isr, zkVersion: leadership.stateVersion,
                    replicas: leadership.replicas, offlineReplicas: leadership.replicas.filter { id in !brokers.contains { $0.id == id } }))
            }
            for tp in deleted {
                byTopic[tp.topic, default: []].append(.init(partitionIndex: tp.partition, controllerEpoch: epoch,
                                                            leader: UpdateMetadataRequest.leaderDuringDelete, leaderEpoch: -1, isr: [],
                                                            zkVersion: -1, replicas: []))
            }
            let wire = UpdateMetadataRequest(controllerId: controllerId, controllerEpoch: epoch,
                                             topicStates: byTopic.keys.sorted().map { .init(topicName: $0, partitionStates: byTopic[$0]!) },
                                             liveBrokers: brokers.map { .init(id: $0.id, endpoints: [.init(port: $0.port, host: $0.host)], rack: $0.rack) })
            let response: UpdateMetadataResponse = try await connection.send(wire, version: UpdateMetadataRequest.version, timeoutMs: timeoutMs)
            try check(response.errorCode)
        case .stopReplica(let controllerId, let epoch, let partitions, let delete):
            let byTopic = Dictionary(grouping: partitions, by: \.topic)
            let wire = StopReplicaRequest(controllerId: controllerId, controllerEpoch: epoch, deletePartitions: delete,
                                          topics: byTopic.keys.sorted().map { .init(name: $0, partitionIndexes: byTopic[$0]!.map(\.partition)) })
            let response: StopReplicaResponse = try await connection.send(wire, version: StopReplicaRequest.version, timeoutMs: timeoutMs)
            try check(response.result.errorCode)
        }
    }

    /// A stale-epoch answer means a newer controller exists: the request is dropped, not retried.
    private func check(_ code: Int16) throws {
        if code == 0 || code == ErrorCode.staleControllerEpoch.rawValue { return }
        throw KafkaClientError.broker(ErrorCode(rawValue: code) ?? .unknownServerError, "controller request")
    }
}
