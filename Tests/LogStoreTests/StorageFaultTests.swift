import Foundation
import KafkaProtocol
import NIOCore
import Testing
@testable import LogStore

/// Damaged segment files and failing writes: what reads, startup checks, `LogVerify` and appends do.
@Suite struct StorageFaultTests {
    /// 60 single-record batches in segments of at most 700 bytes, closed cleanly or not.
    func makeLog(_ dir: TemporaryDirectory, close: Bool) throws -> (paths: [String], batchBytes: Int) {
        var config = LogConfig()
        config.segmentBytes = 700
        config.indexIntervalBytes = 100
        let log = try openLog(dir, config: config)
        try fill(log, count: 60)
        let paths = log.segments.map(\.logPath)
        if close { try log.close() }
        return (paths, batch(["v0"]).readableBytes)
    }

    func reopen(_ dir: TemporaryDirectory) throws -> PartitionLog {
        var config = LogConfig()
        config.segmentBytes = 700
        config.indexIntervalBytes = 100
        return try openLog(dir, config: config)
    }

    func overwrite(_ path: String, at position: Int, with bytes: [UInt8]) {
        let fd = open(path, O_RDWR)
        _ = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress!, bytes.count, off_t(position)) }
        close(fd)
    }

    func offsets(_ log: PartitionLog, from offset: Int64) throws -> [Int64] {
        try values(in: log.read(from: offset, maxBytes: 1 << 20, maxOffset: log.logEndOffset, minOneBatch: true).records).map(\.0)
    }

    @Test func aScanOfAFileThatShrankSinceItWasMeasuredStopsAtTheShortBatch() throws {
        let dir = TemporaryDirectory()
        let (paths, size) = try makeLog(dir, close: false)
        let log = try reopen(dir)
        let segment = try #require(log.segments.first)
        let measured = Int(try FileManager.default.attributesOfItem(atPath: paths[0])[.size] as! UInt64)
        // The second batch keeps its header and three bytes of its body.
        #expect(truncate(paths[0], off_t(size + RecordBatchHeader.size + 3)) == 0)
        let result = try segment.scan(from: size, expectedOffset: 1, timestamp: 0, fileSize: measured, validateCRC: true,
                                      isLastFile: true, indexIntervalBytes: nil)
        let stop = try #require(result.stop)
        #expect(stop.kind == .tornTail && stop.position == size)
        #expect(stop.detail.contains("of the batch's \(size) bytes could be read"))
        #expect(result.validEnd == size)
    }

    @Test func readServesBatchesAroundACorruptBodyInAnOlderSegment() throws {
        let dir = TemporaryDirectory()
        let (paths, size) = try makeLog(dir, close: true)
        // Garbage inside the records of the 4th batch of the first segment (offset 3).
        overwrite(paths[0], at: 3 * size + RecordBatchHeader.size + 1, with: [UInt8](repeating: 0xA5, count: 4))
        let log = try reopen(dir)
        #expect(log.logEndOffset == 60 && log.segmentCount == paths.count)
        #expect(try offsets(log, from: 0) == [0, 1, 2], "a read from before the damage gets the valid batches before it")
        #expect(throws: LogError.self) { try log.read(from: 3, maxBytes: 1 << 20, maxOffset: 60, minOneBatch: true) }
        do {
            _ = try log.read(from: 3, maxBytes: 1 << 20, maxOffset: 60, minOneBatch: true)
        } catch LogError.corrupt(let damage) {
            #expect(damage.kind == .crcMismatch && damage.position == 3 * size && damage.offset == 3 && damage.resumeOffset == 4)
            #expect(damage.path == paths[0])
        }
        #expect(try offsets(log, from: 4).first == 4, "a read after the damage goes on")
        #expect(try offsets(log, from: 59) == [59])
        #expect(log.health.counts.corruptionsFound == 1, "each damage is counted once")
        #expect(log.health.counts.corruptReads == 2)
    }

    @Test func readStepsOverADamagedLengthField() throws {
        let dir = TemporaryDirectory()
        let (paths, size) = try makeLog(dir, close: true)
        // An impossible batch length in the header of the batch at offset 2.
        overwrite(paths[0], at: 2 * size + 8, with: [0x7F, 0xFF, 0xFF, 0xF0])
        let log = try reopen(dir)
        #expect(try offsets(log, from: 0) == [0, 1])
        #expect(throws: LogError.self) { try log.read(from: 2, maxBytes: 1 << 20, maxOffset: 60, minOneBatch: true) }
        #expect(try offsets(log, from: 3).first == 3, "resynchronised on the next header whose CRC matches")
    }

    @Test func cleanShutdownCheckFindsDamageAtAnOlderSegmentsEndWithoutCutting() throws {
        let dir = TemporaryDirectory()
        let (paths, _) = try makeLog(dir, close: true)
        let size = try FileManager.default.attributesOfItem(atPath: paths[0])[.size] as! Int
        overwrite(paths[0], at: size - 3, with: [0, 0, 0])  // the last batch of the first segment
        let log = try reopen(dir)
        #expect(log.recoveredTruncatedBytes == 0)
        #expect(log.logEndOffset == 60 && log.segmentCount == paths.count)
        #expect(log.health.counts.corruptionsFound == 1, "found at startup by the cheap check")
        #expect(try offsets(log, from: 59) == [59])
    }

    @Test func uncleanRecoveryCutsDamageInTheLastSegmentAndSaysWhatFollowed() throws {
        let dir = TemporaryDirectory()
        let (paths, size) = try makeLog(dir, close: false)
        overwrite(paths.last!, at: RecordBatchHeader.size + 1, with: [0xFF, 0xFF])  // first batch of the active segment
        let log = try reopen(dir)
        let base = Int64(paths.last!.split(separator: "/").last!.dropLast(4))!
        #expect(log.logEndOffset == base)
        #expect(log.recoveredTruncatedBytes > size)
        #expect(log.health.counts.corruptionsFound == 1, "valid batches after the damage were dropped: reported")
    }

    @Test func verifyReportsEachDamageAndWhatRecoveryDoes() throws {
        let dir = TemporaryDirectory()
        let (paths, size) = try makeLog(dir, close: true)
        overwrite(paths[0], at: 1 * size + RecordBatchHeader.size + 2, with: [0x11, 0x22])
        overwrite(paths[1], at: 8, with: [0x00, 0x00, 0x00, 0x01])  // bad length, first batch of segment 2
        let lastSize = try FileManager.default.attributesOfItem(atPath: paths.last!)[.size] as! Int
        truncate(paths.last!, off_t(lastSize - 5))  // torn tail
        // An index entry pointing past its log.
        let indexPath = String(paths[2].dropLast(4)) + ".index"
        var entry = ByteBuffer()
        SparseIndex.encode(.init(relativeOffset: 1000, position: 90_000, maxTimestampBefore: 0), into: &entry)
        let fd = open(indexPath, O_WRONLY | O_APPEND)
        _ = entry.withUnsafeReadableBytes { write(fd, $0.baseAddress!, $0.count) }
        close(fd)

        let report = try LogVerify.verify(path: dir.path)
        #expect(report.partitions.count == 1)
        #expect(!report.clean)
        let kinds = report.partitions[0].problems.map(\.kind)
        #expect(kinds.contains("crc_mismatch"))
        #expect(kinds.contains("bad_length"))
        #expect(kinds.contains("torn_tail"))
        #expect(kinds.contains("index_outside_log"))
        let crc = report.partitions[0].problems.first { $0.kind == "crc_mismatch" }!
        #expect(crc.position == size && crc.offset == 1 && crc.resumeOffset == 2)
        #expect(report.partitions[0].recovery.contains { $0.hasPrefix("cuts ") })
        #expect(report.partitions[0].recovery.contains { $0.hasPrefix("keeps ") })

        let cleanDir = TemporaryDirectory()
        _ = try makeLog(cleanDir, close: true)
        #expect(try LogVerify.verify(path: cleanDir.path + "/orders-0").clean)
        #expect(throws: LogVerify.Failure.self) { try LogVerify.verify(path: cleanDir.path + "/missing") }
    }

    @Test func failedLogWriteIsRolledBackAndAppendsWorkAgain() throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        try fill(log, count: 3)
        let sizeBefore = log.sizeInBytes
        log.segments.last!.writeFault = { $0.hasSuffix(".log") ? ENOSPC : nil }
        #expect(throws: AppendFailure.self) { try fill(log, count: 2, from: 3) }
        #expect(throws: AppendFailure.self) { try fill(log, count: 1, from: 3) }
        let path = log.segments.last!.logPath
        #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int == sizeBefore, "the half-written batch is cut")
        #expect(log.logEndOffset == 3)
        #expect(log.health.counts.appendErrors == 2)
        #expect(log.health.activeAppendConditions == [ENOSPC: path], "one condition, whatever the number of failures")
        log.segments.last!.writeFault = nil
        try fill(log, count: 2, from: 3)
        #expect(log.health.activeAppendConditions.isEmpty)
        #expect(try offsets(log, from: 0) == [0, 1, 2, 3, 4])
    }

    @Test func failedIndexWriteRollsBackTheLogWriteToo() throws {
        let dir = TemporaryDirectory()
        var config = LogConfig()
        config.indexIntervalBytes = 1
        let log = try openLog(dir, config: config)
        try fill(log, count: 3)
        let sizeBefore = log.sizeInBytes
        let entriesBefore = log.segments.last!.index.entries.count
        log.segments.last!.writeFault = { $0.hasSuffix(".index") ? EIO : nil }
        do {
            try fill(log, count: 1, from: 3)
            Issue.record("the append should fail")
        } catch let failure as AppendFailure {
            #expect(failure.rolledBack && failure.errno == EIO && failure.path.hasSuffix(".index"))
        }
        #expect(log.logEndOffset == 3 && log.sizeInBytes == sizeBefore)
        #expect(log.segments.last!.index.entries.count == entriesBefore)
        log.segments.last!.writeFault = nil
        // Closed and reopened after an unclean stop: the failed batch never reappears.
        let reopened = try openLog(dir, config: config)
        #expect(reopened.logEndOffset == 3)
    }
}
