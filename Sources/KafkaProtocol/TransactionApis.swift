import NIOCore

/// A topic and some of its partitions, as the transaction APIs list them.
public struct TopicPartitions: Sendable, Equatable {
    public var name: String
    public var partitions: [Int32]
    public init(name: String, partitions: [Int32]) {
        self.name = name
        self.partitions = partitions
    }
}

/// A partition's error, as the transaction APIs answer per partition.
public struct PartitionError: Sendable, Equatable {
    public var partitionIndex: Int32
    public var errorCode: Int16
    public init(partitionIndex: Int32, errorCode: Int16) {
        self.partitionIndex = partitionIndex
        self.errorCode = errorCode
    }
}

/// A topic's per-partition errors.
public struct TopicPartitionErrors: Sendable, Equatable {
    public var name: String
    public var partitions: [PartitionError]
    public init(name: String, partitions: [PartitionError]) {
        self.name = name
        self.partitions = partitions
    }
}

extension ByteBuffer {
    mutating func readTopicPartitions(_ field: String) throws -> [TopicPartitions] {
        try readKafkaArray(field) { buffer in
            TopicPartitions(name: try buffer.readKafkaString("name"),
                            partitions: try buffer.readKafkaArray("partitions") { try $0.readInt32("partition") })
        }
    }

    mutating func writeTopicPartitions(_ topics: [TopicPartitions]) {
        writeKafkaArray(topics) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitions) { $0.writeInt32($1) }
        }
    }

    mutating func readTopicPartitionErrors(_ field: String) throws -> [TopicPartitionErrors] {
        try readKafkaArray(field) { buffer in
            TopicPartitionErrors(name: try buffer.readKafkaString("name"), partitions: try buffer.readKafkaArray("partitions") { buffer in
                PartitionError(partitionIndex: try buffer.readInt32("partition_index"), errorCode: try buffer.readInt16("error_code"))
            })
        }
    }

    mutating func writeTopicPartitionErrors(_ topics: [TopicPartitionErrors]) {
        writeKafkaArray(topics) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitions) { buffer, partition in
                buffer.writeInt32(partition.partitionIndex)
                buffer.writeInt16(partition.errorCode)
            }
        }
    }
}

/// AddPartitionsToTxn (key 24), v0–2 (v3 is flexible, v4 batches transactions for brokers).
public struct AddPartitionsToTxnRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.addPartitionsToTxn
    public var transactionalId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    public var topics: [TopicPartitions]

    public init(transactionalId: String, producerId: Int64, producerEpoch: Int16, topics: [TopicPartitions]) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        transactionalId = try buffer.readKafkaString("transactional_id")
        producerId = try buffer.readInt64("producer_id")
        producerEpoch = try buffer.readInt16("producer_epoch")
        topics = try buffer.readTopicPartitions("topics")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(transactionalId)
        buffer.writeInt64(producerId)
        buffer.writeInt16(producerEpoch)
        buffer.writeTopicPartitions(topics)
    }
}

public struct AddPartitionsToTxnResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.addPartitionsToTxn
    public var throttleTimeMs: Int32
    public var results: [TopicPartitionErrors]

    public init(throttleTimeMs: Int32 = 0, results: [TopicPartitionErrors]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = try buffer.readInt32("throttle_time_ms")
        results = try buffer.readTopicPartitionErrors("results")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(throttleTimeMs)
        buffer.writeTopicPartitionErrors(results)
    }
}

/// AddOffsetsToTxn (key 25), v0–2 (v3 is flexible): adds the group's offsets partition.
public struct AddOffsetsToTxnRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.addOffsetsToTxn
    public var transactionalId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    public var groupId: String

    public init(transactionalId: String, producerId: Int64, producerEpoch: Int16, groupId: String) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.groupId = groupId
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        transactionalId = try buffer.readKafkaString("transactional_id")
        producerId = try buffer.readInt64("producer_id")
        producerEpoch = try buffer.readInt16("producer_epoch")
        groupId = try buffer.readKafkaString("group_id")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(transactionalId)
        buffer.writeInt64(producerId)
        buffer.writeInt16(producerEpoch)
        buffer.writeKafkaString(groupId)
    }
}

/// The response of AddOffsetsToTxn and of EndTxn: a throttle time and one error code.
public struct TransactionErrorResponse<Api: TransactionApiKey>: KafkaMessage, Equatable {
    public static var apiKey: ApiKey { Api.apiKey }
    public var throttleTimeMs: Int32
    public var errorCode: Int16

    public init(throttleTimeMs: Int32 = 0, errorCode: Int16) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = try buffer.readInt32("throttle_time_ms")
        errorCode = try buffer.readInt16("error_code")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(throttleTimeMs)
        buffer.writeInt16(errorCode)
    }
}

/// Names the API of a `TransactionErrorResponse`.
public protocol TransactionApiKey: Sendable, Equatable { static var apiKey: ApiKey { get } }
public enum AddOffsetsToTxnApi: TransactionApiKey { public static let apiKey = ApiKey.addOffsetsToTxn }
public enum EndTxnApi: TransactionApiKey { public static let apiKey = ApiKey.endTxn }
public typealias AddOffsetsToTxnResponse = TransactionErrorResponse<AddOffsetsToTxnApi>
public typealias EndTxnResponse = TransactionErrorResponse<EndTxnApi>

/// EndTxn (key 26), v0–2 (v3 is flexible): commit or abort the producer's transaction.
public struct EndTxnRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.endTxn
    public var transactionalId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    public var committed: Bool

    public init(transactionalId: String, producerId: Int64, producerEpoch: Int16, committed: Bool) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.committed = committed
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        transactionalId = try buffer.readKafkaString("transactional_id")
        producerId = try buffer.readInt64("producer_id")
        producerEpoch = try buffer.readInt16("producer_epoch")
        committed = try buffer.readBool("committed")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(transactionalId)
        buffer.writeInt64(producerId)
        buffer.writeInt16(producerEpoch)
        buffer.writeBool(committed)
    }
}
