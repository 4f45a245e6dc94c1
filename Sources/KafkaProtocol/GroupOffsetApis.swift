import NIOCore

/// OffsetCommit (key 8), v0–7.
public struct OffsetCommitRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.offsetCommit

    public struct Partition: Sendable, Equatable {
        public var partitionIndex: Int32
        public var committedOffset: Int64
        public var committedLeaderEpoch: Int32
        public var commitTimestamp: Int64
        public var committedMetadata: String?
        public init(partitionIndex: Int32, committedOffset: Int64, committedLeaderEpoch: Int32 = -1, commitTimestamp: Int64 = -1,
                    committedMetadata: String? = nil) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.commitTimestamp = commitTimestamp
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

    public var groupId: String
    public var generationId: Int32
    public var memberId: String
    public var groupInstanceId: String?
    public var retentionTimeMs: Int64
    public var topics: [Topic]

    public init(groupId: String, generationId: Int32 = -1, memberId: String = "", groupInstanceId: String? = nil, retentionTimeMs: Int64 = -1,
                topics: [Topic]) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.retentionTimeMs = retentionTimeMs
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        groupId = try buffer.readKafkaString("group_id")
        generationId = version >= 1 ? try buffer.readInt32("generation_id") : -1
        memberId = version >= 1 ? try buffer.readKafkaString("member_id") : ""
        groupInstanceId = version >= 7 ? try buffer.readNullableKafkaString("group_instance_id") : nil
        retentionTimeMs = (2...4).contains(version) ? try buffer.readInt64("retention_time_ms") : -1
        topics = try buffer.readKafkaArray("topics") { buffer in
            Topic(name: try buffer.readKafkaString("name"), partitions: try buffer.readKafkaArray("partitions") { buffer in
                let index = try buffer.readInt32("partition_index")
                let offset = try buffer.readInt64("committed_offset")
                let epoch = version >= 6 ? try buffer.readInt32("committed_leader_epoch") : -1
                let timestamp = version == 1 ? try buffer.readInt64("commit_timestamp") : -1
                return Partition(partitionIndex: index, committedOffset: offset, committedLeaderEpoch: epoch, commitTimestamp: timestamp,
                                 committedMetadata: try buffer.readNullableKafkaString("committed_metadata"))
            })
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(groupId)
        if version >= 1 {
            buffer.writeInt32(generationId)
            buffer.writeKafkaString(memberId)
        }
        if version >= 7 { buffer.writeNullableKafkaString(groupInstanceId) }
        if (2...4).contains(version) { buffer.writeInt64(retentionTimeMs) }
        buffer.writeKafkaArray(topics) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitions) { buffer, partition in
                buffer.writeInt32(partition.partitionIndex)
                buffer.writeInt64(partition.committedOffset)
                if version >= 6 { buffer.writeInt32(partition.committedLeaderEpoch) }
                if version == 1 { buffer.writeInt64(partition.commitTimestamp) }
                buffer.writeNullableKafkaString(partition.committedMetadata)
            }
        }
    }
}

/// The per-partition error answer shared by OffsetCommit's response.
public struct OffsetCommitResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.offsetCommit

    public struct Partition: Sendable, Equatable {
        public var partitionIndex: Int32
        public var errorCode: Int16
        public init(partitionIndex: Int32, errorCode: Int16) {
            self.partitionIndex = partitionIndex
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
        throttleTimeMs = version >= 3 ? try buffer.readInt32("throttle_time_ms") : 0
        topics = try buffer.readKafkaArray("topics") { buffer in
            Topic(name: try buffer.readKafkaString("name"), partitions: try buffer.readKafkaArray("partitions") { buffer in
                Partition(partitionIndex: try buffer.readInt32("partition_index"), errorCode: try buffer.readInt16("error_code"))
            })
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        if version >= 3 { buffer.writeInt32(throttleTimeMs) }
        buffer.writeKafkaArray(topics) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitions) { buffer, partition in
                buffer.writeInt32(partition.partitionIndex)
                buffer.writeInt16(partition.errorCode)
            }
        }
    }
}

/// OffsetFetch (key 9), v0–5. A null topic list (v2+) asks for every committed partition.
public struct OffsetFetchRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.offsetFetch

    public struct Topic: Sendable, Equatable {
        public var name: String
        public var partitionIndexes: [Int32]
        public init(name: String, partitionIndexes: [Int32]) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }
    }

    public var groupId: String
    public var topics: [Topic]?

    public init(groupId: String, topics: [Topic]?) {
        self.groupId = groupId
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        groupId = try buffer.readKafkaString("group_id")
        let read: (inout ByteBuffer) throws -> Topic = { buffer in
            Topic(name: try buffer.readKafkaString("name"), partitionIndexes: try buffer.readKafkaArray("partition_indexes") { try $0.readInt32("partition") })
        }
        topics = version >= 2 ? try buffer.readNullableKafkaArray("topics", read) : try buffer.readKafkaArray("topics", read)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(groupId)
        let write: (inout ByteBuffer, Topic) -> Void = { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitionIndexes) { $0.writeInt32($1) }
        }
        if version >= 2 { buffer.writeNullableKafkaArray(topics, write) } else { buffer.writeKafkaArray(topics ?? [], write) }
    }
}

public struct OffsetFetchResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.offsetFetch

    public struct Partition: Sendable, Equatable {
        public var partitionIndex: Int32
        public var committedOffset: Int64
        public var committedLeaderEpoch: Int32
        public var metadata: String?
        public var errorCode: Int16
        public init(partitionIndex: Int32, committedOffset: Int64, committedLeaderEpoch: Int32 = -1, metadata: String? = nil, errorCode: Int16) {
            self.partitionIndex = partitionIndex
            self.committedOffset = committedOffset
            self.committedLeaderEpoch = committedLeaderEpoch
            self.metadata = metadata
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
    public var errorCode: Int16

    public init(throttleTimeMs: Int32 = 0, topics: [Topic], errorCode: Int16 = 0) {
        self.throttleTimeMs = throttleTimeMs
        self.topics = topics
        self.errorCode = errorCode
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = version >= 3 ? try buffer.readInt32("throttle_time_ms") : 0
        topics = try buffer.readKafkaArray("topics") { buffer in
            Topic(name: try buffer.readKafkaString("name"), partitions: try buffer.readKafkaArray("partitions") { buffer in
                let index = try buffer.readInt32("partition_index")
                let offset = try buffer.readInt64("committed_offset")
                let epoch = version >= 5 ? try buffer.readInt32("committed_leader_epoch") : -1
                return Partition(partitionIndex: index, committedOffset: offset, committedLeaderEpoch: epoch,
                                 metadata: try buffer.readNullableKafkaString("metadata"), errorCode: try buffer.readInt16("error_code"))
            })
        }
        errorCode = version >= 2 ? try buffer.readInt16("error_code") : 0
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        if version >= 3 { buffer.writeInt32(throttleTimeMs) }
        buffer.writeKafkaArray(topics) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitions) { buffer, partition in
                buffer.writeInt32(partition.partitionIndex)
                buffer.writeInt64(partition.committedOffset)
                if version >= 5 { buffer.writeInt32(partition.committedLeaderEpoch) }
                buffer.writeNullableKafkaString(partition.metadata)
                buffer.writeInt16(partition.errorCode)
            }
        }
        if version >= 2 { buffer.writeInt16(errorCode) }
    }
}
