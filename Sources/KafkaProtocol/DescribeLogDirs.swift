import NIOCore

/// DescribeLogDirs (key 35), v0–4 (v1 has v0's layout; v2+ are flexible; v3 and v4 requests have
/// v2's layout). Null topics ask for every partition the broker hosts.
public struct DescribeLogDirsRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.describeLogDirs

    public struct Topic: Sendable, Equatable {
        public var topic: String
        public var partitions: [Int32]
        public init(topic: String, partitions: [Int32]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    public var topics: [Topic]?

    public init(topics: [Topic]?) { self.topics = topics }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.apiKey.isFlexible(version)
        topics = try buffer.readNullableKafkaArray("topics", compact: flexible) { buffer in
            let topic = Topic(topic: try buffer.readKafkaString("topic", compact: flexible),
                              partitions: try buffer.readKafkaArray("partitions", compact: flexible) { try $0.readInt32("partition") })
            try buffer.skipTaggedFields(if: flexible)
            return topic
        }
        try buffer.skipTaggedFields(if: flexible)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = Self.apiKey.isFlexible(version)
        buffer.writeNullableKafkaArray(topics, compact: flexible) { buffer, topic in
            buffer.writeKafkaString(topic.topic, compact: flexible)
            buffer.writeKafkaArray(topic.partitions, compact: flexible) { $0.writeInt32($1) }
            buffer.writeEmptyTaggedFields(if: flexible)
        }
        buffer.writeEmptyTaggedFields(if: flexible)
    }
}

public struct DescribeLogDirsResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.describeLogDirs

    public struct Partition: Sendable, Equatable {
        public var partitionIndex: Int32
        public var partitionSize: Int64
        public var offsetLag: Int64
        public var isFutureKey: Bool
        public init(partitionIndex: Int32, partitionSize: Int64, offsetLag: Int64, isFutureKey: Bool = false) {
            self.partitionIndex = partitionIndex
            self.partitionSize = partitionSize
            self.offsetLag = offsetLag
            self.isFutureKey = isFutureKey
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

    public struct Result: Sendable, Equatable {
        public var errorCode: Int16
        public var logDir: String
        public var topics: [Topic]
        /// v4+: the file system's size and the bytes free to this process, -1 when unknown.
        public var totalBytes: Int64
        public var usableBytes: Int64
        public init(errorCode: Int16, logDir: String, topics: [Topic], totalBytes: Int64 = -1, usableBytes: Int64 = -1) {
            self.errorCode = errorCode
            self.logDir = logDir
            self.topics = topics
            self.totalBytes = totalBytes
            self.usableBytes = usableBytes
        }
    }

    public var throttleTimeMs: Int32
    /// v3+: an error for the whole request.
    public var errorCode: Int16
    public var results: [Result]

    public init(throttleTimeMs: Int32 = 0, errorCode: Int16 = 0, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.results = results
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.apiKey.isFlexible(version)
        throttleTimeMs = try buffer.readInt32("throttle_time_ms")
        errorCode = version >= 3 ? try buffer.readInt16("error_code") : 0
        results = try buffer.readKafkaArray("results", compact: flexible) { buffer in
            var result = Result(
                errorCode: try buffer.readInt16("error_code"), logDir: try buffer.readKafkaString("log_dir", compact: flexible),
                topics: try buffer.readKafkaArray("topics", compact: flexible) { buffer in
                    let topic = Topic(name: try buffer.readKafkaString("name", compact: flexible),
                                      partitions: try buffer.readKafkaArray("partitions", compact: flexible) { buffer in
                                          let partition = Partition(partitionIndex: try buffer.readInt32("partition_index"),
                                                                    partitionSize: try buffer.readInt64("partition_size"),
                                                                    offsetLag: try buffer.readInt64("offset_lag"),
                                                                    isFutureKey: try buffer.readBool("is_future_key"))
                                          try buffer.skipTaggedFields(if: flexible)
                                          return partition
                                      })
                    try buffer.skipTaggedFields(if: flexible)
                    return topic
                })
            if version >= 4 {
                result.totalBytes = try buffer.readInt64("total_bytes")
                result.usableBytes = try buffer.readInt64("usable_bytes")
            }
            try buffer.skipTaggedFields(if: flexible)
            return result
        }
        try buffer.skipTaggedFields(if: flexible)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = Self.apiKey.isFlexible(version)
        buffer.writeInt32(throttleTimeMs)
        if version >= 3 { buffer.writeInt16(errorCode) }
        buffer.writeKafkaArray(results, compact: flexible) { buffer, result in
            buffer.writeInt16(result.errorCode)
            buffer.writeKafkaString(result.logDir, compact: flexible)
            buffer.writeKafkaArray(result.topics, compact: flexible) { buffer, topic in
                buffer.writeKafkaString(topic.name, compact: flexible)
                buffer.writeKafkaArray(topic.partitions, compact: flexible) { buffer, partition in
                    buffer.writeInt32(partition.partitionIndex)
                    buffer.writeInt64(partition.partitionSize)
                    buffer.writeInt64(partition.offsetLag)
                    buffer.writeBool(partition.isFutureKey)
                    buffer.writeEmptyTaggedFields(if: flexible)
                }
                buffer.writeEmptyTaggedFields(if: flexible)
            }
            if version >= 4 {
                buffer.writeInt64(result.totalBytes)
                buffer.writeInt64(result.usableBytes)
            }
            buffer.writeEmptyTaggedFields(if: flexible)
        }
        buffer.writeEmptyTaggedFields(if: flexible)
    }
}
