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

/// TxnOffsetCommit (key 28), v0–3: offsets a transactional producer commits for a group, visible
/// only if its transaction commits. v2 adds each partition's leader epoch; v3 is flexible (compact
/// strings and arrays, tagged fields) and adds the committing consumer's generation, member id and
/// group instance id (KIP-447), which the group coordinator checks so that a zombie consumer's
/// producer is fenced by the group; before v3 they read as the defaults -1, "" and null.
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
    /// v3+: the consumer's generation; -1 (the default metadata, and every older version) when it
    /// does not name one.
    public var generationId: Int32
    /// v3+: the consumer's member id; "" when it does not name one.
    public var memberId: String
    /// v3+: the consumer's static group instance id, if it has one.
    public var groupInstanceId: String?
    public var topics: [Topic]

    public init(transactionalId: String, groupId: String, producerId: Int64, producerEpoch: Int16, generationId: Int32 = -1,
                memberId: String = "", groupInstanceId: String? = nil, topics: [Topic]) {
        self.transactionalId = transactionalId
        self.groupId = groupId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.apiKey.isFlexible(version)
        func string(_ field: String) throws -> String { flexible ? try buffer.readCompactString(field) : try buffer.readKafkaString(field) }
        transactionalId = try string("transactional_id")
        groupId = try string("group_id")
        producerId = try buffer.readInt64("producer_id")
        producerEpoch = try buffer.readInt16("producer_epoch")
        generationId = -1
        memberId = ""
        groupInstanceId = nil
        if version >= 3 {
            generationId = try buffer.readInt32("generation_id")
            memberId = try buffer.readCompactString("member_id")
            groupInstanceId = try buffer.readCompactNullableString("group_instance_id")
        }
        guard flexible else {
            topics = try buffer.readKafkaArray("topics") { buffer in
                Topic(name: try buffer.readKafkaString("name"), partitions: try buffer.readKafkaArray("partitions") { buffer in
                    let index = try buffer.readInt32("partition_index")
                    let offset = try buffer.readInt64("committed_offset")
                    let epoch = version >= 2 ? try buffer.readInt32("committed_leader_epoch") : -1
                    return Partition(partitionIndex: index, committedOffset: offset, committedLeaderEpoch: epoch,
                                     committedMetadata: try buffer.readNullableKafkaString("committed_metadata"))
                })
            }
            return
        }
        var topics: [Topic] = []
        for _ in 0..<(try buffer.readCompactArrayCount("topics") ?? 0) {
            let name = try buffer.readCompactString("name")
            var partitions: [Partition] = []
            for _ in 0..<(try buffer.readCompactArrayCount("partitions") ?? 0) {
                let index = try buffer.readInt32("partition_index")
                let offset = try buffer.readInt64("committed_offset")
                let epoch = try buffer.readInt32("committed_leader_epoch")
                let metadata = try buffer.readCompactNullableString("committed_metadata")
                try buffer.skipTaggedFields()
                partitions.append(Partition(partitionIndex: index, committedOffset: offset, committedLeaderEpoch: epoch, committedMetadata: metadata))
            }
            try buffer.skipTaggedFields()
            topics.append(Topic(name: name, partitions: partitions))
        }
        self.topics = topics
        try buffer.skipTaggedFields()
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        guard Self.apiKey.isFlexible(version) else {
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
            return
        }
        buffer.writeCompactString(transactionalId)
        buffer.writeCompactString(groupId)
        buffer.writeInt64(producerId)
        buffer.writeInt16(producerEpoch)
        buffer.writeInt32(generationId)
        buffer.writeCompactString(memberId)
        buffer.writeCompactNullableString(groupInstanceId)
        buffer.writeCompactArray(topics) { buffer, topic in
            buffer.writeCompactString(topic.name)
            buffer.writeCompactArray(topic.partitions) { buffer, partition in
                buffer.writeInt32(partition.partitionIndex)
                buffer.writeInt64(partition.committedOffset)
                buffer.writeInt32(partition.committedLeaderEpoch)
                buffer.writeCompactNullableString(partition.committedMetadata)
                buffer.writeEmptyTaggedFields()
            }
            buffer.writeEmptyTaggedFields()
        }
        buffer.writeEmptyTaggedFields()
    }
}

/// The response: an error per partition; v3 is flexible.
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
        guard Self.apiKey.isFlexible(version) else {
            topics = try buffer.readTopicPartitionErrors("topics")
            return
        }
        var topics: [TopicPartitionErrors] = []
        for _ in 0..<(try buffer.readCompactArrayCount("topics") ?? 0) {
            let name = try buffer.readCompactString("name")
            var partitions: [PartitionError] = []
            for _ in 0..<(try buffer.readCompactArrayCount("partitions") ?? 0) {
                partitions.append(PartitionError(partitionIndex: try buffer.readInt32("partition_index"), errorCode: try buffer.readInt16("error_code")))
                try buffer.skipTaggedFields()
            }
            try buffer.skipTaggedFields()
            topics.append(TopicPartitionErrors(name: name, partitions: partitions))
        }
        self.topics = topics
        try buffer.skipTaggedFields()
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(throttleTimeMs)
        guard Self.apiKey.isFlexible(version) else {
            buffer.writeTopicPartitionErrors(topics)
            return
        }
        buffer.writeCompactArray(topics) { buffer, topic in
            buffer.writeCompactString(topic.name)
            buffer.writeCompactArray(topic.partitions) { buffer, partition in
                buffer.writeInt32(partition.partitionIndex)
                buffer.writeInt16(partition.errorCode)
                buffer.writeEmptyTaggedFields()
            }
            buffer.writeEmptyTaggedFields()
        }
        buffer.writeEmptyTaggedFields()
    }
}
