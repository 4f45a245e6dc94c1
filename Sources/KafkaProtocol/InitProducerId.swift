import NIOCore

/// InitProducerId (key 22), v0–1 (v2 is flexible). Idempotent producers call it without a
/// transactional id to obtain a producer id and epoch.
public struct InitProducerIdRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.initProducerId
    public var transactionalId: String?
    public var transactionTimeoutMs: Int32

    public init(transactionalId: String? = nil, transactionTimeoutMs: Int32 = 60_000) {
        self.transactionalId = transactionalId
        self.transactionTimeoutMs = transactionTimeoutMs
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        transactionalId = try buffer.readNullableKafkaString("transactional_id")
        transactionTimeoutMs = try buffer.readInt32("transaction_timeout_ms")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeNullableKafkaString(transactionalId)
        buffer.writeInt32(transactionTimeoutMs)
    }
}

public struct InitProducerIdResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.initProducerId
    public var throttleTimeMs: Int32
    public var errorCode: Int16
    public var producerId: Int64
    public var producerEpoch: Int16

    public init(throttleTimeMs: Int32 = 0, errorCode: Int16, producerId: Int64, producerEpoch: Int16) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.producerId = producerId
        self.producerEpoch = producerEpoch
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = try buffer.readInt32("throttle_time_ms")
        errorCode = try buffer.readInt16("error_code")
        producerId = try buffer.readInt64("producer_id")
        producerEpoch = try buffer.readInt16("producer_epoch")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(throttleTimeMs)
        buffer.writeInt16(errorCode)
        buffer.writeInt64(producerId)
        buffer.writeInt16(producerEpoch)
    }
}
