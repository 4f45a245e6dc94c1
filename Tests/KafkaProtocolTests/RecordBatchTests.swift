import NIOCore
import NIOTestUtils
import Testing
@testable import KafkaProtocol

@Suite struct RecordBatchTests {
    func sample() -> ByteBuffer {
        RecordBatchBuilder(producerId: 7, producerEpoch: 1, baseSequence: 10).build([
            .init(key: ByteBuffer(string: "k1"), value: ByteBuffer(string: "v1"), headers: [.init(key: "h", value: ByteBuffer(string: "x"))], timestampMs: 1000),
            .init(key: nil, value: nil, timestampMs: 990),
        ])
    }

    @Test func builtBatchHasConsistentHeaderAndIndependentCrc() throws {
        let batch = sample()
        let header = RecordBatchHeader(batch, at: 0)!
        #expect(header.magic == 2 && header.recordsCount == 2 && header.lastOffsetDelta == 1)
        #expect(header.totalSize == batch.readableBytes)
        #expect(header.baseTimestamp == 990 && header.maxTimestamp == 1000)
        #expect(header.producerId == 7 && header.producerEpoch == 1 && header.baseSequence == 10 && header.lastSequence == 11)
        let covered = Array(batch.readableBytesView)[RecordBatchHeader.attributesOffset...]
        #expect(CRC32C.checksum(covered) == header.crc)
        #expect(try RecordBatches.validate(batch) == header)
    }

    @Test func recordsDecodeWithNullsHeadersAndNegativeDelta() throws {
        let split = try RecordBatches.split(sample())
        let records = try RecordBatches.records(of: split.batches[0])
        #expect(records.count == 2)
        #expect(records[0].key == ByteBuffer(string: "k1") && records[0].headers == [.init(key: "h", value: ByteBuffer(string: "x"))])
        #expect(records[0].timestampMs == 1000)
        #expect(records[1].key == nil && records[1].value == nil && records[1].timestampMs == 990)
    }

    @Test func validationRejectsEachViolation() {
        func rejects(_ mutate: (inout ByteBuffer) -> Void, _ expected: (BatchValidationError) -> Bool) {
            var batch = sample()
            mutate(&batch)
            do {
                _ = try RecordBatches.validate(batch)
                Issue.record("accepted an invalid batch")
            } catch let error as BatchValidationError {
                #expect(expected(error), "\(error)")
            } catch {
                Issue.record("unexpected \(error)")
            }
        }
        rejects({ $0.setInteger(Int8(1), at: 16) }) { if case .unsupportedMagic = $0 { return true } else { return false } }
        rejects({ $0.setInteger(Int32(10), at: 8) }) { if case .badLength = $0 { return true } else { return false } }
        rejects({ $0.moveWriterIndex(to: $0.writerIndex - 3) }) { if case .truncated = $0 { return true } else { return false } }
        rejects({ $0.setInteger(UInt8(0x55), at: 70) }) { if case .crcMismatch = $0 { return true } else { return false } }
        rejects({ $0.moveWriterIndex(to: 30) }) { if case .truncated = $0 { return true } else { return false } }
        // No records, a mismatched offset delta and an unknown codec, each with a repaired CRC.
        func withCrc(_ body: @escaping (inout ByteBuffer) -> Void) -> (inout ByteBuffer) -> Void {
            return { batch in
                body(&batch)
                let crc = CRC32C.checksum(batch, at: 21, length: batch.readableBytes - 21)!
                batch.setInteger(crc, at: 17)
            }
        }
        rejects(withCrc { $0.setInteger(Int32(0), at: 57) }) { $0 == .noRecords }
        rejects(withCrc { $0.setInteger(Int32(5), at: 23) }) { if case .offsetDeltaMismatch = $0 { return true } else { return false } }
        rejects(withCrc { $0.setInteger(Int16(6), at: 21) }) { if case .unknownCompression = $0 { return true } else { return false } }
        #expect(BatchValidationError.crcMismatch(stored: 0, computed: 1).errorCode == .corruptMessage)
    }

    @Test func assigningOffsetsKeepsTheCrcValid() throws {
        var batch = sample()
        RecordBatches.assign(baseOffset: 123_456, leaderEpoch: 9, in: &batch, at: 0)
        let header = try RecordBatches.validate(batch)
        #expect(header.baseOffset == 123_456 && header.partitionLeaderEpoch == 9)
        RecordBatches.stampLogAppendTime(5555, in: &batch, at: 0)
        let stamped = try RecordBatches.validate(batch)
        #expect(stamped.timestampType == .logAppendTime && stamped.maxTimestamp == 5555)
    }

    @Test func splitReportsAPartialTail() throws {
        var two = sample()
        var second = sample()
        two.writeBuffer(&second)
        var cut = two.getSlice(at: 0, length: two.readableBytes - 7)!
        let split = try RecordBatches.split(cut)
        #expect(split.batches.count == 1)
        #expect(split.partialTailBytes == sample().readableBytes - 7)
        cut.setInteger(Int32(3), at: 8)
        #expect(throws: BatchValidationError.self) { try RecordBatches.split(cut) }
    }
}

@Suite struct FramingTests {
    @Test func decoderHandlesByteAtATimeAndManyFrames() throws {
        func framed(_ body: [UInt8]) -> ByteBuffer {
            var buffer = ByteBuffer()
            buffer.writeInteger(Int32(body.count))
            buffer.writeBytes(body)
            return buffer
        }
        let pairs: [(ByteBuffer, [ByteBuffer])] = [
            (framed([1, 2, 3]), [ByteBuffer(bytes: [1, 2, 3])]),
            (framed([]), [ByteBuffer()]),
            (framed(Array(repeating: 9, count: 1000)), [ByteBuffer(bytes: Array(repeating: 9, count: 1000))]),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { KafkaFrameDecoder(maxFrameBytes: 4096) }
    }

    @Test func negativeSizeIsRejected() {
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFE, 0])
        #expect(throws: FrameParser.Failure.negativeSize(-2)) { try FrameParser(maxFrameBytes: 100).parse(&buffer) }
    }

    @Test func oversizedFrameIsRejectedBeforeBuffering() {
        var buffer = ByteBuffer(bytes: [0x00, 0x00, 0x10, 0x00])
        #expect(throws: FrameParser.Failure.tooLarge(size: 4096, limit: 100)) { try FrameParser(maxFrameBytes: 100).parse(&buffer) }
    }

    @Test func partialFrameLeavesBufferUntouched() throws {
        var buffer = ByteBuffer(bytes: [0, 0, 0, 5, 1, 2])
        #expect(try FrameParser(maxFrameBytes: 100).parse(&buffer) == .needMoreData)
        #expect(buffer.readableBytes == 6)
    }
}

@Suite struct ConsumerProtocolTests {
    @Test func subscriptionAndAssignmentRoundTrip() throws {
        let subscription = ConsumerSubscription(version: 1, topics: ["a", "b"], userData: nil, ownedPartitions: [TopicPartition("a", 1)])
        var buffer = ByteBuffer()
        subscription.encode(into: &buffer)
        #expect(try ConsumerSubscription(from: &buffer) == subscription)
        let assignment = ConsumerAssignment(partitions: [TopicPartition("a", 0), TopicPartition("a", 2), TopicPartition("b", 1)])
        var encoded = ByteBuffer()
        assignment.encode(into: &encoded)
        #expect(try ConsumerAssignment(from: &encoded) == assignment)
    }

    /// librdkafka sends subscription v3 (generation, rack); the fields we know still parse.
    @Test func newerSubscriptionVersionsParseTheKnownFields() throws {
        var buffer = ByteBuffer()
        ConsumerSubscription(version: 3, topics: ["t"], ownedPartitions: []).encode(into: &buffer)
        buffer.writeInt32(7)
        buffer.writeNullableKafkaString("rack")
        let parsed = try ConsumerSubscription(from: &buffer)
        #expect(parsed.topics == ["t"])
    }
}
