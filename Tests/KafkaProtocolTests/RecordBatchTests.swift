import NIOCore
import Testing
@testable import KafkaProtocol

/// A bit-at-a-time CRC-32C, the textbook form of the reflected Castagnoli polynomial: slow, but
/// independent of the slicing-by-8 tables it checks.
func referenceCRC32C(_ bytes: some Sequence<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc ^= UInt32(byte)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
    }
    return ~crc
}

@Suite struct RecordBatchTests {
    func sample() -> ByteBuffer {
        RecordBatchBuilder(producerId: 7, producerEpoch: 1, baseSequence: 10).build([
            .init(key: ByteBuffer(string: "k"), value: ByteBuffer(string: "v1"), headers: [.init(key: "h", value: ByteBuffer(string: "x"))], timestampMs: 1000),
            .init(key: nil, value: ByteBuffer(string: "v2"), timestampMs: 1005),
        ])
    }

    /// `sample()` written out field by field from the RecordBatch v2 layout in Kafka's
    /// documentation; the CRC was computed outside this code base with a bitwise CRC-32C.
    static let golden: [UInt8] = [
        0, 0, 0, 0, 0, 0, 0, 0, // baseOffset 0
        0, 0, 0, 72, // batchLength: 84 bytes - 12
        0xFF, 0xFF, 0xFF, 0xFF, // partitionLeaderEpoch -1
        2, // magic
        0x7A, 0xC9, 0x9F, 0x4F, // crc
        0, 0, // attributes: no compression, CreateTime
        0, 0, 0, 1, // lastOffsetDelta
        0, 0, 0, 0, 0, 0, 0x03, 0xE8, // baseTimestamp 1000
        0, 0, 0, 0, 0, 0, 0x03, 0xED, // maxTimestamp 1005
        0, 0, 0, 0, 0, 0, 0, 7, // producerId
        0, 1, // producerEpoch
        0, 0, 0, 10, // baseSequence
        0, 0, 0, 2, // recordsCount
        // record 0: length 13, attributes, timestampDelta 0, offsetDelta 0, key "k", value "v1", 1 header h=x (zigzag varints)
        0x1A, 0x00, 0x00, 0x00, 0x02, 0x6B, 0x04, 0x76, 0x31, 0x02, 0x02, 0x68, 0x02, 0x78,
        // record 1: length 8, attributes, timestampDelta 5, offsetDelta 1, key null, value "v2", no headers
        0x10, 0x00, 0x0A, 0x02, 0x01, 0x04, 0x76, 0x32, 0x00,
    ]

    @Test func builtBatchMatchesGoldenBytes() throws {
        let batch = sample()
        #expect(Array(batch.readableBytesView) == Self.golden)
        #expect(referenceCRC32C(Self.golden[RecordBatchHeader.attributesOffset...]) == 0x7AC9_9F4F)
        let header = try RecordBatches.validate(ByteBuffer(bytes: Self.golden))
        #expect(header.magic == 2 && header.recordsCount == 2 && header.lastOffsetDelta == 1 && header.totalSize == 84)
        #expect(header.baseTimestamp == 1000 && header.maxTimestamp == 1005)
        #expect(header.producerId == 7 && header.producerEpoch == 1 && header.baseSequence == 10 && header.lastSequence == 11)
    }

    @Test func builderCrcAgreesWithReferenceForManyShapes() throws {
        for count in [1, 2, 7, 50] {
            let inputs = (0..<count).map { index in
                RecordBatchBuilder.Input(key: index % 3 == 0 ? nil : ByteBuffer(string: "key-\(index)"),
                                         value: ByteBuffer(repeating: UInt8(index), count: index * 13),
                                         headers: index % 2 == 0 ? [] : [.init(key: "h\(index)", value: nil)],
                                         timestampMs: 1_700_000_000_000 + Int64(index * 37 % 11))
            }
            let batch = RecordBatchBuilder().build(inputs)
            let header = try RecordBatches.validate(batch)
            #expect(referenceCRC32C(Array(batch.readableBytesView)[RecordBatchHeader.attributesOffset...]) == header.crc)
            #expect(try RecordBatches.records(of: RecordBatches.split(batch).batches[0]).count == count)
        }
    }

    @Test func recordsDecodeWithNullKeyNullValueAndHeaders() throws {
        var batch = sample()
        RecordBatches.assign(baseOffset: 100, leaderEpoch: 3, in: &batch, at: 0)
        let records = try RecordBatches.records(of: RecordBatches.split(batch).batches[0])
        #expect(records.count == 2)
        #expect(records[0] == ConsumedRecord(offset: 100, timestampMs: 1000, key: ByteBuffer(string: "k"), value: ByteBuffer(string: "v1"),
                                             headers: [.init(key: "h", value: ByteBuffer(string: "x"))], leaderEpoch: 3))
        #expect(records[1] == ConsumedRecord(offset: 101, timestampMs: 1005, key: nil, value: ByteBuffer(string: "v2"), headers: [], leaderEpoch: 3))
        var nulls = ByteBuffer()
        Record(offsetDelta: 0, key: nil, value: nil, headers: [.init(key: "k", value: nil)]).encode(into: &nulls)
        // length 9, attributes, timestampDelta 0, offsetDelta 0, key -1, value -1, 1 header: "k" = null
        #expect(Array(nulls.readableBytesView) == [0x12, 0x00, 0x00, 0x00, 0x01, 0x01, 0x02, 0x02, 0x6B, 0x01])
        #expect(try Record(from: &nulls) == Record(offsetDelta: 0, key: nil, value: nil, headers: [.init(key: "k", value: nil)]))
    }

    /// A producer may put records out of timestamp order: a record older than the batch's base
    /// timestamp has a negative delta.
    @Test func negativeTimestampDeltaDecodes() throws {
        var body = ByteBuffer()
        Record(timestampDelta: 0, offsetDelta: 0, key: nil, value: ByteBuffer(string: "a")).encode(into: &body)
        Record(timestampDelta: -250, offsetDelta: 1, key: nil, value: ByteBuffer(string: "b")).encode(into: &body)
        let batch = Self.batch(records: body, count: 2, baseTimestamp: 10_000, maxTimestamp: 10_000)
        #expect(try RecordBatches.validate(batch).recordsCount == 2)
        let records = try RecordBatches.records(of: RecordBatches.split(batch).batches[0])
        #expect(records.map(\.timestampMs) == [10_000, 9_750])
        var single = ByteBuffer()
        Record(timestampDelta: -1, offsetDelta: 0, key: nil, value: nil).encode(into: &single)
        #expect(Array(single.readableBytesView)[2] == 0x01) // zigzag(-1)
    }

    /// Deltas are whatever the batch says; absurd ones yield absurd offsets, never a trap.
    @Test func extremeDeltasDoNotTrap() throws {
        var body = ByteBuffer()
        Record(timestampDelta: Int64.max, offsetDelta: Int32.max, key: nil, value: nil).encode(into: &body)
        var batch = Self.batch(records: body, count: 1, baseTimestamp: Int64.max, maxTimestamp: Int64.max)
        RecordBatches.assign(baseOffset: Int64.max, leaderEpoch: 0, in: &batch, at: 0)
        let split = try RecordBatches.split(batch)
        _ = split.batches[0].header.nextOffset
        _ = try RecordBatches.records(of: split.batches[0])
    }

    /// Wraps record bytes in a header with a correct length and CRC.
    static func batch(records: ByteBuffer, count: Int32, baseTimestamp: Int64, maxTimestamp: Int64, attributes: Int16 = 0) -> ByteBuffer {
        var buffer = ByteBuffer()
        RecordBatchHeader(batchLength: Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead + records.readableBytes), attributes: attributes,
                          lastOffsetDelta: count - 1, baseTimestamp: baseTimestamp, maxTimestamp: maxTimestamp, recordsCount: count).encode(into: &buffer)
        var records = records
        buffer.writeBuffer(&records)
        let crc = CRC32C.checksum(buffer, at: RecordBatchHeader.attributesOffset, length: buffer.readableBytes - RecordBatchHeader.attributesOffset)!
        buffer.setInteger(crc, at: RecordBatchHeader.crcOffset)
        return buffer
    }

    func rejects(_ batch: ByteBuffer, _ expected: (BatchValidationError) -> Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try RecordBatches.validate(batch)
            Issue.record("accepted an invalid batch", sourceLocation: sourceLocation)
        } catch let error as BatchValidationError {
            #expect(expected(error), "\(error)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("unexpected \(error)", sourceLocation: sourceLocation)
        }
    }

    /// Applies `change` and then repairs the CRC, so that only the intended violation remains.
    func withRepairedCrc(_ change: (inout ByteBuffer) -> Void) -> ByteBuffer {
        var batch = sample()
        change(&batch)
        let crc = CRC32C.checksum(batch, at: RecordBatchHeader.attributesOffset, length: batch.readableBytes - RecordBatchHeader.attributesOffset)!
        batch.setInteger(crc, at: RecordBatchHeader.crcOffset)
        return batch
    }

    @Test func validationRejectsBadMagic() {
        var batch = sample()
        batch.setInteger(Int8(1), at: 16)
        rejects(batch) { $0 == .unsupportedMagic(1) && $0.errorCode == .unsupportedForMessageFormat }
    }

    @Test func validationRejectsImpossibleLength() {
        var batch = sample()
        batch.setInteger(Int32(10), at: 8)
        rejects(batch) { $0 == .badLength(10) && $0.errorCode == .corruptMessage }
    }

    @Test func validationRejectsTruncatedBatches() {
        for length in [0, 30, 60, 61, 83] {
            rejects(sample().getSlice(at: 0, length: length)!) {
                if case .truncated = $0 { return $0.errorCode == .corruptMessage } else { return false }
            }
        }
    }

    /// CRC-32C detects every single-bit error, so flipping any one bit it covers must be caught.
    @Test func validationRejectsEverySingleBitFlipUnderTheCrc() {
        let size = sample().readableBytes
        for index in RecordBatchHeader.attributesOffset..<size {
            for bit in [0, 3, 7] {
                var batch = sample()
                batch.setInteger(batch.getInteger(at: index, as: UInt8.self)! ^ (1 << bit), at: index)
                rejects(batch) { if case .crcMismatch = $0 { return $0.errorCode == .corruptMessage } else { return false } }
            }
        }
    }

    @Test func validationRejectsABatchWithoutRecords() {
        rejects(withRepairedCrc { $0.setInteger(Int32(0), at: 57) }) { $0 == .noRecords && $0.errorCode == .invalidRecord }
    }

    @Test func validationRejectsLastOffsetDeltaMismatch() {
        rejects(withRepairedCrc { $0.setInteger(Int32(5), at: 23) }) { $0 == .offsetDeltaMismatch(lastOffsetDelta: 5, recordsCount: 2) }
    }

    @Test func validationRejectsUnknownCodec() {
        for codec in [Int16(5), 6, 7] {
            rejects(withRepairedCrc { $0.setInteger(codec, at: 21) }) { $0 == .unknownCompression(codec) && $0.errorCode == .unsupportedCompressionType }
        }
    }

    @Test func assigningOffsetsKeepsTheCrcValid() throws {
        var batch = sample()
        let before = RecordBatchHeader(batch, at: 0)!.crc
        RecordBatches.assign(baseOffset: 123_456, leaderEpoch: 9, in: &batch, at: 0)
        let header = try RecordBatches.validate(batch)
        #expect(header.crc == before && header.baseOffset == 123_456 && header.partitionLeaderEpoch == 9)
        #expect(header.lastOffset == 123_457 && header.nextOffset == 123_458)
        #expect(RecordBatches.checksumMatches(batch))
    }

    @Test func stampingLogAppendTimeKeepsTheBatchValid() throws {
        var batch = sample()
        RecordBatches.stampLogAppendTime(5555, in: &batch, at: 0)
        let stamped = try RecordBatches.validate(batch)
        #expect(stamped.timestampType == .logAppendTime && stamped.maxTimestamp == 5555)
        #expect(try RecordBatches.records(of: RecordBatches.split(batch).batches[0]).map(\.timestampMs) == [5555, 5555])
    }

    @Test func splitReportsAPartialTailAndRejectsAnImpossibleLength() throws {
        var two = sample()
        var second = sample()
        two.writeBuffer(&second)
        #expect(try RecordBatches.split(two).batches.count == 2)
        for cut in [1, 7, 30, 83] {
            let partial = two.getSlice(at: 0, length: two.readableBytes - cut)!
            let split = try RecordBatches.split(partial)
            #expect(split.batches.count == 1 && split.partialTailBytes == 84 - cut, "cut \(cut)")
            #expect(Array(split.batches[0].bytes.readableBytesView) == Self.golden)
        }
        var broken = two
        broken.setInteger(Int32(3), at: 84 + 8)
        #expect(throws: BatchValidationError.badLength(3)) { try RecordBatches.split(broken) }
    }
}
