import NIOCore

/// An ElectLeaders election type by kafka-leader-election's name for it (`--election-type`).
public enum ElectionType: Int8, CaseIterable, Sendable {
    /// The first assigned replica, if alive and in sync.
    case preferred = 0
    /// Partitions without a live leader: a live ISR member, else any live replica (data may be lost).
    case unclean = 1

    public var name: String { self == .preferred ? "preferred" : "unclean" }

    /// `preferred` or `unclean`, in any case (kafka-leader-election writes PREFERRED, UNCLEAN).
    public init?(name: String) {
        guard let type = Self.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = type
    }
}

/// ElectLeaders (key 43), v0–2 (v2 is v1's flexible form). v1 adds the election type
/// (0 preferred, 1 unclean) and a top-level error code. Null partitions mean every partition.
public struct ElectLeadersRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.electLeaders

    public struct TopicPartitions: Sendable, Equatable {
        public var topic: String
        public var partitions: [Int32]
        public init(topic: String, partitions: [Int32]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    /// v1+; v0 is always a preferred election.
    public var electionType: Int8
    public var topicPartitions: [TopicPartitions]?
    public var timeoutMs: Int32

    public init(electionType: Int8 = 0, topicPartitions: [TopicPartitions]?, timeoutMs: Int32) {
        self.electionType = electionType
        self.topicPartitions = topicPartitions
        self.timeoutMs = timeoutMs
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.apiKey.isFlexible(version)
        electionType = version >= 1 ? try buffer.readInt8("election_type") : 0
        topicPartitions = try buffer.readNullableKafkaArray("topic_partitions", compact: flexible) { buffer in
            let entry = TopicPartitions(topic: try buffer.readKafkaString("topic", compact: flexible),
                                        partitions: try buffer.readKafkaArray("partitions", compact: flexible) { try $0.readInt32("partition") })
            try buffer.skipTaggedFields(if: flexible)
            return entry
        }
        timeoutMs = try buffer.readInt32("timeout_ms")
        try buffer.skipTaggedFields(if: flexible)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = Self.apiKey.isFlexible(version)
        if version >= 1 { buffer.writeInt8(electionType) }
        buffer.writeNullableKafkaArray(topicPartitions, compact: flexible) { buffer, entry in
            buffer.writeKafkaString(entry.topic, compact: flexible)
            buffer.writeKafkaArray(entry.partitions, compact: flexible) { $0.writeInt32($1) }
            buffer.writeEmptyTaggedFields(if: flexible)
        }
        buffer.writeInt32(timeoutMs)
        buffer.writeEmptyTaggedFields(if: flexible)
    }
}

public struct ElectLeadersResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.electLeaders

    public struct PartitionResult: Sendable, Equatable {
        public var partitionId: Int32
        public var errorCode: Int16
        public var errorMessage: String?
        public init(partitionId: Int32, errorCode: Int16, errorMessage: String? = nil) {
            self.partitionId = partitionId
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }
    }

    public struct TopicResult: Sendable, Equatable {
        public var topic: String
        public var partitions: [PartitionResult]
        public init(topic: String, partitions: [PartitionResult]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    public var throttleTimeMs: Int32
    /// v1+.
    public var errorCode: Int16
    public var results: [TopicResult]

    public init(throttleTimeMs: Int32 = 0, errorCode: Int16 = 0, results: [TopicResult]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.results = results
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.apiKey.isFlexible(version)
        throttleTimeMs = try buffer.readInt32("throttle_time_ms")
        errorCode = version >= 1 ? try buffer.readInt16("error_code") : 0
        results = try buffer.readKafkaArray("replica_election_results", compact: flexible) { buffer in
            let result = TopicResult(topic: try buffer.readKafkaString("topic", compact: flexible),
                                     partitions: try buffer.readKafkaArray("partition_result", compact: flexible) { buffer in
                                         let partition = PartitionResult(partitionId: try buffer.readInt32("partition_id"),
                                                                         errorCode: try buffer.readInt16("error_code"),
                                                                         errorMessage: try buffer.readNullableKafkaString("error_message", compact: flexible))
                                         try buffer.skipTaggedFields(if: flexible)
                                         return partition
                                     })
            try buffer.skipTaggedFields(if: flexible)
            return result
        }
        try buffer.skipTaggedFields(if: flexible)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = Self.apiKey.isFlexible(version)
        buffer.writeInt32(throttleTimeMs)
        if version >= 1 { buffer.writeInt16(errorCode) }
        buffer.writeKafkaArray(results, compact: flexible) { buffer, result in
            buffer.writeKafkaString(result.topic, compact: flexible)
            buffer.writeKafkaArray(result.partitions, compact: flexible) { buffer, partition in
                buffer.writeInt32(partition.partitionId)
                buffer.writeInt16(partition.errorCode)
                buffer.writeNullableKafkaString(partition.errorMessage, compact: flexible)
                buffer.writeEmptyTaggedFields(if: flexible)
            }
            buffer.writeEmptyTaggedFields(if: flexible)
        }
        buffer.writeEmptyTaggedFields(if: flexible)
    }
}
