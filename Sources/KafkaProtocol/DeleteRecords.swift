import NIOCore

/// DeleteRecords (key 21), v0–2 (v1 has v0's layout; v2 is its flexible form): moves each
/// partition's log start offset up to `offset` (-1 means the high watermark).
public struct DeleteRecordsRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.deleteRecords

    public struct Partition: Sendable, Equatable {
        public var partitionIndex: Int32
        public var offset: Int64
        public init(partitionIndex: Int32, offset: Int64) {
            self.partitionIndex = partitionIndex
            self.offset = offset
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

    public var topics: [Topic]
    public var timeoutMs: Int32

    public init(topics: [Topic], timeoutMs: Int32) {
        self.topics = topics
        self.timeoutMs = timeoutMs
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.apiKey.isFlexible(version)
        topics = try buffer.readKafkaArray("topics", compact: flexible) { buffer in
            let topic = Topic(name: try buffer.readKafkaString("name", compact: flexible),
                              partitions: try buffer.readKafkaArray("partitions", compact: flexible) { buffer in
                                  let partition = Partition(partitionIndex: try buffer.readInt32("partition_index"), offset: try buffer.readInt64("offset"))
                                  try buffer.skipTaggedFields(if: flexible)
                                  return partition
                              })
            try buffer.skipTaggedFields(if: flexible)
            return topic
        }
        timeoutMs = try buffer.readInt32("timeout_ms")
        try buffer.skipTaggedFields(if: flexible)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = Self.apiKey.isFlexible(version)
        buffer.writeKafkaArray(topics, compact: flexible) { buffer, topic in
            buffer.writeKafkaString(topic.name, compact: flexible)
            buffer.writeKafkaArray(topic.partitions, compact: flexible) { buffer, partition in
                buffer.writeInt32(partition.partitionIndex)
                buffer.writeInt64(partition.offset)
                buffer.writeEmptyTaggedFields(if: flexible)
            }
            buffer.writeEmptyTaggedFields(if: flexible)
        }
        buffer.writeInt32(timeoutMs)
        buffer.writeEmptyTaggedFields(if: flexible)
    }
}

public struct DeleteRecordsResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.deleteRecords

    public struct Partition: Sendable, Equatable {
        public var partitionIndex: Int32
        /// The partition's log start offset after the deletion, -1 on error.
        public var lowWatermark: Int64
        public var errorCode: Int16
        public init(partitionIndex: Int32, lowWatermark: Int64, errorCode: Int16) {
            self.partitionIndex = partitionIndex
            self.lowWatermark = lowWatermark
            self.errorCode = errorCode
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

    public var throttleTimeMs: Int32
    public var topics: [Topic]

    public init(throttleTimeMs: Int32 = 0, topics: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.apiKey.isFlexible(version)
        throttleTimeMs = try buffer.readInt32("throttle_time_ms")
        topics = try buffer.readKafkaArray("topics", compact: flexible) { buffer in
            let topic = Topic(name: try buffer.readKafkaString("name", compact: flexible),
                              partitions: try buffer.readKafkaArray("partitions", compact: flexible) { buffer in
                                  let partition = Partition(partitionIndex: try buffer.readInt32("partition_index"),
                                                            lowWatermark: try buffer.readInt64("low_watermark"),
                                                            errorCode: try buffer.readInt16("error_code"))
                                  try buffer.skipTaggedFields(if: flexible)
                                  return partition
                              })
            try buffer.skipTaggedFields(if: flexible)
            return topic
        }
        try buffer.skipTaggedFields(if: flexible)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = Self.apiKey.isFlexible(version)
        buffer.writeInt32(throttleTimeMs)
        buffer.writeKafkaArray(topics, compact: flexible) { buffer, topic in
            buffer.writeKafkaString(topic.name, compact: flexible)
            buffer.writeKafkaArray(topic.partitions, compact: flexible) { buffer, partition in
                buffer.writeInt32(partition.partitionIndex)
                buffer.writeInt64(partition.lowWatermark)
                buffer.writeInt16(partition.errorCode)
                buffer.writeEmptyTaggedFields(if: flexible)
            }
            buffer.writeEmptyTaggedFields(if: flexible)
        }
        buffer.writeEmptyTaggedFields(if: flexible)
    }
}
