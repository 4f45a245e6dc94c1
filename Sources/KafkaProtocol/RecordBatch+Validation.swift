import NIOCore

/// What is wrong with a batch a producer sent, mapped to the Kafka error the broker answers with:
/// bytes that do not parse are CORRUPT_MESSAGE (2), a batch that parses but breaks a rule of the
/// format or of the broker is INVALID_RECORD (87), a producer-set LogAppendTime is INVALID_TIMESTAMP
/// (32), as Kafka's LogValidator answers it.
public enum BatchValidationError: Error, Equatable, CustomStringConvertible {
    case truncated(needed: Int, available: Int)
    case unsupportedMagic(Int8)
    case badLength(Int32)
    case crcMismatch(stored: UInt32, computed: UInt32)
    case noRecords
    case offsetDeltaMismatch(lastOffsetDelta: Int32, recordsCount: Int32)
    case unknownCompression(Int16)
    /// Transaction markers are written by brokers; a client may not produce one.
    case controlBatchFromClient
    case transactionalWithoutProducerId
    /// An idempotent batch (producer id set) without a base sequence.
    case sequenceMissing(producerId: Int64, baseSequence: Int32)
    /// The producer set the LogAppendTime bit, which only the broker may set.
    case logAppendTimeFromProducer
    /// The compressed payload does not inflate, or inflates beyond the broker's bound.
    case decompression(CompressionError)
    /// Record `index` (0-based) does not parse: a varint that runs on, a length that disagrees with
    /// the bytes, a key or value length below -1, a null header key.
    case malformedRecord(index: Int, reason: String)
    /// The records end before `recordsCount` of them were read.
    case missingRecords(declared: Int32, present: Int)
    /// Bytes remain after the declared number of records.
    case trailingBytes(Int, afterRecords: Int32)
    /// Inner offsets must run 0, 1, 2, ...: consumers compute each record's offset from them.
    case offsetDeltaOutOfSequence(index: Int, offsetDelta: Int32)

    public var errorCode: ErrorCode {
        switch self {
        case .unsupportedMagic: return .unsupportedForMessageFormat
        case .unknownCompression: return .unsupportedCompressionType
        case .noRecords, .offsetDeltaMismatch, .controlBatchFromClient, .transactionalWithoutProducerId, .sequenceMissing,
             .offsetDeltaOutOfSequence:
            return .invalidRecord
        case .logAppendTimeFromProducer: return .invalidTimestamp
        case .decompression(.outputTooLarge): return .invalidRecord
        case .decompression(.unsupported): return .unsupportedCompressionType
        case .truncated, .badLength, .crcMismatch, .decompression(.malformed), .malformedRecord, .missingRecords, .trailingBytes:
            return .corruptMessage
        }
    }

    /// The record the error is about, for Produce v8's `record_errors`; nil when it is the batch's.
    public var recordIndex: Int? {
        switch self {
        case .malformedRecord(let index, _), .offsetDeltaOutOfSequence(let index, _): return index
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .truncated(let needed, let available): return "batch needs \(needed) bytes, \(available) present"
        case .unsupportedMagic(let magic): return "magic \(magic) is not RecordBatch v2"
        case .badLength(let length): return "batch length \(length) is impossible"
        case .crcMismatch(let stored, let computed): return "CRC-32C mismatch: stored \(stored), computed \(computed)"
        case .noRecords: return "batch holds no records"
        case .offsetDeltaMismatch(let delta, let count): return "lastOffsetDelta \(delta) with \(count) records"
        case .unknownCompression(let attributes): return "unknown compression in attributes \(attributes)"
        case .controlBatchFromClient: return "clients may not write control batches"
        case .transactionalWithoutProducerId: return "transactional batch without a producer id"
        case .sequenceMissing(let producerId, let sequence): return "batch of producer id \(producerId) has base sequence \(sequence)"
        case .logAppendTimeFromProducer: return "producer set the LogAppendTime timestamp type, which only the broker sets"
        case .decompression(let error): return "\(error)"
        case .malformedRecord(let index, let reason): return "record \(index) is malformed: \(reason)"
        case .missingRecords(let declared, let present): return "batch declares \(declared) records, holds \(present)"
        case .trailingBytes(let count, let records): return "\(count) bytes follow the declared \(records) records"
        case .offsetDeltaOutOfSequence(let index, let delta): return "record \(index) has offset delta \(delta), expected \(index)"
        }
    }
}

/// A run of RecordBatch v2 bytes, such as a produce request's `records`, a segment file or a fetch
/// response, split into batches without copying.
public enum RecordBatches {
    public struct Batch: Sendable {
        public var header: RecordBatchHeader
        /// The whole batch, header included.
        public var bytes: ByteBuffer
    }

    /// Splits `buffer` into complete batches. A trailing partial batch is returned separately (fetch
    /// responses may legitimately end with one); a batch whose length is impossible throws.
    public static func split(_ buffer: ByteBuffer) throws -> (batches: [Batch], partialTailBytes: Int) {
        var batches: [Batch] = []
        var index = buffer.readerIndex
        while index < buffer.writerIndex {
            guard let header = RecordBatchHeader(buffer, at: index) else {
                return (batches, buffer.writerIndex - index)
            }
            guard header.batchLength >= Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead) else {
                throw BatchValidationError.badLength(header.batchLength)
            }
            let total = header.totalSize
            guard index + total <= buffer.writerIndex, let bytes = buffer.getSlice(at: index, length: total) else {
                return (batches, buffer.writerIndex - index)
            }
            batches.append(Batch(header: header, bytes: bytes))
            index += total
        }
        return (batches, 0)
    }

    /// Checks one batch's header and checksum: magic 2, a consistent length, a CRC-32C that matches,
    /// at least one record, a known codec. A leader appending a producer's batch also checks its
    /// records with `validateProduced(_:rules:)`.
    public static func validate(_ batch: ByteBuffer) throws -> RecordBatchHeader {
        guard let header = RecordBatchHeader(batch, at: batch.readerIndex) else {
            throw BatchValidationError.truncated(needed: RecordBatchHeader.size, available: batch.readableBytes)
        }
        guard header.magic == 2 else { throw BatchValidationError.unsupportedMagic(header.magic) }
        guard header.batchLength >= Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead) else {
            throw BatchValidationError.badLength(header.batchLength)
        }
        guard header.totalSize <= batch.readableBytes else {
            throw BatchValidationError.truncated(needed: header.totalSize, available: batch.readableBytes)
        }
        let covered = header.totalSize - RecordBatchHeader.attributesOffset
        guard let computed = CRC32C.checksum(batch, at: batch.readerIndex + RecordBatchHeader.attributesOffset, length: covered) else {
            throw BatchValidationError.truncated(needed: header.totalSize, available: batch.readableBytes)
        }
        guard computed == header.crc else { throw BatchValidationError.crcMismatch(stored: header.crc, computed: computed) }
        guard header.recordsCount > 0 else { throw BatchValidationError.noRecords }
        guard header.compression != .unknown else { throw BatchValidationError.unknownCompression(header.attributes) }
        if header.lastOffsetDelta != header.recordsCount - 1 && !header.isControl {
            throw BatchValidationError.offsetDeltaMismatch(lastOffsetDelta: header.lastOffsetDelta, recordsCount: header.recordsCount)
        }
        return header
    }

    /// Whether the batch's stored CRC-32C matches its bytes (the only check recovery needs).
    public static func checksumMatches(_ batch: ByteBuffer) -> Bool {
        guard let header = RecordBatchHeader(batch, at: batch.readerIndex), header.totalSize <= batch.readableBytes,
              header.totalSize >= RecordBatchHeader.size else { return false }
        let covered = header.totalSize - RecordBatchHeader.attributesOffset
        return CRC32C.checksum(batch, at: batch.readerIndex + RecordBatchHeader.attributesOffset, length: covered) == header.crc
    }

    /// Rewrites the base offset and leader epoch of the batch that starts at `index`; neither is
    /// covered by the CRC.
    public static func assign(baseOffset: Int64, leaderEpoch: Int32, in buffer: inout ByteBuffer, at index: Int) {
        buffer.setInteger(baseOffset, at: index, endianness: .big)
        buffer.setInteger(leaderEpoch, at: index + RecordBatchHeader.partitionLeaderEpochOffset, endianness: .big)
    }

    /// Marks the batch at `index` as LogAppendTime with `timestampMs` as its max timestamp, and
    /// recomputes its CRC, which covers both fields.
    public static func stampLogAppendTime(_ timestampMs: Int64, in buffer: inout ByteBuffer, at index: Int) {
        let attributes = buffer.getInteger(at: index + RecordBatchHeader.attributesOffset, endianness: .big, as: Int16.self)!
        buffer.setInteger(attributes | 0x08, at: index + RecordBatchHeader.attributesOffset, endianness: .big)
        buffer.setInteger(timestampMs, at: index + RecordBatchHeader.maxTimestampOffset, endianness: .big)
        let batchLength = buffer.getInteger(at: index + 8, endianness: .big, as: Int32.self)!
        let covered = RecordBatchHeader.logOverhead + Int(batchLength) - RecordBatchHeader.attributesOffset
        let crc = CRC32C.checksum(buffer, at: index + RecordBatchHeader.attributesOffset, length: covered)!
        buffer.setInteger(crc, at: index + RecordBatchHeader.crcOffset, endianness: .big)
    }
}
