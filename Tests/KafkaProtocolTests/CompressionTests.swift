import NIOCore
import Testing
@testable import KafkaProtocol

@Suite struct CompressionTests {
    static let codecs: [CompressionCodec] = [.gzip, .snappy, .lz4, .zstd]

    /// Text-like bytes: compressible, but not a single repeated byte.
    static func sampleBytes(_ count: Int) -> ByteBuffer {
        var generator = SystemRandomNumberGenerator()
        let words = ["offset", "leader", "epoch", "isr", "watermark", "batch", "record", "\n"]
        var buffer = ByteBuffer()
        while buffer.readableBytes < count { buffer.writeString(words.randomElement(using: &generator)! + " ") }
        return buffer.getSlice(at: 0, length: count)!
    }

    static func payload(of batch: ByteBuffer) -> ByteBuffer {
        batch.getSlice(at: batch.readerIndex + RecordBatchHeader.size, length: batch.readableBytes - RecordBatchHeader.size)!
    }

    /// The batches confluent-kafka and kafka-python really sent inflate to the records they were given.
    @Test(arguments: ClientBatchFixtures.all.indices)
    func realClientBatchesInflateToTheirRecords(_ index: Int) throws {
        let fixture = ClientBatchFixtures.all[index]
        let batch = fixture.bytes
        let header = try RecordBatches.validate(batch)
        #expect(header.compression == fixture.codec && header.recordsCount == 3)
        var records = try Compression.decompress(fixture.codec, Self.payload(of: batch), maxOutputBytes: 1 << 20)
        for i in 0..<3 {
            let record = try Record(from: &records)
            #expect(record.offsetDelta == Int32(i) && record.timestampDelta == Int64(i))
            let key = fixture.confluentShape && i == 1 ? nil : ByteBuffer(string: "key-\(i)")
            #expect(record.key == key, "\(fixture.client) \(fixture.codec) record \(i)")
            #expect(record.value == ByteBuffer(string: String(repeating: "value-\(i) ", count: 4)))
            let headers: [Record.Header] = fixture.confluentShape && i == 2 ? [.init(key: "h", value: ByteBuffer(string: "x"))] : []
            #expect(record.headers == headers)
        }
        #expect(records.readableBytes == 0)
    }

    @Test func librdkafkaSendsRawSnappyAndTheJavaFramingIsRecognised() {
        let raw = ClientBatchFixtures.all.first { $0.client == "confluent-kafka" && $0.codec == .snappy }!
        let framed = ClientBatchFixtures.all.first { $0.client == "kafka-python" }!
        #expect(!Self.payload(of: raw.bytes).withUnsafeReadableBytes(Compression.Snappy.isFramed))
        #expect(Self.payload(of: framed.bytes).withUnsafeReadableBytes(Compression.Snappy.isFramed))
    }

    @Test(arguments: codecs)
    func roundTripsManySizes(_ codec: CompressionCodec) throws {
        for size in [1, 100, 70_000, 300_000] {
            let input = Self.sampleBytes(size)
            let compressed = try Compression.compress(codec, input)
            let output = try Compression.decompress(codec, compressed, maxOutputBytes: size)
            #expect(output == input, "\(codec) \(size) bytes")
        }
    }

    /// snappy-java's framing splits input into 32 KiB blocks; several blocks must come back in order.
    @Test func snappyJavaFramingRoundTripsAcrossBlocks() throws {
        let input = Self.sampleBytes(100_000)
        let framed = try input.withUnsafeReadableBytes(Compression.Snappy.compressFramed)
        #expect(framed.getBytes(at: 0, length: 8) == Compression.Snappy.framedMagic)
        #expect(try Compression.decompress(.snappy, framed, maxOutputBytes: 100_000) == input)
    }

    /// A payload of zeros compresses about a thousandfold; inflating stops at the bound, before the
    /// bomb's full size is ever allocated.
    @Test(arguments: codecs)
    func aDecompressionBombIsRefusedAtTheBound(_ codec: CompressionCodec) throws {
        let bomb = try Compression.compress(codec, ByteBuffer(repeating: 0, count: 32 << 20))
        #expect(bomb.readableBytes < 4 << 20)
        #expect(throws: CompressionError.outputTooLarge(codec, limit: 1 << 20)) {
            try Compression.decompress(codec, bomb, maxOutputBytes: 1 << 20)
        }
        let exact = try Compression.compress(codec, ByteBuffer(repeating: 7, count: 5000))
        #expect(try Compression.decompress(codec, exact, maxOutputBytes: 5000).readableBytes == 5000)
        #expect(throws: CompressionError.outputTooLarge(codec, limit: 4999)) {
            try Compression.decompress(codec, exact, maxOutputBytes: 4999)
        }
    }

    @Test(arguments: codecs)
    func truncatedStreamsAreMalformed(_ codec: CompressionCodec) throws {
        let compressed = try Compression.compress(codec, Self.sampleBytes(5000))
        for cut in [1, 4, compressed.readableBytes / 2, compressed.readableBytes - 1] {
            let truncated = compressed.getSlice(at: 0, length: compressed.readableBytes - cut)!
            #expect(Self.isMalformed { try Compression.decompress(codec, truncated, maxOutputBytes: 1 << 20) }, "\(codec) cut \(cut)")
        }
        #expect(Self.isMalformed { try Compression.decompress(codec, ByteBuffer(), maxOutputBytes: 1 << 20) })
    }

    /// Plain records under a codec's attribute: what a buggy producer sends when it sets the codec
    /// bits but skips compressing.
    @Test(arguments: codecs)
    func uncompressedRecordsAreMalformed(_ codec: CompressionCodec) throws {
        let batch = RecordBatchBuilder().build([.init(key: nil, value: ByteBuffer(string: "plain value"), timestampMs: 1)])
        #expect(Self.isMalformed { try Compression.decompress(codec, Self.payload(of: batch), maxOutputBytes: 1 << 20) })
    }

    @Test func gzipAcceptsConcatenatedMembersButNotTrailingGarbage() throws {
        var twice = try Compression.compress(.gzip, ByteBuffer(string: "first "))
        var second = try Compression.compress(.gzip, ByteBuffer(string: "second"))
        twice.writeBuffer(&second)
        #expect(try Compression.decompress(.gzip, twice, maxOutputBytes: 100) == ByteBuffer(string: "first second"))
        var garbage = try Compression.compress(.gzip, ByteBuffer(string: "data"))
        garbage.writeBytes([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
        #expect(Self.isMalformed { try Compression.decompress(.gzip, garbage, maxOutputBytes: 100) })
    }

    @Test func lz4RefusesTrailingBytesAndABadHeaderChecksum() throws {
        var trailing = try Compression.compress(.lz4, ByteBuffer(string: "data"))
        trailing.writeBytes([0, 0, 0, 0])
        #expect(Self.isMalformed { try Compression.decompress(.lz4, trailing, maxOutputBytes: 100) })
        // Byte 6 is the frame descriptor's checksum (magic 4, FLG, BD, HC) when no content size is set.
        var badChecksum = try Compression.compress(.lz4, ByteBuffer(string: "data"))
        badChecksum.setInteger(badChecksum.getInteger(at: 6, as: UInt8.self)! ^ 0xFF, at: 6)
        #expect(Self.isMalformed { try Compression.decompress(.lz4, badChecksum, maxOutputBytes: 100) })
    }

    @Test func zstdAcceptsConcatenatedFrames() throws {
        var frames = try Compression.compress(.zstd, ByteBuffer(string: "first "))
        var second = try Compression.compress(.zstd, ByteBuffer(string: "second"))
        frames.writeBuffer(&second)
        #expect(try Compression.decompress(.zstd, frames, maxOutputBytes: 100) == ByteBuffer(string: "first second"))
    }

    @Test func snappyJavaFramingWithABlockPastTheEndIsMalformed() throws {
        var framed = try ByteBuffer(string: "some data").withUnsafeReadableBytes(Compression.Snappy.compressFramed)
        framed.setInteger(Int32(1000), at: Compression.Snappy.framedHeaderBytes)
        #expect(Self.isMalformed { try Compression.decompress(.snappy, framed, maxOutputBytes: 100) })
        // A raw block claiming a huge length is refused from its preamble, before any allocation.
        var claim = ByteBuffer()
        claim.writeBytes([0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00])
        #expect(throws: CompressionError.outputTooLarge(.snappy, limit: 1 << 20)) {
            try Compression.decompress(.snappy, claim, maxOutputBytes: 1 << 20)
        }
    }

    static func isMalformed(_ body: () throws -> ByteBuffer) -> Bool {
        do {
            _ = try body()
            return false
        } catch CompressionError.malformed {
            return true
        } catch {
            return false
        }
    }
}
