import NIOCore

/// Why a compressed batch payload could not be turned back into records.
public enum CompressionError: Error, Equatable, CustomStringConvertible {
    /// The bytes are not a valid stream of the codec (bad header, checksum, truncated, trailing bytes).
    case malformed(CompressionCodec, String)
    /// Inflating would exceed `limit` bytes: a decompression bomb, or a batch far larger than any
    /// producer builds.
    case outputTooLarge(CompressionCodec, limit: Int)
    /// The attributes name no codec Kafka defines.
    case unsupported(CompressionCodec)

    public var description: String {
        switch self {
        case .malformed(let codec, let reason): return "\(codec) payload is malformed: \(reason)"
        case .outputTooLarge(let codec, let limit): return "\(codec) payload inflates beyond \(limit) bytes"
        case .unsupported(let codec): return "no decompressor for codec \(codec)"
        }
    }
}

/// The codecs of compressed RecordBatch v2 payloads (everything after `recordsCount`), in the framing
/// Kafka's clients write:
///
/// - gzip: an RFC 1952 gzip stream (concatenated members are accepted, as Java's GZIPInputStream does);
/// - snappy: either one raw Snappy block (librdkafka) or snappy-java's framing (the Java client): the
///   magic `82 'SNAPPY' 00`, a version and a compatible-version int32, then big-endian int32
///   length-prefixed raw blocks;
/// - lz4: one LZ4 frame with a correct header checksum (KIP-57);
/// - zstd: zstd frames.
///
/// Decompression always takes a bound on the output: the broker inflates what producers send, and
/// a few kilobytes of gzip can claim gigabytes. Pure functions over bytes; no state between calls.
public enum Compression {
    /// Decompresses `input` (its readable bytes) with `codec`, refusing to produce more than
    /// `maxOutputBytes`.
    public static func decompress(_ codec: CompressionCodec, _ input: ByteBuffer, maxOutputBytes: Int) throws -> ByteBuffer {
        precondition(maxOutputBytes >= 0, "maxOutputBytes \(maxOutputBytes) is negative")
        return try input.withUnsafeReadableBytes { bytes in
            switch codec {
            case .none:
                guard bytes.count <= maxOutputBytes else { throw CompressionError.outputTooLarge(codec, limit: maxOutputBytes) }
                return ByteBuffer(bytes: bytes)
            case .gzip: return try Gzip.decompress(bytes, maxOutputBytes: maxOutputBytes)
            case .snappy: return try Snappy.decompress(bytes, maxOutputBytes: maxOutputBytes)
            case .lz4: return try LZ4.decompress(bytes, maxOutputBytes: maxOutputBytes)
            case .zstd: return try Zstd.decompress(bytes, maxOutputBytes: maxOutputBytes)
            case .unknown: throw CompressionError.unsupported(codec)
            }
        }
    }

    /// Compresses `input` the way the Kafka clients do (snappy as one raw block, as librdkafka
    /// writes it; `Snappy.compressFramed` gives the Java client's framing).
    public static func compress(_ codec: CompressionCodec, _ input: ByteBuffer) throws -> ByteBuffer {
        try input.withUnsafeReadableBytes { bytes in
            switch codec {
            case .none: return ByteBuffer(bytes: bytes)
            case .gzip: return try Gzip.compress(bytes)
            case .snappy: return try Snappy.compressRaw(bytes)
            case .lz4: return try LZ4.compress(bytes)
            case .zstd: return try Zstd.compress(bytes)
            case .unknown: throw CompressionError.unsupported(codec)
            }
        }
    }
}

/// An output buffer that grows geometrically up to a hard limit, for the streaming decoders.
struct BoundedOutput {
    let codec: CompressionCodec
    let limit: Int
    var buffer: ByteBuffer

    /// The first allocation: enough for typical ratios, never more than the limit allows.
    init(codec: CompressionCodec, limit: Int, inputBytes: Int) {
        self.codec = codec
        self.limit = limit
        buffer = ByteBufferAllocator().buffer(capacity: min(limit + 1, max(4 * inputBytes, 64 * 1024)))
    }

    var produced: Int { buffer.writerIndex }

    /// Lets `body` write up to the next chunk of output (doubling, capped one byte past the limit so
    /// that filling it proves the stream is too large) and returns what `body` returns. `body` gets
    /// the chunk and reports how many bytes it wrote.
    mutating func write<T>(_ body: (UnsafeMutableRawBufferPointer) throws -> (written: Int, result: T)) throws -> T {
        let room = limit + 1 - produced
        guard room > 0 else { throw CompressionError.outputTooLarge(codec, limit: limit) }
        let chunk = min(room, max(produced, 64 * 1024))
        var result: T?
        try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: chunk) { raw in
            let window = UnsafeMutableRawBufferPointer(rebasing: raw[0..<chunk])
            let outcome = try body(window)
            precondition(outcome.written >= 0 && outcome.written <= chunk, "decoder wrote \(outcome.written) of \(chunk) bytes")
            result = outcome.result
            return outcome.written
        }
        guard produced <= limit else { throw CompressionError.outputTooLarge(codec, limit: limit) }
        return result!
    }
}
