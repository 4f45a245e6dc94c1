import NIOCore

/// InitProducerId (key 22), v0–4. Idempotent producers call it without a transactional id to obtain
/// a producer id and epoch; transactional ones with theirs, at the transaction coordinator. v2 is
/// flexible (compact string, tagged fields); v3 adds the producer's current id and epoch (KIP-360:
/// an existing producer asks for its epoch to be bumped, -1/-1 when it has none); v4 only lets the
/// broker answer PRODUCER_FENCED (KIP-588).
public struct InitProducerIdRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.initProducerId
    /// Kafka's "no producer id / no epoch" in the v3+ fields.
    public static let noProducerId: Int64 = -1
    public static let noProducerEpoch: Int16 = -1

    public var transactionalId: String?
    public var transactionTimeoutMs: Int32
    /// v3+: the producer's current id and epoch, -1/-1 when absent (and always at v0–2).
    public var producerId: Int64
    public var producerEpoch: Int16

    public init(transactionalId: String? = nil, transactionTimeoutMs: Int32 = 60_000,
                producerId: Int64 = noProducerId, producerEpoch: Int16 = noProducerEpoch) {
        self.transactionalId = transactionalId
        self.transactionTimeoutMs = transactionTimeoutMs
        self.producerId = producerId
        self.producerEpoch = producerEpoch
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        let flexible = Self.apiKey.isFlexible(version)
        transactionalId = flexible ? try buffer.readCompactNullableString("transactional_id") : try buffer.readNullableKafkaString("transactional_id")
        transactionTimeoutMs = try buffer.readInt32("transaction_timeout_ms")
        producerId = version >= 3 ? try buffer.readInt64("producer_id") : Self.noProducerId
        producerEpoch = version >= 3 ? try buffer.readInt16("producer_epoch") : Self.noProducerEpoch
        if flexible { try buffer.skipTaggedFields() }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        let flexible = Self.apiKey.isFlexible(version)
        if flexible { buffer.writeCompactNullableString(transactionalId) } else { buffer.writeNullableKafkaString(transactionalId) }
        buffer.writeInt32(transactionTimeoutMs)
        if version >= 3 {
            buffer.writeInt64(producerId)
            buffer.writeInt16(producerEpoch)
        }
        if flexible { buffer.writeEmptyTaggedFields() }
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
        if Self.apiKey.isFlexible(version) { try buffer.skipTaggedFields() }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(throttleTimeMs)
        buffer.writeInt16(errorCode)
        buffer.writeInt64(producerId)
        buffer.writeInt16(producerEpoch)
        if Self.apiKey.isFlexible(version) { buffer.writeEmptyTaggedFields() }
    }
}
