import Coordination
import Foundation
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers

/// Cluster operations through ZooKeeper, available on every broker as in ZooKeeper-mode Kafka:
/// CreateTopics writes the assignment under `/brokers/topics` (the controller, watching, does the
/// rest); DeleteTopics marks topics under `/admin/delete_topics`; producer ids come in blocks of
/// 1000 claimed with a conditional write on `/latest_producer_id_block`.
final class ZooKeeperControlPlane: ControlPlane {
    let session: ZkSession
    let metadata: MetadataCache
    let brokerId: Int32
    let limits: PartitionLimits
    let logger: Logger
    /// Ids left in this broker's current block.
    private let block = NIOLockedValueBox<(next: Int64, end: Int64)>((0, -1))
    static let producerIdBlockSize: Int64 = 1000

    init(session: ZkSession, metadata: MetadataCache, brokerId: Int32, limits: PartitionLimits, logger: Logger) {
        self.session = session
        self.metadata = metadata
        self.brokerId = brokerId
        self.limits = limits
        self.logger = logger
    }

    func createTopics(_ topics: [TopicCreation], validateOnly: Bool) async -> [TopicOperationResult] {
        let cluster = metadata.snapshot
        let live = Set(cluster.brokers.keys)
        let sorted = live.sorted()
        var hosted: [Int32: Int] = [:]
        for leadership in cluster.partitions.values { for broker in leadership.replicas { hosted[broker, default: 0] += 1 } }
        var results: [TopicOperationResult] = []
        for topic in topics {
            if cluster.hasTopic(topic.name) {
                results.append(.init(name: topic.name, errorCode: .topicAlreadyExists, message: "topic '\(topic.name)' already exists"))
                continue
            }
            if let failure = TopicValidation.validate(topic, liveBrokers: live, limits: limits) { results.append(failure); continue }
            let assignment = topic.assignment ?? TopicValidation.assignReplicas(
                partitions: topic.numPartitions, replicationFactor: topic.replicationFactor, brokers: sorted,
                startIndex: Int.random(in: 0..<sorted.count), shift: Int.random(in: 0..<sorted.count))
            // Every broker's replicas count, as the controller will ask each to host its share.
            if let failure = TopicValidation.checkCapacity(topic.name, assignment: assignment, hosted: hosted, limits: limits) {
                results.append(failure)
                continue
            }
            if validateOnly { results.append(.init(name: topic.name, errorCode: .none)); continue }
            do {
                try await session.run { zk in
                    try zk.ensurePath(ZkPaths.topicConfigs)
                    var ops: [CoordinationOp] = []
                    if try zk.exists(ZkPaths.topicConfig(topic.name), watch: false) == nil {
                        ops.append(.create(path: ZkPaths.topicConfig(topic.name), data: ZkJSON.encode(ZkTopicConfig(config: topic.configs)), mode: .persistent))
                    } else {
                        ops.append(.set(path: ZkPaths.topicConfig(topic.name), data: ZkJSON.encode(ZkTopicConfig(config: topic.configs)), expectedVersion: NodeStat.anyVersion))
                    }
                    ops.append(.create(path: ZkPaths.topic(topic.name), data: ZkJSON.encode(ZkTopicAssignment(assignment: assignment)), mode: .persistent))
                    _ = try zk.multi(ops)
                }
                results.append(.init(name: topic.name, errorCode: .none))
                for replicas in assignment.values { for broker in replicas { hosted[broker, default: 0] += 1 } }
            } catch CoordinationError.multiFailed(_, .nodeExists) {
                results.append(.init(name: topic.name, errorCode: .topicAlreadyExists, message: "topic '\(topic.name)' already exists"))
            } catch {
                results.append(.init(name: topic.name, errorCode: .unknownServerError, message: "ZooKeeper: \(error)"))
            }
        }
        // Kafka answers once the controller has made the topics known: wait (bounded) until this
        // broker's metadata has every created topic with leaders.
        let created = results.filter { $0.errorCode == .none && !validateOnly }.map(\.name)
        await waitForTopics(created, present: true)
        return results
    }

    func deleteTopics(_ names: [String]) async -> [TopicOperationResult] {
        let cluster = metadata.snapshot
        var results: [TopicOperationResult] = []
        var marked: [String] = []
        for name in names {
            guard cluster.hasTopic(name) else {
                results.append(.init(name: name, errorCode: .unknownTopicOrPartition, message: "topic '\(name)' does not exist"))
                continue
            }
            do {
                try await session.run { zk in
                    do { _ = try zk.create(ZkPaths.deleteMarker(name), data: [], mode: .persistent) } catch CoordinationError.nodeExists {}
                }
                marked.append(name)
                results.append(.init(name: name, errorCode: .none))
            } catch {
                results.append(.init(name: name, errorCode: .unknownServerError, message: "ZooKeeper: \(error)"))
            }
        }
        await waitForTopics(marked, present: false)
        return results
    }

    private func waitForTopics(_ names: [String], present: Bool) async {
        guard !names.isEmpty else { return }
        let deadline = BrokerClock.monotonicMs() + 10_000
        while BrokerClock.monotonicMs() < deadline {
            let cluster = metadata.snapshot
            let done = names.allSatisfy { name in
                present ? cluster.hasTopic(name) && cluster.partitions(of: name).allSatisfy { $0.leader >= 0 } : !cluster.hasTopic(name)
            }
            if done { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    func allocateProducerId() async throws -> Int64 {
        if let id = block.withLockedValue({ block -> Int64? in
            guard block.next <= block.end else { return nil }
            defer { block.next += 1 }
            return block.next
        }) { return id }
        let brokerId = self.brokerId
        let claimed: (Int64, Int64) = try await session.run { zk in
            for _ in 0..<20 {
                var start: Int64 = 0
                var version: Int32 = -1
                if let (data, stat) = try? zk.get(ZkPaths.producerIdBlock, watch: false),
                   let last = try? ZkJSON.decode(ZkProducerIdBlock.self, data, path: ZkPaths.producerIdBlock) {
                    start = (Int64(last.blockEnd) ?? -1) + 1
                    version = stat.version
                }
                let end = start + Self.producerIdBlockSize - 1
                let note = ZkJSON.encode(ZkProducerIdBlock(broker: brokerId, blockStart: String(start), blockEnd: String(end)))
                do {
                    if version < 0 {
                        _ = try zk.create(ZkPaths.producerIdBlock, data: note, mode: .persistent)
                    } else {
                        _ = try zk.set(ZkPaths.producerIdBlock, data: note, expectedVersion: version)
                    }
                    return (start, end)
                } catch CoordinationError.badVersion, CoordinationError.nodeExists {
                    continue
                }
            }
            throw BrokerStartupError("could not claim a producer id block after 20 attempts")
        }
        logger.info("claimed producer ids \(claimed.0)...\(claimed.1)")
        return block.withLockedValue { block in
            block = (claimed.0 + 1, claimed.1)
            return claimed.0
        }
    }
}

/// ISR changes made by a leader: a write of the partition-state node conditional on the version the
/// leader holds (a mismatch means the controller or another leader changed it: this broker is
/// deposed), then a notification for the controller.
struct ZkIsrWriter: IsrWriter {
    let session: ZkSession

    func writeIsr(_ leadership: PartitionLeadership) async throws -> IsrWriteResult {
        let tp = leadership.topicPartition
        return try await session.run { zk in
            let path = ZkPaths.partitionState(tp)
            let (data, stat) = try zk.get(path, watch: false)
            let current = try ZkJSON.decode(ZkPartitionState.self, data, path: path)
            guard stat.version == leadership.stateVersion, current.leader == leadership.leader,
                  current.leaderEpoch == leadership.leaderEpoch else {
                return .rejected(currentVersion: stat.version)
            }
            let next = ZkPartitionState(controllerEpoch: current.controllerEpoch, leader: current.leader,
                                        leaderEpoch: current.leaderEpoch, isr: leadership.isr)
            let written: NodeStat
            do {
                written = try zk.set(path, data: ZkJSON.encode(next), expectedVersion: leadership.stateVersion)
            } catch CoordinationError.badVersion {
                return .rejected(currentVersion: (try? zk.exists(path, watch: false))?.version)
            }
            let note = ZkIsrChangeNotification(partitions: [.init(topic: tp.topic, partition: tp.partition)])
            _ = try? zk.create("\(ZkPaths.isrChangeNotifications)/\(ZkPaths.isrChangePrefix)", data: ZkJSON.encode(note), mode: .persistentSequential)
            return .committed(newVersion: written.version)
        }
    }
}
