import NIOCore

/// CreatePartitions (key 37), v0–3 (v1 has v0's layout; v2 is flexible, v3 has v2's). Raises a
/// topic's partition count; `assignments`, when given, places each new partition's replicas.
public struct CreatePartitionsRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.createPartitions

    public struct Topic: Sendable, Equatable {
        public var name: String
        /// The new total partition count, not the number added.
        public var count: Int32
        /// One replica list per new partition, in partition order; nil lets the broker choose.
        public var assignments: [[Int32]]?
        public init(name: String, count: Int32, assignments: [[Int32]]? = nil) {
            self.name = name
            self.count = count
            self.assignments = assignments
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
            let topic = Topic(name: try buffer.readKafkaString("name", compact: flexible), count: try buffer.readInt32("count"),
                              assignments: try buffer.readNullableKafkaArray("assignments", compact: flexible) { buffer in
                                  let brokers = try buffer.readKafkaArray("broker_ids", compact: flexible) { try $0.readInt32("broker_id") }
                                  try buffer.skipTaggedFields(if: flexible)
                                  return brokers
                              })
            try buffer.skipTaggedFields(if: flexible)
            return topic
        }
        timeoutMs = try buffer.readInt32("timeout_ms")
        validateOnly = try buffer.readBool("validate_only")
        try buffer.skipTaggedFields(if: flexible)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = Self.apiKey.isFlexible(version)
        buffer.writeKafkaArray(topics, compact: flexible) { buffer, topic in
            buffer.writeKafkaString(topic.name, compact: flexible)
            buffer.writeInt32(topic.count)
            buffer.writeNullableKafkaArray(topic.assignments, compact: flexible) { buffer, brokers in
                buffer.writeKafkaArray(brokers, compact: flexible) { $0.writeInt32($1) }
                buffer.writeEmptyTaggedFields(if: flexible)
            }
            buffer.writeEmptyTaggedFields(if: flexible)
        }
        buffer.writeInt32(timeoutMs)
        buffer.writeBool(validateOnly)
        buffer.writeEmptyTaggedFields(if: flexible)
    }
}

public struct CreatePartitionsResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.createPartitions

    public struct Result: Sendable, Equatable {
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
    public var results: [Result]

    public init(throttleTimeMs: Int32 = 0, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.apiKey.isFlexible(version)
        throttleTimeMs = try buffer.readInt32("throttle_time_ms")
        results = try buffer.readKafkaArray("results", compact: flexible) { buffer in
            let result = Result(name: try buffer.readKafkaString("name", compact: flexible), errorCode: try buffer.readInt16("error_code"),
                                errorMessage: try buffer.readNullableKafkaString("error_message", compact: flexible))
            try buffer.skipTaggedFields(if: flexible)
            return result
        }
        try buffer.skipTaggedFields(if: flexible)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = Self.apiKey.isFlexible(version)
        buffer.writeInt32(throttleTimeMs)
        buffer.writeKafkaArray(results, compact: flexible) { buffer, result in
            buffer.writeKafkaString(result.name, compact: flexible)
            buffer.writeInt16(result.errorCode)
            buffer.writeNullableKafkaString(result.errorMessage, compact: flexible)
            buffer.writeEmptyTaggedFields(if: flexible)
        }
        buffer.writeEmptyTaggedFields(if: flexible)
    }
}
