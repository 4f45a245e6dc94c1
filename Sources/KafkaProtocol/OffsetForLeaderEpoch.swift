import NIOCore

/// OffsetForLeaderEpoch (key 23), v0–3: a follower asks where an epoch ends in the leader's log
/// (KIP-101, KIP-279). `currentLeaderEpoch` (v2+) fences requests from stale followers.
public struct OffsetForLeaderEpochRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.offsetForLeaderEpoch

    public struct Partition: Sendable, Equatable {
        public var partition: Int32
        public var currentLeaderEpoch: Int32
        public var leaderEpoch: Int32
        public init(partition: Int32, currentLeaderEpoch: Int32 = -1, leaderEpoch: Int32) {
            self.partition = partition
            self.currentLeaderEpoch = currentLeaderEpoch
            self.leaderEpoch = leaderEpoch
        }
    }

    public struct Topic: Sendable, Equatable {
        public var topic: String
        public var partitions: [Partition]
        public init(topic: String, partitions: [Partition]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    public var replicaId: Int32
    public var topics: [Topic]

    public init(replicaId: Int32 = -2, topics: [Topic]) {
        self.replicaId = replicaId
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        replicaId = version >= 3 ? try buffer.readInt32("replica_id") : -2
        topics = try buffer.readKafkaArray("topics") { buffer in
            Topic(topic: try buffer.readKafkaString("topic"), partitions: try buffer.readKafkaArray("partitions") { buffer in
                let partition = try buffer.readInt32("partition")
                let current = version >= 2 ? try buffer.readInt32("current_leader_epoch") : -1
                return Partition(partition: partition, currentLeaderEpoch: current, leaderEpoch: try buffer.readInt32("leader_epoch"))
            })
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        if version >= 3 { buffer.writeInt32(replicaId) }
        buffer.writeKafkaArray(topics) { buffer, topic in
            buffer.writeKafkaString(topic.topic)
            buffer.writeKafkaArray(topic.partitions) { buffer, partition in
                buffer.writeInt32(partition.partition)
                if version >= 2 { buffer.writeInt32(partition.currentLeaderEpoch) }
                buffer.writeInt32(partition.leaderEpoch)
            }
        }
    }
}

public struct OffsetForLeaderEpochResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.offsetForLeaderEpoch

    public struct Partition: Sendable, Equatable {
        public var errorCode: Int16
        public var partition: Int32
        public var leaderEpoch: Int32
        public var endOffset: Int64
        public init(errorCode: Int16, partition: Int32, leaderEpoch: Int32 = -1, endOffset: Int64 = -1) {
            self.errorCode = errorCode
            self.partition = partition
            self.leaderEpoch = leaderEpoch
            self.endOffset = endOffset
        }
    }

    public struct Topic: Sendable, Equatable {
        public var topic: String
        public var partitions: [Partition]
        public init(topic: String, partitions: [Partition]) {
            self.topic = topic
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
            Topic(topic: try buffer.readKafkaString("topic"), partitions: try buffer.readKafkaArray("partitions") { buffer in
                let error = try buffer.readInt16("error_code")
                let partition = try buffer.readInt32("partition")
                let epoch = version >= 1 ? try buffer.readInt32("leader_epoch") : -1
                return Partition(errorCode: error, partition: partition, leaderEpoch: epoch, endOffset: try buffer.readInt64("end_offset"))
            })
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        if version >= 2 { buffer.writeInt32(throttleTimeMs) }
        buffer.writeKafkaArray(topics) { buffer, topic in
            buffer.writeKafkaString(topic.topic)
            buffer.writeKafkaArray(topic.partitions) { buffer, partition in
                buffer.writeInt16(partition.errorCode)
                buffer.writeInt32(partition.partition)
                if version >= 1 { buffer.writeInt32(partition.leaderEpoch) }
                buffer.writeInt64(partition.endOffset)
            }
        }
    }
}
