import NIOCore

/// StopReplica (key 5), v0–1, controller → broker: stop fetching or leading these partitions, and
/// delete them when `deletePartitions` is set (topic deletion, reassignment away). v0 lists each
/// partition with its topic name; v1 adds the broker epoch and groups partitions by topic. v2 is
/// flexible.
public struct StopReplicaRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.stopReplica
    /// The version Samsa's controller sends.
    public static let version: Int16 = 1
    /// The versions this codec reads and writes.
    public static let versions: ClosedRange<Int16> = 0...1

    public struct Topic: Sendable, Equatable {
        public var name: String
        public var partitionIndexes: [Int32]
        public init(name: String, partitionIndexes: [Int32]) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }
    }

    public var controllerId: Int32
    public var controllerEpoch: Int32
    /// v1+.
    public var brokerEpoch: Int64
    public var deletePartitions: Bool
    /// Grouped by topic; v0 carries the same partitions ungrouped (see `InterBroker.groupConsecutive`).
    public var topics: [Topic]

    public init(controllerId: Int32, controllerEpoch: Int32, brokerEpoch: Int64 = -1, deletePartitions: Bool, topics: [Topic]) {
        self.controllerId = controllerId
        self.controllerEpoch = controllerEpoch
        self.brokerEpoch = brokerEpoch
        self.deletePartitions = deletePartitions
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        try InterBroker.checkVersion(version, in: Self.versions, of: Self.apiKey)
        controllerId = try buffer.readInt32("controller_id")
        controllerEpoch = try buffer.readInt32("controller_epoch")
        brokerEpoch = version >= 1 ? try buffer.readInt64("broker_epoch") : -1
        deletePartitions = try buffer.readBool("delete_partitions")
        if version >= 1 {
            topics = try buffer.readKafkaArray("topics") { buffer in
                Topic(name: try buffer.readKafkaString("topics.name"),
                      partitionIndexes: try buffer.readKafkaArray("topics.partition_indexes") { try $0.readInt32("partition") })
            }
        } else {
            let ungrouped = try buffer.readKafkaArray("ungrouped_partitions") { buffer in
                (topic: try buffer.readKafkaString("ungrouped_partitions.topic_name"),
                 item: try buffer.readInt32("ungrouped_partitions.partition_index"))
            }
            topics = InterBroker.groupConsecutive(ungrouped).map { Topic(name: $0.topic, partitionIndexes: $0.items) }
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(controllerId)
        buffer.writeInt32(controllerEpoch)
        if version >= 1 { buffer.writeInt64(brokerEpoch) }
        buffer.writeBool(deletePartitions)
        if version >= 1 {
            buffer.writeKafkaArray(topics) { buffer, topic in
                buffer.writeKafkaString(topic.name)
                buffer.writeKafkaArray(topic.partitionIndexes) { $0.writeInt32($1) }
            }
        } else {
            let ungrouped = topics.flatMap { topic in topic.partitionIndexes.map { (topic.name, $0) } }
            buffer.writeKafkaArray(ungrouped) { buffer, entry in
                buffer.writeKafkaString(entry.0)
                buffer.writeInt32(entry.1)
            }
        }
    }
}

/// The same layout in v0–1.
public struct StopReplicaResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.stopReplica
    public var result: PartitionErrorsResponse

    public init(_ result: PartitionErrorsResponse) { self.result = result }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        try InterBroker.checkVersion(version, in: StopReplicaRequest.versions, of: Self.apiKey)
        result = try PartitionErrorsResponse(from: &buffer)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) { result.encode(into: &buffer) }
}
