import KafkaProtocol
import NIOCore
import Testing
@testable import LogStore

/// Bytes an append cannot trust are refused with errors before anything is written.
@Suite struct AppendInputTests {
    /// A one-record batch at `baseOffset` whose last offset delta says -1, with a CRC that matches.
    func batchGoingBackwards(baseOffset: Int64) -> ByteBuffer {
        var bytes = batch(["x"])
        bytes.setInteger(baseOffset, at: bytes.readerIndex, endianness: .big)
        bytes.setInteger(Int32(-1), at: bytes.readerIndex + 23, endianness: .big)
        let covered = bytes.readableBytes - RecordBatchHeader.attributesOffset
        let crc = CRC32C.checksum(bytes, at: bytes.readerIndex + RecordBatchHeader.attributesOffset, length: covered)!
        bytes.setInteger(crc, at: bytes.readerIndex + RecordBatchHeader.crcOffset, endianness: .big)
        return bytes
    }

    @Test func aFollowerRefusesABatchWhoseOffsetsGoBackwards() throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        try fill(log, count: 2)
        #expect(throws: LogError.self) { try log.appendAsFollower(batchGoingBackwards(baseOffset: 2)) }
        #expect(log.logEndOffset == 2)
    }

    @Test func aLeaderRefusesShortBatchesAndBackwardOffsets() throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        #expect(throws: LogError.invalidBatch("10 bytes is shorter than a batch header")) {
            try log.appendAsLeader([ByteBuffer(bytes: [UInt8](repeating: 0, count: 10))], leaderEpoch: 0, logAppendTimeMs: nil)
        }
        #expect(throws: LogError.self) { try log.appendAsLeader([batchGoingBackwards(baseOffset: 0)], leaderEpoch: 0, logAppendTimeMs: nil) }
        #expect(log.logEndOffset == 0)
        try fill(log, count: 1)
        #expect(log.logEndOffset == 1)
    }
}
