import NIOCore

/// The 61-byte header of a RecordBatch v2 (magic 2), the unit Samsa stores, replicates and serves.
///
/// Layout (offsets in bytes): baseOffset 0, batchLength 8, partitionLeaderEpoch 12, magic 16,
/// crc 17, attributes 21, lastOffsetDelta 23, baseTimestamp 27, maxTimestamp 35, producerId 43,
/// producerEpoch 51, baseSequence 53, recordsCount 57, records 61. The CRC covers attributes to the
/// end of the batch, so the broker may rewrite baseOffset and partitionLeaderEpoch without
/// recomputing it.
public struct RecordBatchHeader: Sendable, Equatable {
    public static let size = 61
    /// Bytes from the start of the batch that are not counted in `batchLength`.
    public static let logOverhead = 12
    public static let crcOffset = 17
    public static let attributesOffset = 21
    public static let maxTimestampOffset = 35
    public static let partitionLeaderEpochOffset = 12

    public var baseOffset: Int64
    public var batchLength: Int32
    public var partitionLeaderEpoch: Int32
    public var magic: Int8
    public var crc: UInt32
    public var attributes: Int16
    public var lastOffsetDelta: Int32
    public var baseTimestamp: Int64
    public var maxTimestamp: Int64
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var recordsCount: Int32

    public init(baseOffset: Int64 = 0, batchLength: Int32 = 0, partitionLeaderEpoch: Int32 = -1,
                magic: Int8 = 2, crc: UInt32 = 0, attributes: Int16 = 0, lastOffsetDelta: Int32 = 0,
                baseTimestamp: Int64 = 0, maxTimestamp: Int64 = 0, producerId: Int64 = -1,
                producerEpoch: Int16 = -1, baseSequence: Int32 = -1, recordsCount: Int32 = 0) {
        self.baseOffset = baseOffset
        self.batchLength = batchLength
        self.partitionLeaderEpoch = partitionLeaderEpoch
        self.magic = magic
        self.crc = crc
        self.attributes = attributes
        self.lastOffsetDelta = lastOffsetDelta
        self.baseTimestamp = baseTimestamp
        self.maxTimestamp = maxTimestamp
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.recordsCount = recordsCount
    }

    /// Reads a header at absolute `index` without moving the reader index. Nil if fewer than 61
    /// bytes are readable there. Does not validate anything beyond presence.
    public init?(_ buffer: ByteBuffer, at index: Int) {
        guard index >= buffer.readerIndex, index + Self.size <= buffer.writerIndex else { return nil }
        func get<T: FixedWidthInteger>(_ offset: Int, _ type: T.Type) -> T {
            buffer.getInteger(at: index + offset, endianness: .big, as: T.self)!
        }
        baseOffset = get(0, Int64.self)
        batchLength = get(8, Int32.self)
        partitionLeaderEpoch = get(12, Int32.self)
        magic = get(16, Int8.self)
        crc = get(17, UInt32.self)
        attributes = get(21, Int16.self)
        lastOffsetDelta = get(23, Int32.self)
        baseTimestamp = get(27, Int64.self)
        maxTimestamp = get(35, Int64.self)
        producerId = get(43, Int64.self)
        producerEpoch = get(51, Int16.self)
        baseSequence = get(53, Int32.self)
        recordsCount = get(57, Int32.self)
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInt64(baseOffset)
        buffer.writeInt32(batchLength)
        buffer.writeInt32(partitionLeaderEpoch)
        buffer.writeInt8(magic)
        buffer.writeUInt32(crc)
        buffer.writeInt16(attributes)
        buffer.writeInt32(lastOffsetDelta)
        buffer.writeInt64(baseTimestamp)
        buffer.writeInt64(maxTimestamp)
        buffer.writeInt64(producerId)
        buffer.writeInt16(producerEpoch)
        buffer.writeInt32(baseSequence)
        buffer.writeInt32(recordsCount)
    }

    /// Bytes the whole batch occupies, header included.
    public var totalSize: Int { Self.logOverhead + Int(batchLength) }
    /// Wrapping arithmetic: `baseOffset` lies outside the CRC, so a damaged header on disk may hold
    /// any value, and reading it must yield a wrong offset for the caller to reject, not a trap.
    public var lastOffset: Int64 { baseOffset &+ Int64(lastOffsetDelta) }
    /// The offset after this batch: the log end offset once it is appended.
    public var nextOffset: Int64 { lastOffset &+ 1 }
    public var compression: CompressionCodec { CompressionCodec(rawValue: Int8(attributes & 0x07)) ?? .unknown }
    public var timestampType: TimestampType { attributes & 0x08 != 0 ? .logAppendTime : .createTime }
    public var isTransactional: Bool { attributes & 0x10 != 0 }
    public var isControl: Bool { attributes & 0x20 != 0 }
    public var hasProducerId: Bool { producerId >= 0 }
    public var lastSequence: Int32 {
        baseSequence < 0 ? -1 : Int32(truncatingIfNeeded: (Int64(baseSequence) + Int64(lastOffsetDelta)) % (Int64(Int32.max) + 1))
    }
}

/// The codec bits of a batch's attributes. Samsa stores and serves compressed batches as they came;
/// only clients decompress.
public enum CompressionCodec: Int8, Sendable, CaseIterable {
    case none = 0, gzip = 1, snappy = 2, lz4 = 3, zstd = 4
    case unknown = -1
}

public enum TimestampType: Sendable, Equatable {
    case createTime, logAppendTime
}
