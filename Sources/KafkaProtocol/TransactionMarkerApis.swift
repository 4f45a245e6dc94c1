import NIOCore

/// WriteTxnMarkers (key 27), v0 (v1 is flexible): the coordinator asks partition leaders to write
/// commit or abort markers.
public struct WriteTxnMarkersRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.writeTxnMarkers

    public struct Marker: Sendable, Equatable {
        public var producerId: Int64
        public var producerEpoch: Int16
        /// True for commit, false for abort.
        public var transactionResult: Bool
        public var topics: [TopicPartitions]
        public var coordinatorEpoch: Int32
        public init(producerId: Int64, producerEpoch: Int16, transactionResult: Bool, topics: [TopicPartitions], coordinatorEpoch: Int32) {
            self.producerId = producerId
            self.producerEpoch = producerEpoch
            self.transactionResult = transactionResult
            self.topics = topics
            self.coordinatorEpoch = coordinatorEpoch
        }
    }

    public var markers: [Marker]

    public init(markers: [Marker]) { self.markers = markers }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        markers = try buffer.readKafkaArray("markers") { buffer in
            Marker(producerId: try buffer.readInt64("producer_id"), producerEpoch: try buffer.readInt16("producer_epoch"),
                   transactionResult: try buffer.readBool("transaction_result"), topics: try buffer.readTopicPartitions("topics"),
                   coordinatorEpoch: try buffer.readInt32("coordinator_epoch"))
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaArray(markers) { buffer, marker in
            buffer.writeInt64(marker.producerId)
            buffer.writeInt16(marker.producerEpoch)
            buffer.writeBool(marker.transactionResult)
            buffer.writeTopicPartitions(marker.topics)
            buffer.writeInt32(marker.coordinatorEpoch)
        }
    }
}

public struct WriteTxnMarkersResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.writeTxnMarkers

    public struct Marker: Sendable, Equatable {
        public var producerId: Int64
        public var topics: [TopicPartitionErrors]
        public init(producerId: Int64, topics: [TopicPartitionErrors]) {
            self.producerId = producerId
            self.topics = topics
        }
    }

    public var markers: [Marker]

    public init(markers: [Marker]) { self.markers = markers }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        markers = try buffer.readKafkaArray("markers") { buffer in
            Marker(producerId: try buffer.readInt64("producer_id"), topics: try buffer.readTopicPartitionErrors("topics"))
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaArray(markers) { buffer, marker in
            buffer.writeInt64(marker.producerId)
            buffer.writeTopicPartitionErrors(marker.topics)
        }
    }
}

/// TxnOffsetCommit (key 28), v0–2 (v3 is flexible and adds the member fields of KIP-447): offsets
/// a transactional producer commits for a group, visible only if its transaction commits.
public struct TxnOffsetCommitRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.txnOffsetCommit

    public struct Partition: Sendable, Equatable {
        public var partitionIndex: Int32
        public var committedOffset: Int64
        /// v2+; -1 before.
        public var committedLeaderEpoch: Int32
        public var committedMetadata: String?
        public init(partitionIndex: Int32, committedOffset: Int64, committedLeaderEpoch: Int32 = -1, committedMetadata: String? = nil) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.committedMetadata = committedMetadata
        }
    }

    public struct Topic: Sendable, Equatable {
        public var name: String
        public var partitions: [Partition]
        public init(name: String, partitions: [Partition]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public var transactionalId: String
    public var groupId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    public var topics: [Topic]

    public init(transactionalId: String, groupId: String, producerId: Int64, producerEpoch: Int16, topics: [Topic]) {
        self.transactionalId = transactionalId
        self.groupId = groupId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        transactionalId = try buffer.readKafkaString("transactional_id")
        groupId = try buffer.readKafkaString("group_id")
        producerId = try buffer.readInt64("producer_id")
        producerEpoch = try buffer.readInt16("producer_epoch")
        topics = try buffer.readKafkaArray("topics") { buffer in
            Topic(name: try buffer.readKafkaString("name"), partitions: try buffer.readKafkaArray("partitions") { buffer in
                let index = try buffer.readInt32("partition_index")
                let offset = try buffer.readInt64("committed_offset")
                let epoch = version >= 2 ? try buffer.readInt32("committed_leader_epoch") : -1
                return Partition(partitionIndex: index, committedOffset: offset, committedLeaderEpoch: epoch,
                                 committedMetadata: try buffer.readNullableKafkaString("committed_metadata"))
            })
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(transactionalId)
        buffer.writeKafkaString(groupId)
        buffer.writeInt64(producerId)
        buffer.writeInt16(producerEpoch)
        buffer.writeKafkaArray(topics) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitions) { buffer, partition in
                buffer.writeInt32(partition.partitionIndex)
                buffer.writeInt64(partition.committedOffset)
                if version >= 2 { buffer.writeInt32(partition.committedLeaderEpoch) }
                buffer.writeNullableKafkaString(partition.committedMetadata)
            }
        }
    }
}

public struct TxnOffsetCommitResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.txnOffsetCommit
    public var throttleTimeMs: Int32
    public var topics: [TopicPartitionErrors]

    public init(throttleTimeMs: Int32 = 0, topics: [TopicPartitionErrors]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = try buffer.readInt32("throttle_time_ms")
        topics = try buffer.readTopicPartitionErrors("topics")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(throttleTimeMs)
        buffer.writeTopicPartitionErrors(topics)
    }
}
