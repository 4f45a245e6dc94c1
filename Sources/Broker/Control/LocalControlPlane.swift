import Foundation
import KafkaProtocol
import LogStore
import Logging
import NIOConcurrencyHelpers
import SamsaConfig

/// The control plane of a standalone broker (no `zookeeper.connect`): a one-node cluster that is its
/// own controller. Topics and the producer-id counter persist in `standalone-metadata.json` in the
/// log directory, written atomically, so a restart (clean or `kill -9`) comes back with every topic.
/// Each start bumps every partition's leader epoch, as a controller re-electing a restarted broker does.
///
/// Owner: `state` (lock-guarded) holds the persisted document; ReplicaManager and MetadataCache are
/// updated while it is held so concurrent CreateTopics cannot interleave.
public final class LocalControlPlane: ControlPlane {
    struct Document: Codable {
        struct Topic: Codable {
            var partitions: Int32
            var configs: [String: String]
            var leaderEpoch: Int32
        }
        var clusterId: String
        var topics: [String: Topic]
        var nextProducerId: Int64
    }

    private let state: NIOLockedValueBox<Document>
    private let path: String
    private let brokerId: Int32
    private let limits: PartitionLimits
    private let replicaManager: ReplicaManager
    private let metadata: MetadataCache
    private let logger: Logger

    public init(config: BrokerConfig, replicaManager: ReplicaManager, metadata: MetadataCache, logger: Logger) throws {
        path = config.logDir + "/standalone-metadata.json"
        brokerId = config.brokerId
        limits = config.partitionLimits
        self.replicaManager = replicaManager
        self.metadata = metadata
        self.logger = logger
        var document: Document
        if let data = FileManager.default.contents(atPath: path) {
            do { document = try JSONDecoder().decode(Document.self, from: data) } catch {
                throw BrokerStartupError("cannot read \(path): \(error)")
            }
        } else {
            document = Document(clusterId: Self.newClusterId(), topics: [:], nextProducerId: 1000)
        }
        // Each start is a new leadership term. A topic already at the largest epoch cannot take
        // another (a wrapped, negative epoch would read as older than any a client holds): the
        // broker refuses to start rather than serve it under a stale epoch.
        for name in document.topics.keys.sorted() {
            guard document.topics[name]!.leaderEpoch < Int32.max else {
                throw BrokerStartupError("cannot start: topic '\(name)' in \(path) is at the largest leader epoch (\(Int32.max)); "
                    + "delete and recreate the topic")
            }
            document.topics[name]!.leaderEpoch += 1
        }
        Self.warnAboutLimits(document, limits: config.partitionLimits, logger: logger)
        state = NIOLockedValueBox(document)
        try Self.persist(document, to: path)
    }

    /// Topics persisted before the limits were lowered (or by an older version) still load: their
    /// segment files open on demand within the descriptor budget. The broker says so, and refuses
    /// new topics until it is back under the limits.
    static func warnAboutLimits(_ document: Document, limits: PartitionLimits, logger: Logger) {
        for (name, topic) in document.topics.sorted(by: { $0.key < $1.key }) where Int(topic.partitions) > limits.maxPartitionsPerTopic {
            logger.warning("topic \(name) has \(topic.partitions) partitions, above samsa.max.partitions.per.topic=\(limits.maxPartitionsPerTopic); loading it anyway")
        }
        let total = document.topics.values.reduce(0) { $0 + Int($1.partitions) }
        if total > limits.maxPartitionsPerBroker {
            logger.warning("this broker hosts \(total) partitions, above samsa.max.partitions.per.broker=\(limits.maxPartitionsPerBroker); loading them anyway, new topics will be refused")
        }
    }

    static func newClusterId() -> String {
        String(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(22))
    }

    /// Publishes the broker and every persisted topic, and makes this broker their leader.
    public func start(advertised: HostPort) {
        state.withLockedValue { document in
            metadata.update { cluster in
                cluster.clusterId = document.clusterId
                cluster.controllerId = brokerId
                cluster.brokers = [brokerId: BrokerEndpoint(id: brokerId, host: advertised.host, port: Int32(advertised.port))]
            }
            for (name, topic) in document.topics { publish(name, topic) }
        }
    }

    private func publish(_ name: String, _ topic: Document.Topic, from first: Int32 = 0) {
        let leaderships = (first..<topic.partitions).map { index in
            PartitionLeadership(topicPartition: TopicPartition(name, index), leader: brokerId, leaderEpoch: topic.leaderEpoch,
                                isr: [brokerId], replicas: [brokerId], controllerEpoch: 1, stateVersion: 0)
        }
        replicaManager.applyLeadership(leaderships, topicConfigs: [name: topic.configs])
        metadata.update { cluster in
            cluster.topicConfigs[name] = topic.configs
            for leadership in leaderships { cluster.partitions[leadership.topicPartition] = leadership }
        }
    }

    public func createTopics(_ topics: [TopicCreation], validateOnly: Bool) async -> [TopicOperationResult] {
        state.withLockedValue { document in
            topics.map { topic in
                if document.topics[topic.name] != nil {
                    return TopicOperationResult(name: topic.name, errorCode: .topicAlreadyExists, message: "topic '\(topic.name)' already exists")
                }
                if let failure = TopicValidation.validate(topic, liveBrokers: [brokerId], limits: limits) { return failure }
                let partitions = topic.assignment.map { Int32($0.count) } ?? topic.numPartitions
                let hosted = document.topics.values.reduce(0) { $0 + Int($1.partitions) }
                let assignment = Dictionary(uniqueKeysWithValues: (0..<partitions).map { ($0, [brokerId]) })
                if let failure = TopicValidation.checkCapacity(topic.name, assignment: assignment, hosted: [brokerId: hosted], limits: limits) {
                    return failure
                }
                if validateOnly { return TopicOperationResult(name: topic.name, errorCode: .none) }
                let entry = Document.Topic(partitions: partitions, configs: topic.configs, leaderEpoch: 0)
                var updated = document
                updated.topics[topic.name] = entry
                do { try Self.persist(updated, to: path) } catch {
                    return TopicOperationResult(name: topic.name, errorCode: .kafkaStorageError, message: "\(error)")
                }
                document = updated
                publish(topic.name, entry)
                logger.info("created topic \(topic.name) with \(partitions) partition(s)")
                return TopicOperationResult(name: topic.name, errorCode: .none)
            }
        }
    }

    public func createPartitions(_ increases: [PartitionIncrease], validateOnly: Bool) async -> [TopicOperationResult] {
        state.withLockedValue { document in
            increases.map { increase in
                let current = document.topics[increase.name].map { topic in
                    Dictionary(uniqueKeysWithValues: (0..<topic.partitions).map { ($0, [brokerId]) })
                }
                let hosted = document.topics.values.reduce(0) { $0 + Int($1.partitions) }
                let plan: [Int32: [Int32]]
                switch TopicValidation.planIncrease(increase, current: current, liveBrokers: [brokerId], hosted: [brokerId: hosted], limits: limits) {
                case .failure(let failure): return failure.result
                case .success(let planned): plan = planned
                }
                if validateOnly { return TopicOperationResult(name: increase.name, errorCode: .none) }
                var updated = document
                let before = updated.topics[increase.name]!.partitions
                updated.topics[increase.name]!.partitions = increase.count
                do { try Self.persist(updated, to: path) } catch {
                    return TopicOperationResult(name: increase.name, errorCode: .kafkaStorageError, message: "\(error)")
                }
                document = updated
                publish(increase.name, updated.topics[increase.name]!, from: before)
                logger.info("topic \(increase.name) grew from \(before) to \(increase.count) partition(s) (\(plan.count) added)")
                return TopicOperationResult(name: increase.name, errorCode: .none)
            }
        }
    }

    public func alterTopicConfigs(_ topic: String, _ change: TopicConfigChange, validateOnly: Bool) async -> TopicOperationResult {
        state.withLockedValue { document in
            guard let entry = document.topics[topic] else {
                return TopicOperationResult(name: topic, errorCode: .unknownTopicOrPartition, message: "topic '\(topic)' does not exist")
            }
            let configs: [String: String]
            switch change.apply(to: entry.configs, topic: topic, replicationFactor: 1) {
            case .failure(let failure): return failure.result
            case .success(let updated): configs = updated
            }
            if validateOnly { return TopicOperationResult(name: topic, errorCode: .none) }
            var updated = document
            updated.topics[topic]!.configs = configs
            do { try Self.persist(updated, to: path) } catch {
                return TopicOperationResult(name: topic, errorCode: .kafkaStorageError, message: "\(error)")
            }
            document = updated
            metadata.update { $0.topicConfigs[topic] = configs }
            replicaManager.updateTopicConfig(topic, overrides: configs)
            logger.info("topic \(topic) configs are now \(configs.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })")
            return TopicOperationResult(name: topic, errorCode: .none)
        }
    }

    public func deleteTopics(_ names: [String]) async -> [TopicOperationResult] {
        state.withLockedValue { document in
            names.map { name in
                guard let topic = document.topics[name] else {
                    return TopicOperationResult(name: name, errorCode: .unknownTopicOrPartition, message: "topic '\(name)' does not exist")
                }
                var updated = document
                updated.topics[name] = nil
                do { try Self.persist(updated, to: path) } catch {
                    return TopicOperationResult(name: name, errorCode: .kafkaStorageError, message: "\(error)")
                }
                document = updated
                metadata.update { cluster in
                    cluster.topicConfigs[name] = nil
                    for index in 0..<topic.partitions { cluster.partitions[TopicPartition(name, index)] = nil }
                }
                for index in 0..<topic.partitions { replicaManager.stopReplica(TopicPartition(name, index), delete: true) }
                logger.info("deleted topic \(name)")
                return TopicOperationResult(name: name, errorCode: .none)
            }
        }
    }

    public func allocateProducerId() async throws -> Int64 {
        try state.withLockedValue { document in
            var updated = document
            updated.nextProducerId += 1
            try Self.persist(updated, to: path)
            document = updated
            return document.nextProducerId - 1
        }
    }

    static func persist(_ document: Document, to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(Array(try encoder.encode(document)), to: path)
    }
}

/// A configuration or environment problem that stops the broker at start, with a message for the user.
public struct BrokerStartupError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
