import NIOCore

/// CreateTopics (key 19), v0–7 (v5+ flexible; v6 and v7 requests have v5's layout). -1 partitions
/// or replication factor (v4+) mean the broker default.
public struct CreateTopicsRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.createTopics

    public struct Assignment: Sendable, Equatable {
        public var partitionIndex: Int32
        public var brokerIds: [Int32]
        public init(partitionIndex: Int32, brokerIds: [Int32]) {
            self.partitionIndex = partitionIndex
            self.brokerIds = brokerIds
        }
    }

    public struct Config: Sendable, Equatable {
        public var name: String
        public var value: String?
        public init(name: String, value: String?) {
            self.name = name
            self.value = value
        }
    }

    public struct Topic: Sendable, Equatable {
        public var name: String
        public var numPartitions: Int32
        public var replicationFactor: Int16
        public var assignments: [Assignment]
        public var configs: [Config]
        public init(name: String, numPartitions: Int32, replicationFactor: Int16, assignments: [Assignment] = [], configs: [Config] = []) {
            self.name = name
            self.numPartitions = numPartitions
            self.replicationFactor = replicationFactor
            self.assignments = assignments
            self.configs = configs
        }
    }

    public var topics: [Topic]
    public var timeoutMs: Int32
    public var validateOnly: Bool

    public init(topics: [Topic], timeoutMs: Int32, validateOnly: Bool = false) {
        self.topics = topics
        self.timeoutMs = timeoutMs
        self.validateOnly = validateOnly
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.apiKey.isFlexible(version)
        topics = try buffer.readKafkaArray("topics", compact: flexible) { buffer in
            let topic = Topic(
                name: try buffer.readKafkaString("name", compact: flexible), numPartitions: try buffer.readInt32("num_partitions"),
                replicationFactor: try buffer.readInt16("replication_factor"),
                assignments: try buffer.readKafkaArray("assignments", compact: flexible) { buffer in
                    let assignment = Assignment(partitionIndex: try buffer.readInt32("partition_index"),
                                                brokerIds: try buffer.readKafkaArray("broker_ids", compact: flexible) { try $0.readInt32("broker_id") })
                    try buffer.skipTaggedFields(if: flexible)
                    return assignment
                },
                configs: try buffer.readKafkaArray("configs", compact: flexible) { buffer in
                    let config = Config(name: try buffer.readKafkaString("config.name", compact: flexible),
                                        value: try buffer.readNullableKafkaString("config.value", compact: flexible))
                    try buffer.skipTaggedFields(if: flexible)
                    return config
                })
            try buffer.skipTaggedFields(if: flexible)
            return topic
        }
        timeoutMs = try buffer.readInt32("timeout_ms")
        validateOnly = version >= 1 ? try buffer.readBool("validate_only") : false
        try buffer.skipTaggedFields(if: flexible)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = Self.apiKey.isFlexible(version)
        buffer.writeKafkaArray(topics, compact: flexible) { buffer, topic in
            buffer.writeKafkaString(topic.name, compact: flexible)
            buffer.writeInt32(topic.numPartitions)
            buffer.writeInt16(topic.replicationFactor)
            buffer.writeKafkaArray(topic.assignments, compact: flexible) { buffer, assignment in
                buffer.writeInt32(assignment.partitionIndex)
                buffer.writeKafkaArray(assignment.brokerIds, compact: flexible) { $0.writeInt32($1) }
                buffer.writeEmptyTaggedFields(if: flexible)
            }
            buffer.writeKafkaArray(topic.configs, compact: flexible) { buffer, config in
                buffer.writeKafkaString(config.name, compact: flexible)
                buffer.writeNullableKafkaString(config.value, compact: flexible)
                buffer.writeEmptyTaggedFields(if: flexible)
            }
            buffer.writeEmptyTaggedFields(if: flexible)
        }
        buffer.writeInt32(timeoutMs)
        if version >= 1 { buffer.writeBool(validateOnly) }
        buffer.writeEmptyTaggedFields(if: flexible)
    }
}

/// v5+ (KIP-525) answers each created topic with its partition count, replication factor and
/// configs; v7 adds its topic id (zero when the broker keeps none, as Samsa's).
public struct CreateTopicsResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.createTopics

    public struct Config: Sendable, Equatable {
        public var name: String
        public var value: String?
        public var readOnly: Bool
        public var configSource: Int8
        public var isSensitive: Bool
        public init(name: String, value: String?, readOnly: Bool = false, configSource: Int8 = -1, isSensitive: Bool = false) {
            self.name = name
            self.value = value
            self.readOnly = readOnly
            self.configSource = configSource
            self.isSensitive = isSensitive
        }
    }

    public struct Topic: Sendable, Equatable {
        public var name: String
        /// v7+.
        public var topicId: KafkaUuid
        public var errorCode: Int16
        public var errorMessage: String?
        /// v5+, -1 when unknown (on error).
        public var numPartitions: Int32
        public var replicationFactor: Int16
        /// v5+, nil when unknown.
        public var configs: [Config]?
        public init(name: String, topicId: KafkaUuid = .zero, errorCode: Int16, errorMessage: String? = nil,
                    numPartitions: Int32 = -1, replicationFactor: Int16 = -1, configs: [Config]? = nil) {
            self.name = name
            self.topicId = topicId
            self.errorCode = errorCode
            self.errorMessage = errorMessage
            self.numPartitions = numPartitions
            self.replicationFactor = replicationFactor
            self.configs = configs
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
        throttleTimeMs = version >= 2 ? try buffer.readInt32("throttle_time_ms") : 0
        topics = try buffer.readKafkaArray("topics", compact: flexible) { buffer in
            var topic = Topic(name: try buffer.readKafkaString("name", compact: flexible), errorCode: 0)
            if version >= 7 { topic.topicId = try buffer.readKafkaUuid("topic_id") }
            topic.errorCode = try buffer.readInt16("error_code")
            if version >= 1 { topic.errorMessage = try buffer.readNullableKafkaString("error_message", compact: flexible) }
            if version >= 5 {
                topic.numPartitions = try buffer.readInt32("num_partitions")
                topic.replicationFactor = try buffer.readInt16("replication_factor")
                topic.configs = try buffer.readNullableKafkaArray("configs", compact: true) { buffer in
                    let config = Config(name: try buffer.readCompactString("config.name"), value: try buffer.readCompactNullableString("config.value"),
                                        readOnly: try buffer.readBool("config.read_only"), configSource: try buffer.readInt8("config.config_source"),
                                        isSensitive: try buffer.readBool("config.is_sensitive"))
                    try buffer.skipTaggedFields()
                    return config
                }
            }
            // Tag 0 (TopicConfigErrorCode) is skipped with any other tagged field.
            try buffer.skipTaggedFields(if: flexible)
            return topic
        }
        try buffer.skipTaggedFields(if: flexible)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = Self.apiKey.isFlexible(version)
        if version >= 2 { buffer.writeInt32(throttleTimeMs) }
        buffer.writeKafkaArray(topics, compact: flexible) { buffer, topic in
            buffer.writeKafkaString(topic.name, compact: flexible)
            if version >= 7 { buffer.writeKafkaUuid(topic.topicId) }
            buffer.writeInt16(topic.errorCode)
            if version >= 1 { buffer.writeNullableKafkaString(topic.errorMessage, compact: flexible) }
            if version >= 5 {
                buffer.writeInt32(topic.numPartitions)
                buffer.writeInt16(topic.replicationFactor)
                buffer.writeNullableKafkaArray(topic.configs, compact: true) { buffer, config in
                    buffer.writeCompactString(config.name)
                    buffer.writeCompactNullableString(config.value)
                    buffer.writeBool(config.readOnly)
                    buffer.writeInt8(config.configSource)
                    buffer.writeBool(config.isSensitive)
                    buffer.writeEmptyTaggedFields()
                }
            }
            buffer.writeEmptyTaggedFields(if: flexible)
        }
        buffer.writeEmptyTaggedFields(if: flexible)
    }
}

/// DeleteTopics (key 20), v0–6 (v4+ flexible). v6 names each topic by name or by topic id (a null
/// name); Samsa keeps no topic ids, so a delete by id is answered UNKNOWN_TOPIC_ID.
public struct DeleteTopicsRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.deleteTopics

    /// A v6 topic: its name, or null and its id.
    public struct TopicState: Sendable, Equatable {
        public var name: String?
        public var topicId: KafkaUuid
        public init(name: String?, topicId: KafkaUuid = .zero) {
            self.name = name
            self.topicId = topicId
        }
    }

    /// v6+; earlier versions carry `topicNames`. Encoding v6 from names alone sends one entry per name.
    public var topics: [TopicState]
    /// v0–5.
    public var topicNames: [String]
    public var timeoutMs: Int32

    public init(topicNames: [String], timeoutMs: Int32) {
        self.topics = topicNames.map { TopicState(name: $0) }
        self.topicNames = topicNames
        self.timeoutMs = timeoutMs
    }

    public init(topics: [TopicState], timeoutMs: Int32) {
        self.topics = topics
        self.topicNames = topics.compactMap(\.name)
        self.timeoutMs = timeoutMs
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.apiKey.isFlexible(version)
        if version >= 6 {
            topics = try buffer.readKafkaArray("topics", compact: true) { buffer in
                let topic = TopicState(name: try buffer.readCompactNullableString("name"), topicId: try buffer.readKafkaUuid("topic_id"))
                try buffer.skipTaggedFields()
                return topic
            }
            topicNames = topics.compactMap(\.name)
        } else {
            topicNames = try buffer.readKafkaArray("topic_names", compact: flexible) { try $0.readKafkaString("topic_name", compact: flexible) }
            topics = topicNames.map { TopicState(name: $0) }
        }
        timeoutMs = try buffer.readInt32("timeout_ms")
        try buffer.skipTaggedFields(if: flexible)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = Self.apiKey.isFlexible(version)
        if version >= 6 {
            buffer.writeCompactArray(topics) { buffer, topic in
                buffer.writeCompactNullableString(topic.name)
                buffer.writeKafkaUuid(topic.topicId)
                buffer.writeEmptyTaggedFields()
            }
        } else {
            buffer.writeKafkaArray(topicNames, compact: flexible) { $0.writeKafkaString($1, compact: flexible) }
        }
        buffer.writeInt32(timeoutMs)
        buffer.writeEmptyTaggedFields(if: flexible)
    }
}

public struct DeleteTopicsResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.deleteTopics

    public struct Response: Sendable, Equatable {
        /// Null only in v6+, for a topic named by an unknown id.
        public var name: String?
        /// v6+.
        public var topicId: KafkaUuid
        public var errorCode: Int16
        /// v5+.
        public var errorMessage: String?
        public init(name: String?, topicId: KafkaUuid = .zero, errorCode: Int16, errorMessage: String? = nil) {
            self.name = name
            self.topicId = topicId
            self.errorCode = errorCode
            self.errorMessage = errorMessage
        }
    }

    public var throttleTimeMs: Int32
    public var responses: [Response]

    public init(throttleTimeMs: Int32 = 0, responses: [Response]) {
        self.throttleTimeMs = throttleTimeMs
        self.responses = responses
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.apiKey.isFlexible(version)
        throttleTimeMs = version >= 1 ? try buffer.readInt32("throttle_time_ms") : 0
        responses = try buffer.readKafkaArray("responses", compact: flexible) { buffer in
            var response = Response(name: version >= 6 ? try buffer.readCompactNullableString("name") : try buffer.readKafkaString("name", compact: flexible),
                                    errorCode: 0)
            if version >= 6 { response.topicId = try buffer.readKafkaUuid("topic_id") }
            response.errorCode = try buffer.readInt16("error_code")
            if version >= 5 { response.errorMessage = try buffer.readCompactNullableString("error_message") }
            try buffer.skipTaggedFields(if: flexible)
            return response
        }
        try buffer.skipTaggedFields(if: flexible)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = Self.apiKey.isFlexible(version)
        if version >= 1 { buffer.writeInt32(throttleTimeMs) }
        buffer.writeKafkaArray(responses, compact: flexible) { buffer, response in
            if version >= 6 { buffer.writeCompactNullableString(response.name) } else { buffer.writeKafkaString(response.name ?? "", compact: flexible) }
            if version >= 6 { buffer.writeKafkaUuid(response.topicId) }
            buffer.writeInt16(response.errorCode)
            if version >= 5 { buffer.writeCompactNullableString(response.errorMessage) }
            buffer.writeEmptyTaggedFields(if: flexible)
        }
        buffer.writeEmptyTaggedFields(if: flexible)
    }
}
