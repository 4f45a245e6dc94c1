import Foundation
import KafkaProtocol
import NIOCore
import Testing
@testable import LogStore

@Suite struct PartitionLogTests {
    @Test func appendAssignsContiguousOffsetsAndReadsBack() throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        let first = try log.appendAsLeader([batch(["a", "b", "c"])], leaderEpoch: 3, logAppendTimeMs: nil)
        let second = try log.appendAsLeader([batch(["d"]), batch(["e", "f"])], leaderEpoch: 3, logAppendTimeMs: nil)
        #expect(first.firstOffset == 0 && first.lastOffset == 2)
        #expect(second.firstOffset == 3 && second.lastOffset == 5)
        #expect(log.logEndOffset == 6)
        let read = try log.read(from: 0, maxBytes: 1 << 20, maxOffset: 6, minOneBatch: true)
        #expect(try values(in: read.records).map(\.1) == ["a", "b", "c", "d", "e", "f"])
        #expect(try values(in: read.records).map(\.0) == [0, 1, 2, 3, 4, 5])
        let header = RecordBatchHeader(read.records, at: read.records.readerIndex)!
        #expect(header.partitionLeaderEpoch == 3)
        #expect(RecordBatches.checksumMatches(read.records), "offsets are outside the CRC")
    }

    @Test func readStartingMidBatchReturnsTheWholeBatch() throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        try log.appendAsLeader([batch(["a", "b", "c"]), batch(["d", "e"])], leaderEpoch: 0, logAppendTimeMs: nil)
        let read = try log.read(from: 1, maxBytes: 1 << 20, maxOffset: 5, minOneBatch: true)
        #expect(read.firstBatchOffset == 0)
        #expect(try values(in: read.records).map(\.0) == [0, 1, 2, 3, 4])
        let second = try log.read(from: 4, maxBytes: 1 << 20, maxOffset: 5, minOneBatch: true)
        #expect(try values(in: second.records).map(\.0) == [3, 4])
    }

    @Test func maxOffsetStopsBeforeUncommittedBatches() throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        try fill(log, count: 10)
        let read = try log.read(from: 0, maxBytes: 1 << 20, maxOffset: 4, minOneBatch: true)
        #expect(try values(in: read.records).map(\.0) == [0, 1, 2, 3])
        #expect(try log.read(from: 4, maxBytes: 1 << 20, maxOffset: 4, minOneBatch: true).records.readableBytes == 0)
        #expect(try log.read(from: 10, maxBytes: 1 << 20, maxOffset: 10, minOneBatch: true).records.readableBytes == 0)
    }

    @Test func maxBytesAndMinOneBatch() throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        try fill(log, count: 10)
        let one = batch(["v0"]).readableBytes
        let two = try log.read(from: 0, maxBytes: one * 2 + one / 2, maxOffset: 10, minOneBatch: true)
        #expect(try values(in: two.records).count == 2)
        let forced = try log.read(from: 0, maxBytes: 1, maxOffset: 10, minOneBatch: true)
        #expect(try values(in: forced.records).count == 1, "KIP-74: at least one whole batch")
        let none = try log.read(from: 0, maxBytes: 1, maxOffset: 10, minOneBatch: false)
        #expect(none.records.readableBytes == 0)
    }

    @Test func outOfRangeReadsThrow() throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        try fill(log, count: 3)
        #expect(throws: LogError.offsetOutOfRange(offset: 4, logStartOffset: 0, logEndOffset: 3)) {
            try log.read(from: 4, maxBytes: 100, maxOffset: 3, minOneBatch: true)
        }
    }

    @Test func segmentsRollAndReadsCrossThem() throws {
        let dir = TemporaryDirectory()
        var config = LogConfig()
        config.segmentBytes = 500
        config.indexIntervalBytes = 100
        let log = try openLog(dir, config: config)
        try fill(log, count: 200)
        #expect(log.segmentCount > 10)
        for offset in stride(from: Int64(0), to: 200, by: 7) {
            let read = try log.read(from: offset, maxBytes: 1 << 20, maxOffset: 200, minOneBatch: true)
            let got = try values(in: read.records)
            #expect(got.first?.0 == offset, "read at \(offset)")
            #expect(got.first?.1 == "v\(offset)")
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: log.directory).filter { $0.hasSuffix(".log") }.sorted()
        #expect(files.first == "00000000000000000000.log")
    }

    @Test func indexLocatesBatchesWithoutScanningFromTheStart() throws {
        let dir = TemporaryDirectory()
        var config = LogConfig()
        config.indexIntervalBytes = 256
        let log = try openLog(dir, config: config)
        try fill(log, count: 2000)
        let segment = log.segments[0]
        #expect(segment.index.entries.count > 100)
        let start = segment.index.position(for: 1500)
        #expect(start > segment.size / 2, "lookup starts near the target, not at 0")
        let located = try segment.position(of: 1500)
        #expect(located?.header.baseOffset == 1500)
        #expect(located!.position - start <= 256 + located!.header.totalSize)
    }

    @Test func logAppendTimeIsStampedAndStillValid() throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        try log.appendAsLeader([batch(["x"], timestampMs: 5)], leaderEpoch: 0, logAppendTimeMs: 777_777)
        let read = try log.read(from: 0, maxBytes: 1 << 20, maxOffset: 1, minOneBatch: true)
        let header = RecordBatchHeader(read.records, at: read.records.readerIndex)!
        #expect(header.timestampType == .logAppendTime)
        #expect(header.maxTimestamp == 777_777)
        #expect(RecordBatches.checksumMatches(read.records))
    }

    @Test func cleanReopenScansNothingAndKeepsEverything() throws {
        let dir = TemporaryDirectory()
        var config = LogConfig()
        config.segmentBytes = 1000
        do {
            let log = try openLog(dir, config: config)
            try fill(log, count: 100)
            try log.checkpointHighWatermark(90)
            try log.close()
        }
        let reopened = try openLog(dir, config: config)
        #expect(reopened.recoveredSegments == 0)
        #expect(reopened.logEndOffset == 100)
        #expect(reopened.checkpointedHighWatermark == 90)
        let read = try reopened.read(from: 57, maxBytes: 1 << 20, maxOffset: 100, minOneBatch: true)
        #expect(try values(in: read.records).first?.1 == "v57")
        try fill(reopened, count: 1, from: 100)
        #expect(reopened.logEndOffset == 101)
    }

    @Test func recoveryCutsATornTail() throws {
        let dir = TemporaryDirectory()
        let path: String
        do {
            let log = try openLog(dir)
            try fill(log, count: 10)
            path = log.segments[0].logPath
            // Simulate kill -9 mid-write: no clean close, the file ends inside a batch.
        }
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as! Int
        truncate(path, off_t(size - 5))
        let recovered = try openLog(dir)
        #expect(recovered.logEndOffset == 9)
        #expect(recovered.recoveredTruncatedBytes > 0)
        let read = try recovered.read(from: 0, maxBytes: 1 << 20, maxOffset: 9, minOneBatch: true)
        #expect(try values(in: read.records).map(\.1) == (0..<9).map { "v\($0)" })
        try fill(recovered, count: 1, from: 9)
        #expect(recovered.logEndOffset == 10)
    }

    @Test func recoveryKeepsLaterSegmentsAfterACorruptCrcInAnOlderOne() throws {
        let dir = TemporaryDirectory()
        var config = LogConfig()
        config.segmentBytes = 700
        let segmentPaths: [String]
        do {
            let log = try openLog(dir, config: config)
            try fill(log, count: 60)
            segmentPaths = log.segments.map(\.logPath)
            #expect(segmentPaths.count >= 4)
        }
        // Corrupt one byte in the middle of the second-to-last segment's records; the recovery
        // point is at the start of the active segment, so force a scan by removing checkpoints.
        unlink(dir.path + "/orders-0/" + PartitionLog.recoveryPointFile)
        let victim = segmentPaths[segmentPaths.count - 2]
        let fd = open(victim, O_RDWR)
        var byte: UInt8 = 0
        let middle = off_t(RecordBatchHeader.size + 2 + 3 * batch(["v0"]).readableBytes)
        pread(fd, &byte, 1, middle)
        byte ^= 0xFF
        pwrite(fd, &byte, 1, middle)
        close(fd)
        let recovered = try openLog(dir, config: config)
        // The damage is not the log's tail: nothing is cut, later segments stay, the damage is counted.
        #expect(recovered.logEndOffset == 60)
        #expect(recovered.segmentCount == segmentPaths.count)
        #expect(recovered.recoveredTruncatedBytes == 0)
        #expect(recovered.health.counts.corruptionsFound == 1)
        let read = try recovered.read(from: 0, maxBytes: 1 << 20, maxOffset: 60, minOneBatch: true)
        #expect(try values(in: read.records).first?.1 == "v0")
        let last = try recovered.read(from: 59, maxBytes: 1 << 20, maxOffset: 60, minOneBatch: true)
        #expect(try values(in: last.records).last?.1 == "v59")
    }

    @Test func followerAppendKeepsOffsetsAndRejectsGaps() throws {
        let leaderDir = TemporaryDirectory(), followerDir = TemporaryDirectory()
        let leader = try openLog(leaderDir)
        try fill(leader, count: 5, epoch: 2)
        try fill(leader, count: 5, from: 5, epoch: 4)
        let follower = try openLog(followerDir)
        let bytes = try leader.read(from: 0, maxBytes: 1 << 20, maxOffset: 10, minOneBatch: true).records
        var withPartial = bytes
        withPartial.writeBytes([0, 0, 0, 0, 0])
        let info = try follower.appendAsFollower(withPartial)
        #expect(info?.lastOffset == 9)
        #expect(follower.logEndOffset == 10)
        #expect(follower.leaderEpochCache.entries == [.init(epoch: 2, startOffset: 0), .init(epoch: 4, startOffset: 5)])
        let gap = try leader.read(from: 3, maxBytes: 1 << 20, maxOffset: 10, minOneBatch: true).records
        #expect(throws: LogError.nonContiguousAppend(expected: 10, got: 3)) { try follower.appendAsFollower(gap) }
    }

    @Test func truncateDropsWholeBatchesAndEpochs() throws {
        let dir = TemporaryDirectory()
        var config = LogConfig()
        config.segmentBytes = 400
        let log = try openLog(dir, config: config)
        try log.appendAsLeader([batch(["a", "b", "c"])], leaderEpoch: 1, logAppendTimeMs: nil)
        try fill(log, count: 20, from: 3, epoch: 1)
        try log.assignLeaderEpoch(2, startOffset: log.logEndOffset)
        try fill(log, count: 10, from: 23, epoch: 2)
        #expect(try log.truncate(to: 1) == 0, "offset 1 is inside the first batch: the whole batch goes")
        #expect(log.leaderEpochCache.entries.isEmpty)
        let dir1 = TemporaryDirectory()
        let again = try openLog(dir1, config: config)
        try fill(again, count: 40, epoch: 1)
        try again.assignLeaderEpoch(5, startOffset: 40)
        try fill(again, count: 5, from: 40, epoch: 5)
        #expect(try again.truncate(to: 30) == 30)
        #expect(again.leaderEpochCache.entries == [.init(epoch: 1, startOffset: 0)])
        let read = try again.read(from: 29, maxBytes: 1 << 20, maxOffset: 30, minOneBatch: true)
        #expect(try values(in: read.records).map(\.1) == ["v29"])
        try fill(again, count: 1, from: 30, epoch: 6)
        #expect(again.logEndOffset == 31)
    }

    @Test func truncateAtTheLogEndDropsAnEpochThatNeverAppended() throws {
        // Leader at epoch 4 from offset 5, deposed before appending; the next leader's log holds a
        // batch of epoch 3 at offset 5 that this broker lacked.
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        try log.assignLeaderEpoch(3, startOffset: 0)
        try fill(log, count: 5, epoch: 3)
        try log.assignLeaderEpoch(4, startOffset: 5)
        #expect(try log.truncate(to: 7) == 5, "nothing of the log goes")
        #expect(log.leaderEpochCache.entries == [.init(epoch: 3, startOffset: 0)])
        let otherDir = TemporaryDirectory()
        let other = try openLog(otherDir)
        try other.assignLeaderEpoch(3, startOffset: 0)
        try fill(other, count: 6, epoch: 3)
        _ = try log.appendAsFollower(try other.read(from: 5, maxBytes: 1 << 20, maxOffset: 6, minOneBatch: true).records)
        #expect(log.leaderEpochCache.entries == [.init(epoch: 3, startOffset: 0)], "epoch 4 claims no batch of epoch 3")
    }

    @Test func truncateFullyAndStartAtALaterOffset() throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        try fill(log, count: 5)
        try log.truncateFullyAndStart(at: 1000)
        #expect(log.logStartOffset == 1000 && log.logEndOffset == 1000)
        try fill(log, count: 2)
        #expect(log.logEndOffset == 1002)
        #expect(throws: LogError.self) { try log.read(from: 3, maxBytes: 100, maxOffset: 1002, minOneBatch: true) }
    }

    @Test func retentionByTimeDeletesOldSegmentsBelowTheHighWatermark() throws {
        let dir = TemporaryDirectory()
        var config = LogConfig()
        config.segmentBytes = 300
        config.retentionMs = 1000
        let log = try openLog(dir, config: config)
        try fill(log, count: 30, timestamp: { $0 < 20 ? 1_000 : 50_000 })
        let segmentsBefore = log.segmentCount
        let deleted = try log.deleteSegments(nowMs: 50_500, highWatermark: 30)
        #expect(!deleted.isEmpty)
        #expect(log.segmentCount < segmentsBefore)
        #expect(log.logStartOffset > 0 && log.logStartOffset <= 20)
        #expect(throws: LogError.self) { try log.read(from: 0, maxBytes: 100, maxOffset: 30, minOneBatch: true) }
        let dir2 = TemporaryDirectory()
        let notPastHw = try openLog(dir2, config: config)
        try fill(notPastHw, count: 30)
        #expect(try notPastHw.deleteSegments(nowMs: 1_000_000, highWatermark: 0).isEmpty, "never past the HW")
    }

    @Test func retentionOfAWhollyExpiredLogRollsTheActiveSegment() throws {
        var config = LogConfig()
        config.retentionMs = 1000
        let dir3 = TemporaryDirectory()
        let log = try openLog(dir3, config: config)
        try fill(log, count: 5)
        try log.deleteSegments(nowMs: 100_000, highWatermark: 5)
        #expect(log.logStartOffset == 5 && log.logEndOffset == 5)
    }

    @Test func retentionBySize() throws {
        var config = LogConfig()
        config.segmentBytes = 300
        config.retentionBytes = 700
        config.retentionMs = -1
        let dir4 = TemporaryDirectory()
        let log = try openLog(dir4, config: config)
        try fill(log, count: 40)
        try log.deleteSegments(nowMs: 0, highWatermark: 40)
        #expect(log.sizeInBytes <= 700 + 300)
        #expect(log.sizeInBytes >= 700)
        #expect(log.logStartOffset > 0)
    }

    @Test func offsetForTimestampFindsTheFirstBatchAtOrAfter() throws {
        var config = LogConfig()
        config.indexIntervalBytes = 128
        config.segmentBytes = 2000
        let dir5 = TemporaryDirectory()
        let log = try openLog(dir5, config: config)
        try fill(log, count: 100, timestamp: { Int64($0) * 10 })
        #expect(log.offsetForTimestamp(455)?.offset == 46)
        #expect(log.offsetForTimestamp(460)?.offset == 46)
        #expect(log.offsetForTimestamp(0)?.offset == 0)
        #expect(log.offsetForTimestamp(991) == nil)
    }

    @Test func checkpointsAreAtomicFiles() throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        try fill(log, count: 3)
        try log.checkpointHighWatermark(2)
        let text = AtomicFile.read(log.directory + "/" + PartitionLog.highWatermarkFile)
        #expect(text == "2\n")
        #expect(!FileManager.default.fileExists(atPath: log.directory + "/" + PartitionLog.highWatermarkFile + ".tmp"))
    }

    /// A follower truncated below its checkpointed HW (an unclean election's new leader had less):
    /// the checkpoint file follows the log down at once and stays there, instead of naming offsets
    /// the log no longer has until the HW passes the old value again.
    @Test func truncationBelowTheCheckpointedHighWatermarkRewritesTheCheckpoint() throws {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        try fill(log, count: 50)
        try log.checkpointHighWatermark(40)
        let file = log.directory + "/" + PartitionLog.highWatermarkFile
        _ = try log.truncate(to: 20)
        #expect(AtomicFile.read(file) == "20\n")
        // The HW the follower then learns from its leader is below the old one: written as is.
        try log.checkpointHighWatermark(20)
        #expect(AtomicFile.read(file) == "20\n")
        try fill(log, count: 5, from: 20)
        try log.checkpointHighWatermark(25)
        #expect(AtomicFile.read(file) == "25\n")
        try log.truncateFullyAndStart(at: 10)
        #expect(AtomicFile.read(file) == "10\n")
    }
}
