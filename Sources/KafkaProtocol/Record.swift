import NIOCore

/// One record inside a RecordBatch v2. Every length, delta and count here is a zigzag varint.
public struct Record: Sendable, Equatable {
    public struct Header: Sendable, Equatable {
        public var key: String
        public var value: ByteBuffer?
        public init(key: String, value: ByteBuffer?) {
            self.key = key
            self.value = value
        }
    }

    public var attributes: Int8
    public var timestampDelta: Int64
    public var offsetDelta: Int32
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [Header]

    public init(attributes: Int8 = 0, timestampDelta: Int64 = 0, offsetDelta: Int32, key: ByteBuffer?, value: ByteBuffer?, headers: [Header] = []) {
        self.attributes = attributes
        self.timestampDelta = timestampDelta
        self.offsetDelta = offsetDelta
        self.key = key
        self.value = value
        self.headers = headers
    }

    /// Reads one length-prefixed record. The record body must be exactly as long as its length says.
    public init(from buffer: inout ByteBuffer) throws {
        let length = try buffer.readZigZagVarint("record.length")
        guard length >= 0, var body = buffer.readSlice(length: Int(length)) else {
            throw ProtocolError.truncated("record body of \(length) bytes")
        }
        attributes = try body.readInt8("record.attributes")
        timestampDelta = try body.readZigZagVarlong("record.timestamp_delta")
        offsetDelta = try body.readZigZagVarint("record.offset_delta")
        key = try Self.readVarBytes(&body, "record.key")
        value = try Self.readVarBytes(&body, "record.value")
        let headerCount = try body.readZigZagVarint("record.headers_count")
        guard headerCount >= 0, Int(headerCount) <= body.readableBytes else {
            throw ProtocolError.invalid("record.headers_count \(headerCount)")
        }
        headers = []
        for _ in 0..<headerCount {
            guard let keyBytes = try Self.readVarBytes(&body, "record.header.key") else {
                throw ProtocolError.invalid("record header key is null")
            }
            headers.append(Header(key: String(buffer: keyBytes), value: try Self.readVarBytes(&body, "record.header.value")))
        }
        guard body.readableBytes == 0 else { throw ProtocolError.invalid("record has \(body.readableBytes) trailing bytes") }
    }

    static func readVarBytes(_ buffer: inout ByteBuffer, _ field: String) throws -> ByteBuffer? {
        let length = try buffer.readZigZagVarint(field)
        if length < 0 { return nil }
        guard let bytes = buffer.readSlice(length: Int(length)) else { throw ProtocolError.truncated(field) }
        return bytes
    }

    /// Body size, without the length prefix.
    var bodySize: Int {
        var size = 1 + Varint.zigZagSize(timestampDelta) + Varint.zigZagSize(Int64(offsetDelta))
        size += Self.varBytesSize(key) + Self.varBytesSize(value)
        size += Varint.zigZagSize(Int64(headers.count))
        for header in headers {
            size += Varint.zigZagSize(Int64(header.key.utf8.count)) + header.key.utf8.count + Self.varBytesSize(header.value)
        }
        return size
    }

    static func varBytesSize(_ bytes: ByteBuffer?) -> Int {
        guard let bytes else { return 1 }
        return Varint.zigZagSize(Int64(bytes.readableBytes)) + bytes.readableBytes
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeZigZagVarint(Int32(bodySize))
        buffer.writeInt8(attributes)
        buffer.writeZigZagVarlong(timestampDelta)
        buffer.writeZigZagVarint(offsetDelta)
        Self.writeVarBytes(key, into: &buffer)
        Self.writeVarBytes(value, into: &buffer)
        buffer.writeZigZagVarint(Int32(headers.count))
        for header in headers {
            buffer.writeZigZagVarint(Int32(header.key.utf8.count))
            buffer.writeString(header.key)
            Self.writeVarBytes(header.value, into: &buffer)
        }
    }

    static func writeVarBytes(_ bytes: ByteBuffer?, into buffer: inout ByteBuffer) {
        guard var bytes else { buffer.writeZigZagVarint(-1); return }
        buffer.writeZigZagVarint(Int32(bytes.readableBytes))
        buffer.writeBuffer(&bytes)
    }
}

/// A record with its absolute offset and timestamp, as a consumer sees it.
public struct ConsumedRecord: Sendable, Equatable {
    public var offset: Int64
    public var timestampMs: Int64
    public var key: ByteBuffer?
    public var value: ByteBuffer?
    public var headers: [Record.Header]
    public var leaderEpoch: Int32

    public init(offset: Int64, timestampMs: Int64, key: ByteBuffer?, value: ByteBuffer?, headers: [Record.Header] = [], leaderEpoch: Int32 = -1) {
        self.offset = offset
        self.timestampMs = timestampMs
        self.key = key
        self.value = value
        self.headers = headers
        self.leaderEpoch = leaderEpoch
    }
}

extension RecordBatches {
    public enum DecodeError: Error, Equatable, CustomStringConvertible {
        /// The batch's length runs past its bytes.
        case truncated(declared: Int, present: Int)
        /// The compressed payload could not be inflated within the bound.
        case decompression(CompressionError)
        public var description: String {
            switch self {
            case .truncated(let declared, let present): return "batch declares \(declared) bytes but \(present) are present"
            case .decompression(let error): return "\(error)"
            }
        }
    }

    /// The most a client inflates one batch to: 64 times its stored size, at least 16 MiB, at most
    /// 1 GiB (the broker's bound for what producers send, applied to what a fetch returns).
    public static func clientUncompressedLimit(batchBytes: Int) -> Int {
        min(max(64 * batchBytes, 16 << 20), 1 << 30)
    }

    /// Decodes the records of one batch, inflating a compressed payload (gzip, snappy, lz4, zstd) up to
    /// `maxUncompressedBytes`. Control batches (transaction markers) yield none.
    public static func records(of batch: Batch, maxUncompressedBytes: Int? = nil) throws -> [ConsumedRecord] {
        let header = batch.header
        if header.isControl { return [] }
        var body = try payload(of: batch.bytes, header: header)
        if header.compression != .none {
            let limit = maxUncompressedBytes ?? clientUncompressedLimit(batchBytes: header.totalSize)
            do {
                body = try Compression.decompress(header.compression, body, maxOutputBytes: limit)
            } catch let error as CompressionError {
                throw DecodeError.decompression(error)
            }
        }
        var out: [ConsumedRecord] = []
        out.reserveCapacity(Int(max(0, min(header.recordsCount, 1 << 16))))
        for _ in 0..<max(0, header.recordsCount) {
            let record = try Record(from: &body)
            // Wrapping: the deltas are whatever the batch says, and a hostile batch must not trap here.
            let timestamp = header.timestampType == .logAppendTime ? header.maxTimestamp : header.baseTimestamp &+ record.timestampDelta
            out.append(ConsumedRecord(offset: header.baseOffset &+ Int64(record.offsetDelta), timestampMs: timestamp,
                                      key: record.key, value: record.value, headers: record.headers,
                                      leaderEpoch: header.partitionLeaderEpoch))
        }
        return out
    }

    /// The bytes after the 61-byte header, as the header's length declares them.
    static func payload(of bytes: ByteBuffer, header: RecordBatchHeader) throws -> ByteBuffer {
        let length = header.totalSize - RecordBatchHeader.size
        guard length >= 0, let body = bytes.getSlice(at: bytes.readerIndex + RecordBatchHeader.size, length: length) else {
            throw DecodeError.truncated(declared: header.totalSize, present: bytes.readableBytes)
        }
        return body
    }

    /// The batch with its records re-encoded in `codec` (a topic's `compression.type` other than
    /// `producer`): every header field but the codec bits, the length and the CRC is kept, so offsets,
    /// timestamps and the producer's id, epoch and sequence mean what they did. The same bytes when the
    /// batch already uses `codec`.
    public static func recoded(_ bytes: ByteBuffer, to codec: CompressionCodec, maxUncompressedBytes: Int) throws -> ByteBuffer {
        guard var header = RecordBatchHeader(bytes, at: bytes.readerIndex) else {
            throw DecodeError.truncated(declared: RecordBatchHeader.size, present: bytes.readableBytes)
        }
        guard header.compression != codec else { return bytes }
        let encoded: ByteBuffer
        do {
            let plain = try Compression.decompress(header.compression, try payload(of: bytes, header: header), maxOutputBytes: maxUncompressedBytes)
            encoded = try Compression.compress(codec, plain)
        } catch let error as CompressionError {
            throw DecodeError.decompression(error)
        }
        header.attributes = (header.attributes & ~0x07) | Int16(codec.rawValue)
        header.batchLength = Int32(clamping: RecordBatchHeader.size - RecordBatchHeader.logOverhead + encoded.readableBytes)
        header.crc = 0
        var out = ByteBufferAllocator().buffer(capacity: RecordBatchHeader.size + encoded.readableBytes)
        header.encode(into: &out)
        out.writeImmutableBuffer(encoded)
        let crc = CRC32C.checksum(out, at: RecordBatchHeader.attributesOffset, length: out.readableBytes - RecordBatchHeader.attributesOffset) ?? 0
        out.setInteger(crc, at: RecordBatchHeader.crcOffset, endianness: .big)
        return out
    }
}
