import NIOCore

/// DescribeLogDirs (key 35), v0–1 (v1 has v0's layout; v2 is the first flexible version). Null
/// topics ask for every partition the broker hosts.
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
        topics = try buffer.readNullableKafkaArray("topics") { buffer in
            Topic(topic: try buffer.readKafkaString("topic"), partitions: try buffer.readKafkaArray("partitions") { try $0.readInt32("partition") })
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeNullableKafkaArray(topics) { buffer, topic in
            buffer.writeKafkaString(topic.topic)
            buffer.writeKafkaArray(topic.partitions) { $0.writeInt32($1) }
        }
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
        public init(errorCode: Int16, logDir: String, topics: [Topic]) {
            self.errorCode = errorCode
            self.logDir = logDir
            self.topics = topics
        }
    }

    public var throttleTimeMs: Int32
    public var results: [Result]

    public init(throttleTimeMs: Int32 = 0, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = try buffer.readInt32("throttle_time_ms")
        results = try buffer.readKafkaArray("results") { buffer in
            Result(errorCode: try buffer.readInt16("error_code"), logDir: try buffer.readKafkaString("log_dir"),
                   topics: try buffer.readKafkaArray("topics") { buffer in
                       Topic(name: try buffer.readKafkaString("name"), partitions: try buffer.readKafkaArray("partitions") { buffer in
                           Partition(partitionIndex: try buffer.readInt32("partition_index"), partitionSize: try buffer.readInt64("partition_size"),
                                     offsetLag: try buffer.readInt64("offset_lag"), isFutureKey: try buffer.readBool("is_future_key"))
                       })
                   })
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(throttleTimeMs)
        buffer.writeKafkaArray(results) { buffer, result in
            buffer.writeInt16(result.errorCode)
            buffer.writeKafkaString(result.logDir)
            buffer.writeKafkaArray(result.topics) { buffer, topic in
                buffer.writeKafkaString(topic.name)
                buffer.writeKafkaArray(topic.partitions) { buffer, partition in
                    buffer.writeInt32(partition.partitionIndex)
                    buffer.writeInt64(partition.partitionSize)
                    buffer.writeInt64(partition.offsetLag)
                    buffer.writeBool(partition.isFutureKey)
                }
            }
        }
    }
}
