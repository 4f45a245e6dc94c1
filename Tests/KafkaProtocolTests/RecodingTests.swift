import NIOCore
import Testing
@testable import KafkaProtocol

/// Decoding compressed batches (what `samsa consume` reads) and re-encoding a batch in another codec
/// (what a topic's `compression.type` asks of the leader, and how `samsa produce --compression` builds).
@Suite struct RecodingTests {
    static func inputs(_ count: Int) -> [RecordBatchBuilder.Input] {
        (0..<count).map(input)
    }

    static func input(_ i: Int) -> RecordBatchBuilder.Input {
        let key: ByteBuffer? = i % 3 == 0 ? nil : ByteBuffer(string: "key-\(i)")
        let value = ByteBuffer(string: String(repeating: "value-\(i) ", count: 8))
        let headers: [Record.Header] = i % 2 == 0 ? [Record.Header(key: "h", value: ByteBuffer(string: "\(i)"))] : []
        let timestamp: Int64 = 1_700_000_000_000 + Int64(i)
        return RecordBatchBuilder.Input(key: key, value: value, headers: headers, timestampMs: timestamp)
    }

    static func decoded(_ bytes: ByteBuffer) throws -> [ConsumedRecord] {
        let batches = try RecordBatches.split(bytes).batches
        #expect(batches.count == 1)
        return try RecordBatches.records(of: batches[0])
    }

    @Test(arguments: CompressionTests.codecs)
    func aCompressedBatchDecodesToTheRecordsItWasBuiltFrom(_ codec: CompressionCodec) throws {
        let builder = RecordBatchBuilder(producerId: 7, producerEpoch: 1, baseSequence: 40)
        let plain = builder.build(Self.inputs(50))
        let compressed = try builder.build(Self.inputs(50), compression: codec)
        let header = try RecordBatches.validateProduced(compressed, rules: .init(logAppendTime: false, maxUncompressedBytes: 1 << 20))
        #expect(header.compression == codec)
        #expect(compressed.readableBytes < plain.readableBytes)
        #expect(try Self.decoded(compressed) == Self.decoded(plain))
    }

    /// Re-encoding keeps every header field a replica, a checker or a producer relies on, and back to
    /// `none` gives the very bytes the builder wrote.
    @Test(arguments: CompressionTests.codecs)
    func recodingKeepsTheHeaderAndRoundTripsExactly(_ codec: CompressionCodec) throws {
        var builder = RecordBatchBuilder(producerId: 9, producerEpoch: 2, baseSequence: 100)
        builder.baseOffset = 1234
        builder.partitionLeaderEpoch = 5
        let plain = builder.build(Self.inputs(20))
        let recoded = try RecordBatches.recoded(plain, to: codec, maxUncompressedBytes: 1 << 20)
        let before = try RecordBatches.validate(plain)
        let after = try RecordBatches.validate(recoded)
        #expect(after.compression == codec)
        #expect(after.baseOffset == before.baseOffset && after.partitionLeaderEpoch == before.partitionLeaderEpoch)
        #expect(after.lastOffsetDelta == before.lastOffsetDelta && after.recordsCount == before.recordsCount)
        #expect(after.producerId == before.producerId && after.producerEpoch == before.producerEpoch && after.baseSequence == before.baseSequence)
        #expect(after.baseTimestamp == before.baseTimestamp && after.maxTimestamp == before.maxTimestamp)
        #expect(try RecordBatches.recoded(recoded, to: .none, maxUncompressedBytes: 1 << 20) == plain)
        #expect(try RecordBatches.recoded(plain, to: .none, maxUncompressedBytes: 1 << 20) == plain)
    }

    /// The batches real clients sent decode through the same path `samsa consume` uses.
    @Test(arguments: ClientBatchFixtures.all.indices)
    func realClientBatchesDecode(_ index: Int) throws {
        let records = try Self.decoded(ClientBatchFixtures.all[index].bytes)
        #expect(records.map(\.offset) == [0, 1, 2])
        #expect(records[0].value == ByteBuffer(string: String(repeating: "value-0 ", count: 4)))
    }

    @Test func aBombIsRefusedWhenDecodingWithTheBoundNamed() throws {
        let zeros = ByteBuffer(repeating: 0, count: 4 << 20)
        let big = RecordBatchBuilder().build([.init(key: nil, value: zeros, timestampMs: 0)])
        let bomb = try RecordBatches.recoded(big, to: .gzip, maxUncompressedBytes: 8 << 20)
        let batch = try RecordBatches.split(bomb).batches[0]
        #expect(throws: RecordBatches.DecodeError.decompression(.outputTooLarge(.gzip, limit: 1 << 20))) {
            try RecordBatches.records(of: batch, maxUncompressedBytes: 1 << 20)
        }
    }
}
