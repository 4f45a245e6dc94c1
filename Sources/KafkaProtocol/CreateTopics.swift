import NIOCore

/// CreateTopics (key 19), v0–4. -1 partitions or replication factor (v4) mean the broker default.
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
        topics = try buffer.readKafkaArray("topics") { buffer in
            Topic(name: try buffer.readKafkaString("name"), numPartitions: try buffer.readInt32("num_partitions"),
                  replicationFactor: try buffer.readInt16("replication_factor"),
                  assignments: try buffer.readKafkaArray("assignments") { buffer in
                      Assignment(partitionIndex: try buffer.readInt32("partition_index"),
                                 brokerIds: try buffer.readKafkaArray("broker_ids") { try $0.readInt32("broker_id") })
                  },
                  configs: try buffer.readKafkaArray("configs") { buffer in
                      Config(name: try buffer.readKafkaString("config.name"), value: try buffer.readNullableKafkaString("config.value"))
                  })
        }
        timeoutMs = try buffer.readInt32("timeout_ms")
        validateOnly = version >= 1 ? try buffer.readBool("validate_only") : false
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaArray(topics) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeInt32(topic.numPartitions)
            buffer.writeInt16(topic.replicationFactor)
            buffer.writeKafkaArray(topic.assignments) { buffer, assignment in
                buffer.writeInt32(assignment.partitionIndex)
                buffer.writeKafkaArray(assignment.brokerIds) { $0.writeInt32($1) }
            }
            buffer.writeKafkaArray(topic.configs) { buffer, config in
                buffer.writeKafkaString(config.name)
                buffer.writeNullableKafkaString(config.value)
            }
        }
        buffer.writeInt32(timeoutMs)
        if version >= 1 { buffer.writeBool(validateOnly) }
    }
}

public struct CreateTopicsResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.createTopics

    public struct Topic: Sendable, Equatable {
        public var name: String
        public var errorCode: Int16
        public var errorMessage: String?
        public init(name: String, errorCode: Int16, errorMessage: String? = nil) {
            self.name = name
            self.errorCode = errorCode
            self.errorMessage = errorMessage
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
            Topic(name: try buffer.readKafkaString("name"), errorCode: try buffer.readInt16("error_code"),
                  errorMessage: version >= 1 ? try buffer.readNullableKafkaString("error_message") : nil)
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        if version >= 2 { buffer.writeInt32(throttleTimeMs) }
        buffer.writeKafkaArray(topics) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeInt16(topic.errorCode)
            if version >= 1 { buffer.writeNullableKafkaString(topic.errorMessage) }
        }
    }
}

/// DeleteTopics (key 20), v0–3.
public struct DeleteTopicsRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.deleteTopics
    public var topicNames: [String]
    public var timeoutMs: Int32

    public init(topicNames: [String], timeoutMs: Int32) {
        self.topicNames = topicNames
        self.timeoutMs = timeoutMs
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        topicNames = try buffer.readKafkaArray("topic_names") { try $0.readKafkaString("topic_name") }
        timeoutMs = try buffer.readInt32("timeout_ms")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaArray(topicNames) { $0.writeKafkaString($1) }
        buffer.writeInt32(timeoutMs)
    }
}

public struct DeleteTopicsResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.deleteTopics

    public struct Response: Sendable, Equatable {
        public var name: String
        public var errorCode: Int16
        public init(name: String, errorCode: Int16) {
            self.name = name
            self.errorCode = errorCode
        }
    }

    public var throttleTimeMs: Int32
    public var responses: [Response]

    public init(throttleTimeMs: Int32 = 0, responses: [Response]) {
        self.throttleTimeMs = throttleTimeMs
        self.responses = responses
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = version >= 1 ? try buffer.readInt32("throttle_time_ms") : 0
        responses = try buffer.readKafkaArray("responses") { buffer in
            Response(name: try buffer.readKafkaString("name"), errorCode: try buffer.readInt16("error_code"))
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        if version >= 1 { buffer.writeInt32(throttleTimeMs) }
        buffer.writeKafkaArray(responses) { buffer, response in
            buffer.writeKafkaString(response.name)
            buffer.writeInt16(response.errorCode)
        }
    }
}
