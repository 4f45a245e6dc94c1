import NIOCore

/// ListOffsets (key 2), v0–5. Timestamps -1 (latest) and -2 (earliest) are special. v0 answers with
/// an array of offsets; v1+ with one offset and its timestamp.
public struct ListOffsetsRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.listOffsets

    public struct Partition: Sendable, Equatable {
        public var partitionIndex: Int32
        public var currentLeaderEpoch: Int32
        public var timestamp: Int64
        public var maxNumOffsets: Int32
        public init(partitionIndex: Int32, currentLeaderEpoch: Int32 = -1, timestamp: Int64, maxNumOffsets: Int32 = 1) {
            self.partitionIndex = partitionIndex
            self.currentLeaderEpoch = currentLeaderEpoch
            self.timestamp = timestamp
            self.maxNumOffsets = maxNumOffsets
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

    public var replicaId: Int32
    public var isolationLevel: Int8
    public var topics: [Topic]

    public init(replicaId: Int32 = -1, isolationLevel: Int8 = 0, topics: [Topic]) {
        self.replicaId = replicaId
        self.isolationLevel = isolationLevel
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        replicaId = try buffer.readInt32("replica_id")
        isolationLevel = version >= 2 ? try buffer.readInt8("isolation_level") : 0
        topics = try buffer.readKafkaArray("topics") { buffer in
            Topic(name: try buffer.readKafkaString("name"), partitions: try buffer.readKafkaArray("partitions") { buffer in
                let index = try buffer.readInt32("partition_index")
                let epoch = version >= 4 ? try buffer.readInt32("current_leader_epoch") : -1
                let timestamp = try buffer.readInt64("timestamp")
                let maxNum = version == 0 ? try buffer.readInt32("max_num_offsets") : 1
                return Partition(partitionIndex: index, currentLeaderEpoch: epoch, timestamp: timestamp, maxNumOffsets: maxNum)
            })
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(replicaId)
        if version >= 2 { buffer.writeInt8(isolationLevel) }
        buffer.writeKafkaArray(topics) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitions) { buffer, partition in
                buffer.writeInt32(partition.partitionIndex)
                if version >= 4 { buffer.writeInt32(partition.currentLeaderEpoch) }
                buffer.writeInt64(partition.timestamp)
                if version == 0 { buffer.writeInt32(partition.maxNumOffsets) }
            }
        }
    }
}

public struct ListOffsetsResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.listOffsets

    public struct Partition: Sendable, Equatable {
        public var partitionIndex: Int32
        public var errorCode: Int16
        public var oldStyleOffsets: [Int64]
        public var timestamp: Int64
        public var offset: Int64
        public var leaderEpoch: Int32
        public init(partitionIndex: Int32, errorCode: Int16, oldStyleOffsets: [Int64] = [], timestamp: Int64 = -1, offset: Int64 = -1, leaderEpoch: Int32 = -1) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.oldStyleOffsets = oldStyleOffsets
            self.timestamp = timestamp
            self.offset = offset
            self.leaderEpoch = leaderEpoch
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
        throttleTimeMs = version >= 2 ? try buffer.readInt32("throttle_time_ms") : 0
        topics = try buffer.readKafkaArray("topics") { buffer in
            Topic(name: try buffer.readKafkaString("name"), partitions: try buffer.readKafkaArray("partitions") { buffer in
                var partition = Partition(partitionIndex: try buffer.readInt32("partition_index"), errorCode: try buffer.readInt16("error_code"))
                if version == 0 { partition.oldStyleOffsets = try buffer.readKafkaArray("old_style_offsets") { try $0.readInt64("offset") } }
                if version >= 1 {
                    partition.timestamp = try buffer.readInt64("timestamp")
                    partition.offset = try buffer.readInt64("offset")
                }
                if version >= 4 { partition.leaderEpoch = try buffer.readInt32("leader_epoch") }
                return partition
            })
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        if version >= 2 { buffer.writeInt32(throttleTimeMs) }
        buffer.writeKafkaArray(topics) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitions) { buffer, partition in
                buffer.writeInt32(partition.partitionIndex)
                buffer.writeInt16(partition.errorCode)
                if version == 0 { buffer.writeKafkaArray(partition.oldStyleOffsets) { $0.writeInt64($1) } }
                if version >= 1 {
                    buffer.writeInt64(partition.timestamp)
                    buffer.writeInt64(partition.offset)
                }
                if version >= 4 { buffer.writeInt32(partition.leaderEpoch) }
            }
        }
    }
}
