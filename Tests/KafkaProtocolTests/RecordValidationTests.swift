import NIOCore
import Testing
@testable import KafkaProtocol

/// `validateProduced`: one test per kind of batch a leader must refuse, and the real clients'
/// batches it must accept.
@Suite struct RecordValidationTests {
    static let rules = ProducedBatchRules(logAppendTime: false, maxUncompressedBytes: 1 << 20)

    /// Zigzag varint bytes, as records encode every length and delta.
    static func zz(_ value: Int64) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeZigZagVarlong(value)
        return Array(buffer.readableBytesView)
    }

    /// One record's bytes with its length prefix computed from `fields`, unless `length` overrides it.
    static func record(_ fields: [UInt8], length: Int64? = nil) -> [UInt8] {
        zz(length ?? Int64(fields.count)) + fields
    }

    /// attributes 0, timestamp delta 0, offset delta `offsetDelta`, null key, value "v", no headers.
    static func plainRecord(offsetDelta: Int64) -> [UInt8] {
        record([0] + zz(0) + zz(offsetDelta) + zz(-1) + zz(1) + [0x76] + zz(0))
    }

    struct Header {
        var attributes: Int16 = 0
        var count: Int32
        var lastOffsetDelta: Int32?
        var maxTimestamp: Int64 = 1000
        var producerId: Int64 = -1
        var baseSequence: Int32 = -1
    }

    /// A batch around `body` with a correct length and CRC, so that only the intended fault remains.
    static func batch(_ body: [UInt8], _ fields: Header) -> ByteBuffer {
        var buffer = ByteBuffer()
        RecordBatchHeader(batchLength: Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead + body.count), attributes: fields.attributes,
                          lastOffsetDelta: fields.lastOffsetDelta ?? fields.count - 1, baseTimestamp: 1000, maxTimestamp: fields.maxTimestamp,
                          producerId: fields.producerId, producerEpoch: fields.producerId >= 0 ? 0 : -1,
                          baseSequence: fields.baseSequence, recordsCount: fields.count).encode(into: &buffer)
        buffer.writeBytes(body)
        let crc = CRC32C.checksum(buffer, at: RecordBatchHeader.attributesOffset, length: buffer.readableBytes - RecordBatchHeader.attributesOffset)!
        buffer.setInteger(crc, at: RecordBatchHeader.crcOffset)
        return buffer
    }

    static func error(_ batch: ByteBuffer, rules: ProducedBatchRules = rules) -> BatchValidationError? {
        do {
            _ = try RecordBatches.validateProduced(batch, rules: rules)
            return nil
        } catch let error as BatchValidationError {
            return error
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    static func expectMalformed(_ batch: ByteBuffer, record index: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        let error = Self.error(batch)
        guard case .malformedRecord(index, _)? = error else {
            Issue.record("expected record \(index) malformed, got \(String(describing: error))", sourceLocation: sourceLocation)
            return
        }
        #expect(error?.errorCode == .corruptMessage && error?.recordIndex == index, sourceLocation: sourceLocation)
    }

    @Test func wellFormedBatchesPass() throws {
        let built = RecordBatchBuilder(producerId: 4, producerEpoch: 0, baseSequence: 0).build([
            .init(key: ByteBuffer(string: "k"), value: ByteBuffer(string: "v"), headers: [.init(key: "h", value: nil)], timestampMs: 5),
            .init(key: nil, value: nil, timestampMs: 3),
        ])
        #expect(try RecordBatches.validateProduced(built, rules: Self.rules).recordsCount == 2)
        #expect(Self.error(Self.batch(Self.plainRecord(offsetDelta: 0) + Self.plainRecord(offsetDelta: 1), Header(count: 2))) == nil)
    }

    @Test(arguments: ClientBatchFixtures.all.indices)
    func realClientCompressedBatchesPass(_ index: Int) throws {
        let fixture = ClientBatchFixtures.all[index]
        let header = try RecordBatches.validateProduced(fixture.bytes, rules: Self.rules)
        #expect(header.compression == fixture.codec)
    }

    @Test func garbageRecordsUnderAValidCrcAreCorrupt() {
        var generator = SystemRandomNumberGenerator()
        let garbage = (0..<64).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let error = Self.error(Self.batch(garbage, Header(count: 3)))
        #expect(error != nil && error?.errorCode == .corruptMessage || error?.errorCode == .invalidRecord, "\(String(describing: error))")
        Self.expectMalformed(Self.batch([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] + Array(repeating: 0, count: 10), Header(count: 1)), record: 0)
    }

    @Test func recordLengthMustMatchItsFields() {
        let fields: [UInt8] = [0] + Self.zz(0) + Self.zz(0) + Self.zz(-1) + Self.zz(1) + [0x76] + Self.zz(0)
        // Longer than the fields: a byte of the record is left over.
        Self.expectMalformed(Self.batch(Self.record(fields + [0], length: Int64(fields.count + 1)), Header(count: 1)), record: 0)
        // Shorter: the header count is cut off.
        Self.expectMalformed(Self.batch(Self.record(Array(fields.dropLast()), length: Int64(fields.count - 1)) + [0], Header(count: 1)), record: 0)
        // Past the end of the batch, and negative.
        Self.expectMalformed(Self.batch(Self.record(fields, length: 200), Header(count: 1)), record: 0)
        Self.expectMalformed(Self.batch(Self.record(fields, length: -3), Header(count: 1)), record: 0)
    }

    @Test func keyAndValueLengthsMustBeNullOrWithinTheRecord() {
        let first = Self.plainRecord(offsetDelta: 0)
        for (key, value) in [(Int64(-2), Int64(1)), (40, 1), (-1, -7), (-1, 30)] {
            let fields: [UInt8] = [0] + Self.zz(0) + Self.zz(1) + Self.zz(key) + Self.zz(value) + [0x76] + Self.zz(0)
            Self.expectMalformed(Self.batch(first + Self.record(fields), Header(count: 2)), record: 1)
        }
    }

    @Test func headerCountsAndKeysMustBeValid() {
        let prefix: [UInt8] = [0] + Self.zz(0) + Self.zz(0) + Self.zz(-1) + Self.zz(-1)
        for headers in [Self.zz(-1), Self.zz(50) + [0, 1], Self.zz(1) + Self.zz(-1) + Self.zz(-1), Self.zz(1) + Self.zz(1) + [0x68] + Self.zz(-9)] {
            Self.expectMalformed(Self.batch(Self.record(prefix + headers), Header(count: 1)), record: 0)
        }
        // An empty key and a null value make a valid header.
        #expect(Self.error(Self.batch(Self.record(prefix + Self.zz(1) + Self.zz(0) + Self.zz(-1)), Header(count: 1))) == nil)
    }

    @Test func theRecordCountMustMatchTheRecords() {
        let two = Self.plainRecord(offsetDelta: 0) + Self.plainRecord(offsetDelta: 1)
        let tooMany = Self.error(Self.batch(two, Header(count: 3)))
        #expect(tooMany == .missingRecords(declared: 3, present: 2) && tooMany?.errorCode == .corruptMessage)
        let tooFew = Self.error(Self.batch(two, Header(count: 1)))
        #expect(tooFew == .trailingBytes(Self.plainRecord(offsetDelta: 1).count, afterRecords: 1) && tooFew?.errorCode == .corruptMessage)
        let huge = Self.error(Self.batch(two, Header(count: Int32.max)))
        #expect(huge == .missingRecords(declared: Int32.max, present: 2))
    }

    @Test func innerOffsetsMustRunFromZeroWithoutGaps() {
        let gap = Self.error(Self.batch(Self.plainRecord(offsetDelta: 0) + Self.plainRecord(offsetDelta: 2), Header(count: 2)))
        #expect(gap == .offsetDeltaOutOfSequence(index: 1, offsetDelta: 2) && gap?.errorCode == .invalidRecord && gap?.recordIndex == 1)
        let start = Self.error(Self.batch(Self.plainRecord(offsetDelta: 1), Header(count: 1)))
        #expect(start == .offsetDeltaOutOfSequence(index: 0, offsetDelta: 1))
    }

    @Test func producerFieldsMustBeConsistent() {
        let body = Self.plainRecord(offsetDelta: 0)
        let control = Self.error(Self.batch(body, Header(attributes: 0x20, count: 1)))
        #expect(control == .controlBatchFromClient && control?.errorCode == .invalidRecord)
        let transactional = Self.error(Self.batch(body, Header(attributes: 0x10, count: 1)))
        #expect(transactional == .transactionalWithoutProducerId && transactional?.errorCode == .invalidRecord)
        let noSequence = Self.error(Self.batch(body, Header(count: 1, producerId: 9, baseSequence: -1)))
        #expect(noSequence == .sequenceMissing(producerId: 9, baseSequence: -1) && noSequence?.errorCode == .invalidRecord)
        #expect(Self.error(Self.batch(body, Header(attributes: 0x10, count: 1, producerId: 9, baseSequence: 0))) == nil)
    }

    @Test func aProducerMayNotClaimLogAppendTimeWhereKafkaRefusesIt() {
        let body = Self.plainRecord(offsetDelta: 0)
        let stampingTopic = ProducedBatchRules(logAppendTime: true, maxUncompressedBytes: 1 << 20)
        let refused = Self.error(Self.batch(body, Header(attributes: 0x08, count: 1)), rules: stampingTopic)
        #expect(refused == .logAppendTimeFromProducer && refused?.errorCode == .invalidTimestamp)
        #expect(Self.error(Self.batch(body, Header(attributes: 0x08, count: 1, maxTimestamp: -1))) == .logAppendTimeFromProducer)
        #expect(Self.error(Self.batch(body, Header(attributes: 0x08, count: 1))) == nil)
    }

    @Test(arguments: CompressionTests.codecs)
    func aCodecBitOverPlainRecordsIsCorrupt(_ codec: CompressionCodec) {
        let error = Self.error(Self.batch(Self.plainRecord(offsetDelta: 0), Header(attributes: Int16(codec.rawValue), count: 1)))
        guard case .decompression(.malformed(codec, _))? = error else {
            Issue.record("\(codec): \(String(describing: error))")
            return
        }
        #expect(error?.errorCode == .corruptMessage)
    }

    @Test(arguments: CompressionTests.codecs)
    func compressedRecordsAreValidatedToo(_ codec: CompressionCodec) throws {
        let good = try Compression.compress(codec, ByteBuffer(bytes: Self.plainRecord(offsetDelta: 0) + Self.plainRecord(offsetDelta: 1)))
        let attributes = Int16(codec.rawValue)
        #expect(Self.error(Self.batch(Array(good.readableBytesView), Header(attributes: attributes, count: 2))) == nil)
        #expect(Self.error(Self.batch(Array(good.readableBytesView), Header(attributes: attributes, count: 3))) == .missingRecords(declared: 3, present: 2))
        let gap = try Compression.compress(codec, ByteBuffer(bytes: Self.plainRecord(offsetDelta: 0) + Self.plainRecord(offsetDelta: 5)))
        #expect(Self.error(Self.batch(Array(gap.readableBytesView), Header(attributes: attributes, count: 2))) == .offsetDeltaOutOfSequence(index: 1, offsetDelta: 5))
        let garbage = try Compression.compress(codec, ByteBuffer(bytes: [0x0A] + Array(repeating: 0xEE, count: 40)))
        Self.expectMalformed(Self.batch(Array(garbage.readableBytesView), Header(attributes: attributes, count: 1)), record: 0)
    }

    @Test(arguments: CompressionTests.codecs)
    func aCompressedBombIsRefusedAsInvalid(_ codec: CompressionCodec) throws {
        let bomb = try Compression.compress(codec, ByteBuffer(repeating: 0, count: 4 << 20))
        let error = Self.error(Self.batch(Array(bomb.readableBytesView), Header(attributes: Int16(codec.rawValue), count: 1)))
        #expect(error == .decompression(.outputTooLarge(codec, limit: 1 << 20)) && error?.errorCode == .invalidRecord)
    }

    @Test func theUncompressedLimitFollowsMaxMessageBytesWithinBounds() {
        #expect(ProducedBatchRules.uncompressedLimit(maxMessageBytes: 1_048_588) == 64 * 1_048_588)
        #expect(ProducedBatchRules.uncompressedLimit(maxMessageBytes: 1000) == 16 << 20)
        #expect(ProducedBatchRules.uncompressedLimit(maxMessageBytes: Int32.max) == 1 << 30)
    }

    /// Every cut and every single-byte change of the records (with the CRC repaired) is either
    /// accepted or refused with a BatchValidationError; none traps or throws anything else.
    @Test func mutatedRecordsNeverTrap() {
        let body = Array(RecordBatchTests.golden[RecordBatchHeader.size...])
        for cut in 0..<body.count {
            _ = Self.error(Self.batch(Array(body[..<cut]), Header(count: 2)))
        }
        for index in body.indices {
            for value: UInt8 in [0x00, 0x01, 0x7F, 0x80, 0xFF] {
                var mutated = body
                mutated[index] = value
                _ = Self.error(Self.batch(mutated, Header(count: 2)))
            }
        }
    }
}
