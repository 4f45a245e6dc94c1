import Foundation
import KafkaProtocol
import Replication

/// Kafka's ZooKeeper layout (ZooKeeper mode, before KRaft), with Kafka's JSON formats, so the tree
/// reads as an operator of a ZooKeeper-mode Kafka cluster expects.
public enum ZkPaths {
    public static let brokerIds = "/brokers/ids"
    public static let topics = "/brokers/topics"
    public static let controller = "/controller"
    public static let controllerEpoch = "/controller_epoch"
    public static let topicConfigs = "/config/topics"
    public static let deleteTopics = "/admin/delete_topics"
    public static let isrChangeNotifications = "/isr_change_notification"
    public static let isrChangePrefix = "isr_change_"
    /// `config_change_N` nodes (`{"version":2,"entity_path":"topics/T"}`): every broker watches
    /// them to re-read topic configs after AlterConfigs, as ZooKeeper-mode Kafka's brokers do.
    public static let configChanges = "/config/changes"
    public static let configChangePrefix = "config_change_"
    public static let producerIdBlock = "/latest_producer_id_block"
    /// `{"version":"1","id":"..."}`: created once by the first broker; every broker reports it.
    public static let clusterId = "/cluster/id"
    /// Persistent parents created at startup by whichever broker gets there first.
    public static let persistentParents = [brokerIds, topics, topicConfigs, configChanges, deleteTopics, isrChangeNotifications]

    public static func broker(_ id: Int32) -> String { "\(brokerIds)/\(id)" }
    public static func topic(_ name: String) -> String { "\(topics)/\(name)" }
    /// The topic whose assignment node `path` is (`/brokers/topics/T`), nil for any other path.
    public static func topicName(ofAssignmentPath path: String) -> String? {
        guard path.hasPrefix(topics + "/") else { return nil }
        let name = path.dropFirst(topics.count + 1)
        return name.isEmpty || name.contains("/") ? nil : String(name)
    }
    public static func partitions(_ topic: String) -> String { "\(topics)/\(topic)/partitions" }
    public static func partitionState(_ tp: TopicPartition) -> String { "\(topics)/\(tp.topic)/partitions/\(tp.partition)/state" }
    public static func topicConfig(_ name: String) -> String { "\(topicConfigs)/\(name)" }
    public static func deleteMarker(_ name: String) -> String { "\(deleteTopics)/\(name)" }
}

/// `/cluster/id`, in Kafka's format.
struct ZkClusterId: Codable, Equatable, Sendable {
    var version = "1"
    var id: String
}

/// `/brokers/ids/N`: an ephemeral registration.
public struct ZkBrokerRegistration: Codable, Equatable, Sendable {
    public var version: Int = 4
    public var host: String
    public var port: Int
    public var endpoints: [String]
    public var jmxPort: Int = -1
    public var timestamp: String
    public var listenerSecurityProtocolMap: [String: String] = ["PLAINTEXT": "PLAINTEXT"]

    enum CodingKeys: String, CodingKey {
        case version, host, port, endpoints, timestamp
        case jmxPort = "jmx_port"
        case listenerSecurityProtocolMap = "listener_security_protocol_map"
    }

    public init(host: String, port: Int, timestampMs: Int64) {
        self.host = host
        self.port = port
        endpoints = ["PLAINTEXT://\(host):\(port)"]
        timestamp = String(timestampMs)
    }
}

/// `/controller`: who is controller (ephemeral).
public struct ZkControllerNode: Codable, Equatable, Sendable {
    public var version: Int = 1
    public var brokerid: Int32
    public var timestamp: String
}

/// `/brokers/topics/T`: the replica assignment.
public struct ZkTopicAssignment: Codable, Equatable, Sendable {
    public var version: Int = 2
    /// partition → replicas; while a partition moves, the full set (target, then the leaving replicas).
    public var partitions: [String: [Int32]]
    /// Partitions being reassigned (Kafka 2.4's layout): the replicas they gain and lose. Absent when none.
    public var addingReplicas: [String: [Int32]]?
    public var removingReplicas: [String: [Int32]]?

    enum CodingKeys: String, CodingKey {
        case version, partitions
        case addingReplicas = "adding_replicas"
        case removingReplicas = "removing_replicas"
    }

    public init(assignment: [Int32: [Int32]], reassignments: [Int32: PartitionReassignment] = [:]) {
        partitions = Dictionary(uniqueKeysWithValues: assignment.map { (String($0.key), $0.value) })
        if !reassignments.isEmpty {
            addingReplicas = Dictionary(uniqueKeysWithValues: reassignments.map { (String($0.key), $0.value.adding) })
            removingReplicas = Dictionary(uniqueKeysWithValues: reassignments.map { (String($0.key), $0.value.removing) })
        }
    }

    public var assignment: [Int32: [Int32]] { Self.byPartition(partitions) }

    /// The reassignments recorded in the node: target = full set minus removing (in full-set
    /// order), original = full set minus adding.
    public var reassignments: [Int32: PartitionReassignment] {
        let adding = Self.byPartition(addingReplicas ?? [:])
        let removing = Self.byPartition(removingReplicas ?? [:])
        var result: [Int32: PartitionReassignment] = [:]
        for (partition, replicas) in assignment where !(adding[partition] ?? []).isEmpty || !(removing[partition] ?? []).isEmpty {
            let gaining = adding[partition] ?? [], losing = removing[partition] ?? []
            result[partition] = PartitionReassignment(target: replicas.filter { !losing.contains($0) },
                                                      original: replicas.filter { !gaining.contains($0) })
        }
        return result
    }

    /// Whether any partition is being reassigned.
    public var isReassigning: Bool { !reassignments.isEmpty }

    private static func byPartition(_ map: [String: [Int32]]) -> [Int32: [Int32]] {
        Dictionary(uniqueKeysWithValues: map.compactMap { key, value in Int32(key).map { ($0, value) } })
    }
}

/// `/brokers/topics/T/partitions/P/state`: leadership, written conditionally on its version.
public struct ZkPartitionState: Codable, Equatable, Sendable {
    public var controllerEpoch: Int32
    public var leader: Int32
    public var version: Int = 1
    public var leaderEpoch: Int32
    public var isr: [Int32]

    enum CodingKeys: String, CodingKey {
        case leader, version, isr
        case controllerEpoch = "controller_epoch"
        case leaderEpoch = "leader_epoch"
    }

    public init(controllerEpoch: Int32, leader: Int32, leaderEpoch: Int32, isr: [Int32]) {
        self.controllerEpoch = controllerEpoch
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.isr = isr
    }
}

/// `/config/topics/T`: topic-level overrides.
public struct ZkTopicConfig: Codable, Equatable, Sendable {
    public var version: Int = 1
    public var config: [String: String]
}

/// `/config/changes/config_change_N`: which entity's config changed.
public struct ZkConfigChangeNotification: Codable, Equatable, Sendable {
    public var version: Int = 2
    public var entityPath: String

    enum CodingKeys: String, CodingKey {
        case version
        case entityPath = "entity_path"
    }
}

/// `/isr_change_notification/isr_change_N`: partitions whose ISR a leader changed, for the controller.
public struct ZkIsrChangeNotification: Codable, Equatable, Sendable {
    public struct Entry: Codable, Equatable, Sendable {
        public var topic: String
        public var partition: Int32
    }
    public var version: Int = 1
    public var partitions: [Entry]
}

/// `/latest_producer_id_block`: the last block of producer ids handed to a broker.
public struct ZkProducerIdBlock: Codable, Equatable, Sendable {
    public var version: Int = 1
    public var broker: Int32
    public var blockStart: String
    public var blockEnd: String

    enum CodingKeys: String, CodingKey {
        case version, broker
        case blockStart = "block_start"
        case blockEnd = "block_end"
    }
}

enum ZkJSON {
    static func encode<T: Encodable>(_ value: T) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Array(try! encoder.encode(value))
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8], path: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: Data(bytes)) } catch {
            throw BrokerStartupError("cannot parse \(path): \(error)")
        }
    }
}
