import NIOCore

/// AlterPartitionReassignments (key 45), v0–1, flexible at every version (KIP-455; v1 adds
/// `allowReplicationFactorChange`, KIP-860): move partitions to new replica sets, or cancel a move
/// with null replicas. Answered once each move has started, not when it completes.
public struct AlterPartitionReassignmentsRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.alterPartitionReassignments

    public struct Partition: Sendable, Equatable {
        public var partitionIndex: Int32
        /// The target replicas, the first preferred; nil cancels the partition's reassignment.
        public var replicas: [Int32]?
        public init(partitionIndex: Int32, replicas: [Int32]?) {
            self.partitionIndex = partitionIndex
            self.replicas = replicas
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

    public var timeoutMs: Int32
    /// v1+: false refuses a move that changes a partition's replica count; v0 always allows it.
    public var allowReplicationFactorChange: Bool
    public var topics: [Topic]

    public init(timeoutMs: Int32 = 60_000, allowReplicationFactorChange: Bool = true, topics: [Topic]) {
        self.timeoutMs = timeoutMs
        self.allowReplicationFactorChange = allowReplicationFactorChange
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        timeoutMs = try buffer.readInt32("timeout_ms")
        allowReplicationFactorChange = version >= 1 ? try buffer.readBool("allow_replication_factor_change") : true
        var topics: [Topic] = []
        for _ in 0..<(try buffer.readCompactArrayCount("topics") ?? 0) {
            var topic = Topic(name: try buffer.readCompactString("name"), partitions: [])
            for _ in 0..<(try buffer.readCompactArrayCount("partitions") ?? 0) {
                let index = try buffer.readInt32("partition_index")
                var replicas: [Int32]?
                if let count = try buffer.readCompactArrayCount("replicas") {
                    replicas = try (0..<count).map { _ in try buffer.readInt32("replica") }
                }
                try buffer.skipTaggedFields()
                topic.partitions.append(Partition(partitionIndex: index, replicas: replicas))
            }
            try buffer.skipTaggedFields()
            topics.append(topic)
        }
        self.topics = topics
        try buffer.skipTaggedFields()
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(timeoutMs)
        if version >= 1 { buffer.writeBool(allowReplicationFactorChange) }
        buffer.writeCompactArray(topics) { buffer, topic in
            buffer.writeCompactString(topic.name)
            buffer.writeCompactArray(topic.partitions) { buffer, partition in
                buffer.writeInt32(partition.partitionIndex)
                if let replicas = partition.replicas {
                    buffer.writeCompactArray(replicas) { $0.writeInt32($1) }
                } else {
                    buffer.writeUnsignedVarint(0)
                }
                buffer.writeEmptyTaggedFields()
            }
            buffer.writeEmptyTaggedFields()
        }
        buffer.writeEmptyTaggedFields()
    }
}

public struct AlterPartitionReassignmentsResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.alterPartitionReassignments

    public struct Partition: Sendable, Equatable {
        public var partitionIndex: Int32
        public var errorCode: Int16
        public var errorMessage: String?
        public init(partitionIndex: Int32, errorCode: Int16, errorMessage: String? = nil) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.errorMessage = errorMessage
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
    /// v1+: echoes the request's option.
    public var allowReplicationFactorChange: Bool
    public var errorCode: Int16
    public var errorMessage: String?
    public var responses: [Topic]

    public init(throttleTimeMs: Int32 = 0, allowReplicationFactorChange: Bool = true, errorCode: Int16 = 0, errorMessage: String? = nil,
                responses: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.allowReplicationFactorChange = allowReplicationFactorChange
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.responses = responses
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = try buffer.readInt32("throttle_time_ms")
        allowReplicationFactorChange = version >= 1 ? try buffer.readBool("allow_replication_factor_change") : true
        errorCode = try buffer.readInt16("error_code")
        errorMessage = try buffer.readCompactNullableString("error_message")
        var topics: [Topic] = []
        for _ in 0..<(try buffer.readCompactArrayCount("responses") ?? 0) {
            var topic = Topic(name: try buffer.readCompactString("name"), partitions: [])
            for _ in 0..<(try buffer.readCompactArrayCount("partitions") ?? 0) {
                let partition = Partition(partitionIndex: try buffer.readInt32("partition_index"), errorCode: try buffer.readInt16("error_code"),
                                          errorMessage: try buffer.readCompactNullableString("error_message"))
                try buffer.skipTaggedFields()
                topic.partitions.append(partition)
            }
            try buffer.skipTaggedFields()
            topics.append(topic)
        }
        responses = topics
        try buffer.skipTaggedFields()
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(throttleTimeMs)
        if version >= 1 { buffer.writeBool(allowReplicationFactorChange) }
        buffer.writeInt16(errorCode)
        buffer.writeCompactNullableString(errorMessage)
        buffer.writeCompactArray(responses) { buffer, topic in
            buffer.writeCompactString(topic.name)
            buffer.writeCompactArray(topic.partitions) { buffer, partition in
                buffer.writeInt32(partition.partitionIndex)
                buffer.writeInt16(partition.errorCode)
                buffer.writeCompactNullableString(partition.errorMessage)
                buffer.writeEmptyTaggedFields()
            }
            buffer.writeEmptyTaggedFields()
        }
        buffer.writeEmptyTaggedFields()
    }
}

/// ListPartitionReassignments (key 46), v0, flexible (KIP-455): the reassignments in progress, for
/// the named partitions or (null topics) for every partition.
public struct ListPartitionReassignmentsRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.listPartitionReassignments

    public struct Topic: Sendable, Equatable {
        public var name: String
        public var partitionIndexes: [Int32]
        public init(name: String, partitionIndexes: [Int32]) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }
    }

    public var timeoutMs: Int32
    /// Nil lists every reassignment.
    public var topics: [Topic]?

    public init(timeoutMs: Int32 = 60_000, topics: [Topic]?) {
        self.timeoutMs = timeoutMs
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        timeoutMs = try buffer.readInt32("timeout_ms")
        if let count = try buffer.readCompactArrayCount("topics") {
            var topics: [Topic] = []
            for _ in 0..<count {
                let name = try buffer.readCompactString("name")
                let indexes = try (0..<(try buffer.readCompactArrayCount("partition_indexes") ?? 0)).map { _ in try buffer.readInt32("partition_index") }
                try buffer.skipTaggedFields()
                topics.append(Topic(name: name, partitionIndexes: indexes))
            }
            self.topics = topics
        } else {
            topics = nil
        }
        try buffer.skipTaggedFields()
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(timeoutMs)
        if let topics {
            buffer.writeCompactArray(topics) { buffer, topic in
                buffer.writeCompactString(topic.name)
                buffer.writeCompactArray(topic.partitionIndexes) { $0.writeInt32($1) }
                buffer.writeEmptyTaggedFields()
            }
        } else {
            buffer.writeUnsignedVarint(0)
        }
        buffer.writeEmptyTaggedFields()
    }
}

public struct ListPartitionReassignmentsResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.listPartitionReassignments

    public struct Partition: Sendable, Equatable {
        public var partitionIndex: Int32
        /// The full replica set while the move lasts: the target and the replicas leaving.
        public var replicas: [Int32]
        public var addingReplicas: [Int32]
        public var removingReplicas: [Int32]
        public init(partitionIndex: Int32, replicas: [Int32], addingReplicas: [Int32], removingReplicas: [Int32]) {
            self.partitionIndex = partitionIndex
            self.replicas = replicas
            self.addingReplicas = addingReplicas
            self.removingReplicas = removingReplicas
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
    public var errorCode: Int16
    public var errorMessage: String?
    public var topics: [Topic]

    public init(throttleTimeMs: Int32 = 0, errorCode: Int16 = 0, errorMessage: String? = nil, topics: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = try buffer.readInt32("throttle_time_ms")
        errorCode = try buffer.readInt16("error_code")
        errorMessage = try buffer.readCompactNullableString("error_message")
        func brokers(_ field: String) throws -> [Int32] {
            try (0..<(try buffer.readCompactArrayCount(field) ?? 0)).map { _ in try buffer.readInt32(field) }
        }
        var topics: [Topic] = []
        for _ in 0..<(try buffer.readCompactArrayCount("topics") ?? 0) {
            var topic = Topic(name: try buffer.readCompactString("name"), partitions: [])
            for _ in 0..<(try buffer.readCompactArrayCount("partitions") ?? 0) {
                let index = try buffer.readInt32("partition_index")
                let partition = Partition(partitionIndex: index, replicas: try brokers("replicas"), addingReplicas: try brokers("adding_replicas"),
                                          removingReplicas: try brokers("removing_replicas"))
                try buffer.skipTaggedFields()
                topic.partitions.append(partition)
            }
            try buffer.skipTaggedFields()
            topics.append(topic)
        }
        self.topics = topics
        try buffer.skipTaggedFields()
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(throttleTimeMs)
        buffer.writeInt16(errorCode)
        buffer.writeCompactNullableString(errorMessage)
        buffer.writeCompactArray(topics) { buffer, topic in
            buffer.writeCompactString(topic.name)
            buffer.writeCompactArray(topic.partitions) { buffer, partition in
                buffer.writeInt32(partition.partitionIndex)
                buffer.writeCompactArray(partition.replicas) { $0.writeInt32($1) }
                buffer.writeCompactArray(partition.addingReplicas) { $0.writeInt32($1) }
                buffer.writeCompactArray(partition.removingReplicas) { $0.writeInt32($1) }
                buffer.writeEmptyTaggedFields()
            }
            buffer.writeEmptyTaggedFields()
        }
        buffer.writeEmptyTaggedFields()
    }
}
