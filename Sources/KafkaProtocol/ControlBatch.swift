import NIOCore

/// The type in a control record's key (Kafka's `ControlRecordType`). Samsa writes and reads the two
/// transaction markers; other types (KRaft's leader change, snapshots) decode as nil.
public enum ControlRecordType: Int16, Sendable, CaseIterable {
    case abort = 0
    case commit = 1
}

/// A transaction marker: the one record of a control batch (attributes bit 5 control, bit 4
/// transactional) that the partition leader writes when a transaction commits or aborts. Its key is
/// version (0) and type; its value is version (0) and the coordinator epoch that wrote it.
public struct TransactionMarker: Sendable, Equatable {
    public static let controlAttributes: Int16 = 0x30
    public static let transactionalAttribute: Int16 = 0x10

    public var type: ControlRecordType
    public var coordinatorEpoch: Int32

    public init(type: ControlRecordType, coordinatorEpoch: Int32) {
        self.type = type
        self.coordinatorEpoch = coordinatorEpoch
    }

    /// The control record's key: version 0 and the type.
    public var key: ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 4)
        buffer.writeInteger(Int16(0))
        buffer.writeInteger(type.rawValue)
        return buffer
    }

    /// The control record's value: version 0 and the coordinator epoch.
    public var value: ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 6)
        buffer.writeInteger(Int16(0))
        buffer.writeInteger(coordinatorEpoch)
        return buffer
    }

    /// The marker batch for a producer, at base offset 0 (the log assigns the real one).
    public func batch(producerId: Int64, producerEpoch: Int16, timestampMs: Int64) -> ByteBuffer {
        var builder = RecordBatchBuilder(producerId: producerId, producerEpoch: producerEpoch, baseSequence: -1)
        builder.attributes = Self.controlAttributes
        return builder.build([.init(key: key, value: value, timestampMs: timestampMs)])
    }

    /// The type in a control record's key; nil for a type Samsa does not know. Throws on a key that
    /// is too short or of a version after 0.
    public static func type(ofKey key: ByteBuffer) throws -> ControlRecordType? {
        var key = key
        guard let version = key.readInteger(as: Int16.self), let raw = key.readInteger(as: Int16.self) else {
            throw ProtocolError.truncated("control record key")
        }
        guard version == 0 else { throw ProtocolError.invalid("control record key version \(version)") }
        return ControlRecordType(rawValue: raw)
    }

    /// Decodes the marker of a control batch (uncompressed, as Kafka writes them): nil when the
    /// batch is not a control batch or its type is not a transaction marker.
    public static func decode(batch: ByteBuffer) throws -> TransactionMarker? {
        guard let header = RecordBatchHeader(batch, at: batch.readerIndex), header.isControl else { return nil }
        var records = batch
        records.moveReaderIndex(forwardBy: RecordBatchHeader.size)
        let record = try Record(from: &records)
        guard let keyBytes = record.key, let type = try type(ofKey: keyBytes) else { return nil }
        guard var value = record.value, value.readInteger(as: Int16.self) != nil, let epoch = value.readInteger(as: Int32.self) else {
            throw ProtocolError.truncated("control record value")
        }
        return TransactionMarker(type: type, coordinatorEpoch: epoch)
    }
}
