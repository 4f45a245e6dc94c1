import NIOCore

/// Metadata (key 3), v0–8. v0 asks for all topics with an empty array; v1+ with null.
public struct MetadataRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.metadata

    public struct Topic: Sendable, Equatable {
        public var name: String?
        public init(name: String?) { self.name = name }
    }

    /// Nil asks for every topic (v1+).
    public var topics: [Topic]?
    public var allowAutoTopicCreation: Bool
    public var includeClusterAuthorizedOperations: Bool
    public var includeTopicAuthorizedOperations: Bool

    public init(topics: [Topic]?, allowAutoTopicCreation: Bool = true, includeClusterAuthorizedOperations: Bool = false,
                includeTopicAuthorizedOperations: Bool = false) {
        self.topics = topics
        self.allowAutoTopicCreation = allowAutoTopicCreation
        self.includeClusterAuthorizedOperations = includeClusterAuthorizedOperations
        self.includeTopicAuthorizedOperations = includeTopicAuthorizedOperations
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let read: (inout ByteBuffer) throws -> Topic = { Topic(name: try $0.readKafkaString("topics.name")) }
        topics = version == 0 ? try buffer.readKafkaArray("topics", read) : try buffer.readNullableKafkaArray("topics", read)
        allowAutoTopicCreation = version >= 4 ? try buffer.readBool("allow_auto_topic_creation") : true
        includeClusterAuthorizedOperations = version >= 8 ? try buffer.readBool("include_cluster_authorized_operations") : false
        includeTopicAuthorizedOperations = version >= 8 ? try buffer.readBool("include_topic_authorized_operations") : false
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let write: (inout ByteBuffer, Topic) -> Void = { $0.writeKafkaString($1.name ?? "") }
        if version == 0 { buffer.writeKafkaArray(topics ?? [], write) } else { buffer.writeNullableKafkaArray(topics, write) }
        if version >= 4 { buffer.writeBool(allowAutoTopicCreation) }
        if version >= 8 {
            buffer.writeBool(includeClusterAuthorizedOperations)
            buffer.writeBool(includeTopicAuthorizedOperations)
        }
    }
}

public struct MetadataResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.metadata

    public struct Broker: Sendable, Equatable {
        public var nodeId: Int32
        public var host: String
        public var port: Int32
        public var rack: String?
        public init(nodeId: Int32, host: String, port: Int32, rack: String? = nil) {
            self.nodeId = nodeId
            self.host = host
            self.port = port
            self.rack = rack
        }
    }

    public struct Partition: Sendable, Equatable {
        public var errorCode: Int16
        public var partitionIndex: Int32
        public var leaderId: Int32
        public var leaderEpoch: Int32
        public var replicaNodes: [Int32]
        public var isrNodes: [Int32]
        public var offlineReplicas: [Int32]
        public init(errorCode: Int16, partitionIndex: Int32, leaderId: Int32, leaderEpoch: Int32 = -1, replicaNodes: [Int32],
                    isrNodes: [Int32], offlineReplicas: [Int32] = []) {
            self.errorCode = errorCode
            self.partitionIndex = partitionIndex
            self.leaderId = leaderId
            self.leaderEpoch = leaderEpoch
            self.replicaNodes = replicaNodes
            self.isrNodes = isrNodes
            self.offlineReplicas = offlineReplicas
        }
    }

    public struct Topic: Sendable, Equatable {
        public var errorCode: Int16
        public var name: String?
        public var isInternal: Bool
        public var partitions: [Partition]
        public var topicAuthorizedOperations: Int32
        public init(errorCode: Int16, name: String?, isInternal: Bool = false, partitions: [Partition],
                    topicAuthorizedOperations: Int32 = Int32.min) {
            self.errorCode = errorCode
            self.name = name
            self.isInternal = isInternal
            self.partitions = partitions
            self.topicAuthorizedOperations = topicAuthorizedOperations
        }
    }

    public var throttleTimeMs: Int32
    public var brokers: [Broker]
    public var clusterId: String?
    public var controllerId: Int32
    public var topics: [Topic]
    public var clusterAuthorizedOperations: Int32

    public init(throttleTimeMs: Int32 = 0, brokers: [Broker], clusterId: String?, controllerId: Int32, topics: [Topic],
                clusterAuthorizedOperations: Int32 = Int32.min) {
        self.throttleTimeMs = throttleTimeMs
        self.brokers = brokers
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.topics = topics
        self.clusterAuthorizedOperations = clusterAuthorizedOperations
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = version >= 3 ? try buffer.readInt32("throttle_time_ms") : 0
        brokers = try buffer.readKafkaArray("brokers") { buffer in
            Broker(nodeId: try buffer.readInt32("node_id"), host: try buffer.readKafkaString("host"), port: try buffer.readInt32("port"),
                   rack: version >= 1 ? try buffer.readNullableKafkaString("rack") : nil)
        }
        clusterId = version >= 2 ? try buffer.readNullableKafkaString("cluster_id") : nil
        controllerId = version >= 1 ? try buffer.readInt32("controller_id") : -1
        topics = try buffer.readKafkaArray("topics") { buffer in
            let errorCode = try buffer.readInt16("topic.error_code")
            let name = try buffer.readKafkaString("topic.name")
            let isInternal = version >= 1 ? try buffer.readBool("is_internal") : false
            let partitions = try buffer.readKafkaArray("partitions") { buffer in
                Partition(errorCode: try buffer.readInt16("partition.error_code"), partitionIndex: try buffer.readInt32("partition_index"),
                          leaderId: try buffer.readInt32("leader_id"),
                          leaderEpoch: version >= 7 ? try buffer.readInt32("leader_epoch") : -1,
                          replicaNodes: try buffer.readKafkaArray("replica_nodes") { try $0.readInt32("replica") },
                          isrNodes: try buffer.readKafkaArray("isr_nodes") { try $0.readInt32("isr") },
                          offlineReplicas: version >= 5 ? try buffer.readKafkaArray("offline_replicas") { try $0.readInt32("offline") } : [])
            }
            let operations = version >= 8 ? try buffer.readInt32("topic_authorized_operations") : Int32.min
            return Topic(errorCode: errorCode, name: name, isInternal: isInternal, partitions: partitions, topicAuthorizedOperations: operations)
        }
        clusterAuthorizedOperations = version >= 8 ? try buffer.readInt32("cluster_authorized_operations") : Int32.min
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        if version >= 3 { buffer.writeInt32(throttleTimeMs) }
        buffer.writeKafkaArray(brokers) { buffer, broker in
            buffer.writeInt32(broker.nodeId)
            buffer.writeKafkaString(broker.host)
            buffer.writeInt32(broker.port)
            if version >= 1 { buffer.writeNullableKafkaString(broker.rack) }
        }
        if version >= 2 { buffer.writeNullableKafkaString(clusterId) }
        if version >= 1 { buffer.writeInt32(controllerId) }
        buffer.writeKafkaArray(topics) { buffer, topic in
            buffer.writeInt16(topic.errorCode)
            buffer.writeKafkaString(topic.name ?? "")
            if version >= 1 { buffer.writeBool(topic.isInternal) }
            buffer.writeKafkaArray(topic.partitions) { buffer, partition in
                buffer.writeInt16(partition.errorCode)
                buffer.writeInt32(partition.partitionIndex)
                buffer.writeInt32(partition.leaderId)
                if version >= 7 { buffer.writeInt32(partition.leaderEpoch) }
                buffer.writeKafkaArray(partition.replicaNodes) { $0.writeInt32($1) }
                buffer.writeKafkaArray(partition.isrNodes) { $0.writeInt32($1) }
                if version >= 5 { buffer.writeKafkaArray(partition.offlineReplicas) { $0.writeInt32($1) } }
            }
            if version >= 8 { buffer.writeInt32(topic.topicAuthorizedOperations) }
        }
        if version >= 8 { buffer.writeInt32(clusterAuthorizedOperations) }
    }
}
