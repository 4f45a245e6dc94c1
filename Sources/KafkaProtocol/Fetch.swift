import NIOCore

/// Fetch (key 1), v0–11 (v12 is flexible). Consumers send `replicaId` -1 and read up to the high
/// watermark; followers send their broker id and read to the log end. Record bytes in the response
/// are slices of segment files, sent as stored; an empty result is zero-length bytes, never null
/// (librdkafka logs "invalid MessageSetSize -1" on null).
public struct FetchRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.fetch

    public struct Partition: Sendable, Equatable {
        public var partition: Int32
        public var currentLeaderEpoch: Int32
        public var fetchOffset: Int64
        public var logStartOffset: Int64
        public var partitionMaxBytes: Int32
        public init(partition: Int32, currentLeaderEpoch: Int32 = -1, fetchOffset: Int64, logStartOffset: Int64 = -1, partitionMaxBytes: Int32) {
            self.partition = partition
            self.currentLeaderEpoch = currentLeaderEpoch
            self.fetchOffset = fetchOffset
            self.logStartOffset = logStartOffset
            self.partitionMaxBytes = partitionMaxBytes
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

    public struct ForgottenTopic: Sendable, Equatable {
        public var topic: String
        public var partitions: [Int32]
        public init(topic: String, partitions: [Int32]) {
            self.topic = topic
            self.partitions = partitions
        }
    }

    public var replicaId: Int32
    public var maxWaitMs: Int32
    public var minBytes: Int32
    public var maxBytes: Int32
    /// 0 read_uncommitted, 1 read_committed.
    public var isolationLevel: Int8
    public var sessionId: Int32
    public var sessionEpoch: Int32
    public var topics: [Topic]
    public var forgottenTopics: [ForgottenTopic]
    public var rackId: String

    public init(replicaId: Int32 = -1, maxWaitMs: Int32, minBytes: Int32, maxBytes: Int32 = Int32.max,
                isolationLevel: Int8 = 0, sessionId: Int32 = 0, sessionEpoch: Int32 = -1, topics: [Topic],
                forgottenTopics: [ForgottenTopic] = [], rackId: String = "") {
        self.replicaId = replicaId
        self.maxWaitMs = maxWaitMs
        self.minBytes = minBytes
        self.maxBytes = maxBytes
        self.isolationLevel = isolationLevel
        self.sessionId = sessionId
        self.sessionEpoch = sessionEpoch
        self.topics = topics
        self.forgottenTopics = forgottenTopics
        self.rackId = rackId
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        replicaId = try buffer.readInt32("replica_id")
        maxWaitMs = try buffer.readInt32("max_wait_ms")
        minBytes = try buffer.readInt32("min_bytes")
        maxBytes = version >= 3 ? try buffer.readInt32("max_bytes") : Int32.max
        isolationLevel = version >= 4 ? try buffer.readInt8("isolation_level") : 0
        sessionId = version >= 7 ? try buffer.readInt32("session_id") : 0
        sessionEpoch = version >= 7 ? try buffer.readInt32("session_epoch") : -1
        topics = try buffer.readKafkaArray("topics") { buffer in
            Topic(topic: try buffer.readKafkaString("topics.topic"),
                  partitions: try buffer.readKafkaArray("partitions") { buffer in
                      let partition = try buffer.readInt32("partition")
                      let epoch = version >= 9 ? try buffer.readInt32("current_leader_epoch") : -1
                      let offset = try buffer.readInt64("fetch_offset")
                      let logStart = version >= 5 ? try buffer.readInt64("log_start_offset") : -1
                      return Partition(partition: partition, currentLeaderEpoch: epoch, fetchOffset: offset,
                                       logStartOffset: logStart, partitionMaxBytes: try buffer.readInt32("partition_max_bytes"))
                  })
        }
        forgottenTopics = version >= 7 ? try buffer.readKafkaArray("forgotten_topics_data") { buffer in
            ForgottenTopic(topic: try buffer.readKafkaString("forgotten.topic"),
                           partitions: try buffer.readKafkaArray("forgotten.partitions") { try $0.readInt32("partition") })
        } : []
        rackId = version >= 11 ? try buffer.readKafkaString("rack_id") : ""
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(replicaId)
        buffer.writeInt32(maxWaitMs)
        buffer.writeInt32(minBytes)
        if version >= 3 { buffer.writeInt32(maxBytes) }
        if version >= 4 { buffer.writeInt8(isolationLevel) }
        if version >= 7 {
            buffer.writeInt32(sessionId)
            buffer.writeInt32(sessionEpoch)
        }
        buffer.writeKafkaArray(topics) { buffer, topic in
            buffer.writeKafkaString(topic.topic)
            buffer.writeKafkaArray(topic.partitions) { buffer, partition in
                buffer.writeInt32(partition.partition)
                if version >= 9 { buffer.writeInt32(partition.currentLeaderEpoch) }
                buffer.writeInt64(partition.fetchOffset)
                if version >= 5 { buffer.writeInt64(partition.logStartOffset) }
                buffer.writeInt32(partition.partitionMaxBytes)
            }
        }
        if version >= 7 {
            buffer.writeKafkaArray(forgottenTopics) { buffer, topic in
                buffer.writeKafkaString(topic.topic)
                buffer.writeKafkaArray(topic.partitions) { $0.writeInt32($1) }
            }
        }
        if version >= 11 { buffer.writeKafkaString(rackId) }
    }
}

public struct FetchResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.fetch

    public struct AbortedTransaction: Sendable, Equatable {
        public var producerId: Int64
        public var firstOffset: Int64
        public init(producerId: Int64, firstOffset: Int64) {
            self.producerId = producerId
            self.firstOffset = firstOffset
        }
    }

    public struct Partition: Sendable, Equatable {
        public var partitionIndex: Int32
        public var errorCode: Int16
        public var highWatermark: Int64
        public var lastStableOffset: Int64
        public var logStartOffset: Int64
        public var abortedTransactions: [AbortedTransaction]?
        public var preferredReadReplica: Int32
        public var records: ByteBuffer

        public init(partitionIndex: Int32, errorCode: Int16, highWatermark: Int64 = -1, lastStableOffset: Int64 = -1,
                    logStartOffset: Int64 = -1, abortedTransactions: [AbortedTransaction]? = nil,
                    preferredReadReplica: Int32 = -1, records: ByteBuffer = ByteBuffer()) {
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
            self.highWatermark = highWatermark
            self.lastStableOffset = lastStableOffset
            self.logStartOffset = logStartOffset
            self.abortedTransactions = abortedTransactions
            self.preferredReadReplica = preferredReadReplica
            self.records = records
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
    public var errorCode: Int16
    public var sessionId: Int32
    public var responses: [Topic]

    public init(throttleTimeMs: Int32 = 0, errorCode: Int16 = 0, sessionId: Int32 = 0, responses: [Topic]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.sessionId = sessionId
        self.responses = responses
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = version >= 1 ? try buffer.readInt32("throttle_time_ms") : 0
        errorCode = version >= 7 ? try buffer.readInt16("error_code") : 0
        sessionId = version >= 7 ? try buffer.readInt32("session_id") : 0
        responses = try buffer.readKafkaArray("responses") { buffer in
            Topic(topic: try buffer.readKafkaString("responses.topic"),
                  partitions: try buffer.readKafkaArray("partitions") { buffer in
                      var partition = Partition(partitionIndex: try buffer.readInt32("partition_index"),
                                                errorCode: try buffer.readInt16("error_code"),
                                                highWatermark: try buffer.readInt64("high_watermark"))
                      if version >= 4 { partition.lastStableOffset = try buffer.readInt64("last_stable_offset") }
                      if version >= 5 { partition.logStartOffset = try buffer.readInt64("log_start_offset") }
                      if version >= 4 {
                          partition.abortedTransactions = try buffer.readNullableKafkaArray("aborted_transactions") { buffer in
                              AbortedTransaction(producerId: try buffer.readInt64("producer_id"),
                                                 firstOffset: try buffer.readInt64("first_offset"))
                          }
                      }
                      if version >= 11 { partition.preferredReadReplica = try buffer.readInt32("preferred_read_replica") }
                      partition.records = try buffer.readNullableKafkaBytes("records") ?? ByteBuffer()
                      return partition
                  })
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        encode(into: &buffer, version: version) { buffer, records in buffer.writeKafkaBytes(records) }
    }

    /// Records of at least this many bytes become parts of their own in `encodedParts`; smaller
    /// ones are copied, which costs less than a write of their own.
    public static let separateRecordsBytes = 16 << 10

    /// The response after `head` as consecutive buffers whose concatenation is `encode`'s bytes:
    /// each partition's records of `separateRecordsBytes` or more are a part of their own, the
    /// buffer read from the log, not copied (for a gathering write).
    public func encodedParts(after head: ByteBuffer, version: Int16) -> [ByteBuffer] {
        var parts: [ByteBuffer] = []
        var current = head
        encode(into: &current, version: version) { buffer, records in
            guard records.readableBytes >= Self.separateRecordsBytes else {
                buffer.writeKafkaBytes(records)
                return
            }
            buffer.writeInt32(Int32(records.readableBytes))
            parts.append(buffer)
            parts.append(records)
            buffer = ByteBufferAllocator().buffer(capacity: 256)
        }
        if current.readableBytes > 0 || parts.isEmpty { parts.append(current) }
        return parts
    }

    /// One encoding for both forms: `writeRecords` writes a partition's records as BYTES.
    private func encode(into buffer: inout ByteBuffer, version: Int16, writeRecords: (inout ByteBuffer, ByteBuffer) -> Void) {
        if version >= 1 { buffer.writeInt32(throttleTimeMs) }
        if version >= 7 {
            buffer.writeInt16(errorCode)
            buffer.writeInt32(sessionId)
        }
        buffer.writeKafkaArray(responses) { buffer, topic in
            buffer.writeKafkaString(topic.topic)
            buffer.writeKafkaArray(topic.partitions) { buffer, partition in
                buffer.writeInt32(partition.partitionIndex)
                buffer.writeInt16(partition.errorCode)
                buffer.writeInt64(partition.highWatermark)
                if version >= 4 { buffer.writeInt64(partition.lastStableOffset) }
                if version >= 5 { buffer.writeInt64(partition.logStartOffset) }
                if version >= 4 { buffer.writeNullableKafkaArray(partition.abortedTransactions) { buffer, aborted in
                    buffer.writeInt64(aborted.producerId)
                    buffer.writeInt64(aborted.firstOffset)
                } }
                if version >= 11 { buffer.writeInt32(partition.preferredReadReplica) }
                writeRecords(&buffer, partition.records)
            }
        }
    }
}
