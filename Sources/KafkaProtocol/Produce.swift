import NIOCore

/// Produce (key 0). Samsa decodes v3–v8, the versions that carry RecordBatch v2; v0–2 carry legacy
/// message sets and are advertised (librdkafka matches exact versions) but answered with
/// UNSUPPORTED_FOR_MESSAGE_FORMAT by the broker. `records` stays a slice of the request frame: the
/// batch bytes are stored as they came, never re-encoded.
public struct ProduceRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.produce

    public struct PartitionData: Sendable, Equatable {
        public var index: Int32
        public var records: ByteBuffer?
        public init(index: Int32, records: ByteBuffer?) {
            self.index = index
            self.records = records
        }
    }

    public struct TopicData: Sendable, Equatable {
        public var name: String
        public var partitions: [PartitionData]
        public init(name: String, partitions: [PartitionData]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public var transactionalId: String?
    /// 0: no response; 1: after the leader's append; -1: after the ISR has it.
    public var acks: Int16
    public var timeoutMs: Int32
    public var topics: [TopicData]

    public init(transactionalId: String? = nil, acks: Int16, timeoutMs: Int32, topics: [TopicData]) {
        self.transactionalId = transactionalId
        self.acks = acks
        self.timeoutMs = timeoutMs
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        transactionalId = version >= 3 ? try buffer.readNullableKafkaString("transactional_id") : nil
        acks = try buffer.readInt16("acks")
        timeoutMs = try buffer.readInt32("timeout_ms")
        topics = try buffer.readKafkaArray("topic_data") { buffer in
            TopicData(name: try buffer.readKafkaString("topic_data.name"),
                      partitions: try buffer.readKafkaArray("partition_data") { buffer in
                          PartitionData(index: try buffer.readInt32("partition_data.index"),
                                        records: try buffer.readNullableKafkaBytes("partition_data.records"))
                      })
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        if version >= 3 { buffer.writeNullableKafkaString(transactionalId) }
        buffer.writeInt16(acks)
        buffer.writeInt32(timeoutMs)
        buffer.writeKafkaArray(topics) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitions) { buffer, partition in
                buffer.writeInt32(partition.index)
                buffer.writeNullableKafkaBytes(partition.records)
            }
        }
    }
}

public struct ProduceResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.produce

    public struct RecordError: Sendable, Equatable {
        public var batchIndex: Int32
        public var message: String?
        public init(batchIndex: Int32, message: String?) {
            self.batchIndex = batchIndex
            self.message = message
        }
    }

    public struct PartitionResponse: Sendable, Equatable {
        public var index: Int32
        public var errorCode: Int16
        public var baseOffset: Int64
        public var logAppendTimeMs: Int64
        public var logStartOffset: Int64
        public var recordErrors: [RecordError]
        public var errorMessage: String?

        public init(index: Int32, errorCode: Int16, baseOffset: Int64 = -1, logAppendTimeMs: Int64 = -1,
                    logStartOffset: Int64 = -1, recordErrors: [RecordError] = [], errorMessage: String? = nil) {
            self.index = index
            self.errorCode = errorCode
            self.baseOffset = baseOffset
            self.logAppendTimeMs = logAppendTimeMs
            self.logStartOffset = logStartOffset
            self.recordErrors = recordErrors
            self.errorMessage = errorMessage
        }
    }

    public struct TopicResponse: Sendable, Equatable {
        public var name: String
        public var partitions: [PartitionResponse]
        public init(name: String, partitions: [PartitionResponse]) {
            self.name = name
            self.partitions = partitions
        }
    }

    public var responses: [TopicResponse]
    public var throttleTimeMs: Int32

    public init(responses: [TopicResponse], throttleTimeMs: Int32 = 0) {
        self.responses = responses
        self.throttleTimeMs = throttleTimeMs
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        responses = try buffer.readKafkaArray("responses") { buffer in
            TopicResponse(name: try buffer.readKafkaString("responses.name"),
                          partitions: try buffer.readKafkaArray("partition_responses") { buffer in
                              var partition = PartitionResponse(index: try buffer.readInt32("index"),
                                                                errorCode: try buffer.readInt16("error_code"),
                                                                baseOffset: try buffer.readInt64("base_offset"))
                              if version >= 2 { partition.logAppendTimeMs = try buffer.readInt64("log_append_time_ms") }
                              if version >= 5 { partition.logStartOffset = try buffer.readInt64("log_start_offset") }
                              if version >= 8 {
                                  partition.recordErrors = try buffer.readKafkaArray("record_errors") { buffer in
                                      RecordError(batchIndex: try buffer.readInt32("batch_index"),
                                                  message: try buffer.readNullableKafkaString("batch_index_error_message"))
                                  }
                                  partition.errorMessage = try buffer.readNullableKafkaString("error_message")
                              }
                              return partition
                          })
        }
        throttleTimeMs = version >= 1 ? try buffer.readInt32("throttle_time_ms") : 0
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaArray(responses) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitions) { buffer, partition in
                buffer.writeInt32(partition.index)
                buffer.writeInt16(partition.errorCode)
                buffer.writeInt64(partition.baseOffset)
                if version >= 2 { buffer.writeInt64(partition.logAppendTimeMs) }
                if version >= 5 { buffer.writeInt64(partition.logStartOffset) }
                if version >= 8 {
                    buffer.writeKafkaArray(partition.recordErrors) { buffer, error in
                        buffer.writeInt32(error.batchIndex)
                        buffer.writeNullableKafkaString(error.message)
                    }
                    buffer.writeNullableKafkaString(partition.errorMessage)
                }
            }
        }
        if version >= 1 { buffer.writeInt32(throttleTimeMs) }
    }
}
