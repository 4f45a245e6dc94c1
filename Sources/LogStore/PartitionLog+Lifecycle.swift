import Foundation
import KafkaProtocol
import NIOCore

extension PartitionLog {
    // MARK: Opening and recovery

    func open() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        for name in files where name.hasSuffix(".tmp") { unlink(directory + "/" + name) }
        let bases = files.filter { $0.hasSuffix(".log") }.compactMap { Int64($0.dropLast(4)) }.sorted()
        logStartOffset = readCheckpoint(Self.logStartFile) ?? bases.first ?? 0
        recoveryPoint = readCheckpoint(Self.recoveryPointFile) ?? 0
        checkpointedHighWatermark = readCheckpoint(Self.highWatermarkFile) ?? 0
        let cleanMarker = directory + "/" + Self.cleanShutdownFile
        let clean = FileManager.default.fileExists(atPath: cleanMarker)
        var segments: [Segment] = []
        for (position, base) in bases.enumerated() {
            let segment = try Segment(directory: directory, baseOffset: base, createdMs: nowMs(), budget: fileBudget)
            let nextBase = position + 1 < bases.count ? bases[position + 1] : Int64.max
            if let previous = segments.last, previous.nextOffset != base {
                // A gap or overlap between segments: everything from here on is unusable.
                logger.warning("\(directory): segment \(base) does not follow \(previous.baseOffset) (ends at \(previous.nextOffset)); dropping it and later segments")
                segment.deleteFiles()
                for later in bases[(position + 1)...] { Segment.removeFiles(directory: directory, baseOffset: later) }
                break
            }
            // After an unclean shutdown, segments from the recovery point on may hold unsynced
            // writes and are scanned whole; the rest (and all after a clean shutdown) get the cheap
            // check of `Segment.loadIndex`. Only the log's last segment is ever cut: damage in an
            // earlier one has valid data after it, which stays and is served around the damage.
            let isLast = position == bases.count - 1
            let needsScan = !clean && nextBase > recoveryPoint
            if needsScan && isLast {
                let cut = try segment.recover(expectedBaseOffset: base, indexIntervalBytes: config.indexIntervalBytes, validateCRC: true)
                recoveredSegments += 1
                if cut > 0 { reportCut(cut, of: segment) }
            } else if needsScan {
                _ = try segment.recover(expectedBaseOffset: base, indexIntervalBytes: config.indexIntervalBytes, validateCRC: true,
                                        isLastFile: false, cut: false)
                recoveredSegments += 1
                if segment.recoveryStop != nil { segment.assumeEnd(nextOffset: nextBase) }
            } else if let damage = try segment.loadIndex(indexIntervalBytes: config.indexIntervalBytes, isLastFile: isLast) {
                if isLast {
                    let cut = try segment.recover(expectedBaseOffset: base, indexIntervalBytes: config.indexIntervalBytes, validateCRC: true)
                    recoveredSegments += 1
                    if cut > 0 { reportCut(cut, of: segment) }
                } else {
                    _ = try segment.noteDamage(at: damage.position, expectedOffset: damage.offset, kind: damage.kind, detail: damage.detail)
                    segment.assumeEnd(nextOffset: nextBase)
                }
            }
            reportDamages(of: segment)
            segments.append(segment)
        }
        // A segment emptied by recovery (other than the first) adds nothing.
        while segments.count > 1, let last = segments.last, last.isEmpty {
            last.deleteFiles()
            segments.removeLast()
        }
        self.segments = segments
        if segments.isEmpty { try roll() }
        logStartOffset = max(logStartOffset, segments.first?.baseOffset ?? logStartOffset)
        if logStartOffset > logEndOffset { logStartOffset = logEndOffset }
        recoveryPoint = logEndOffset
        try lowerCheckpointedHighWatermark(to: logEndOffset)
        try leaderEpochCache.truncateFromEnd(endOffset: logEndOffset)
        try leaderEpochCache.truncateFromStart(startOffset: logStartOffset)
        if clean { unlink(cleanMarker) }
        if recoveredSegments > 0 {
            logger.info("\(directory): recovered \(recoveredSegments) segment(s), log [\(logStartOffset), \(logEndOffset))")
        }
        try writeCheckpoint(Self.recoveryPointFile, recoveryPoint)
        if seededLossyRecovery && !clean && checkpointedHighWatermark < logEndOffset {
            logger.warning("\(directory): seeded bug lossy-recovery: cutting the log from \(logEndOffset) to the checkpointed HW \(checkpointedHighWatermark)")
            try truncate(to: checkpointedHighWatermark)
        }
    }

    /// Says what a cutting recovery removed: where, why, and whether valid (possibly acknowledged)
    /// batches followed the damage and went with it, as Kafka's recovery also drops them.
    private func reportCut(_ cut: Int, of segment: Segment) {
        recoveredTruncatedBytes += cut
        var message = "\(directory): recovery cut \(cut) byte(s) from \(segment.logPath)"
        if let stop = segment.recoveryStop {
            message += " at byte \(stop.position) (offset \(stop.offset), \(stop.kind.rawValue): \(stop.detail))"
        }
        message += "; log ends at \(segment.nextOffset)"
        if let dropped = segment.recoveryDroppedOffsets {
            health.count { $0.corruptionsFound += 1 }
            message += "; valid batches for offsets [\(dropped.lowerBound), \(dropped.upperBound)) followed the damage and are dropped"
            if dropped.lowerBound < checkpointedHighWatermark {
                message += ", some below the checkpointed high watermark \(checkpointedHighWatermark) (acknowledged)"
            }
            logger.error("\(message)")
        } else {
            logger.warning("\(message)")
        }
    }

    // MARK: Truncation

    /// Drops everything at and after `offset`; if `offset` falls inside a batch that whole batch goes.
    /// Returns the new log end offset.
    @discardableResult
    public func truncate(to offset: Int64) throws -> Int64 {
        guard offset < logEndOffset else {
            // Nothing to cut from the log, but the epoch cache may still end with an entry at the log
            // end: this broker became leader at that offset and lost leadership before appending in
            // that epoch. Its successor's batches from an older epoch then land at that offset and the
            // entry would claim them (Kafka's UnifiedLog.truncateTo drops it for the same reason).
            try leaderEpochCache.truncateFromEnd(endOffset: logEndOffset)
            return logEndOffset
        }
        if offset <= logStartOffset {
            try truncateFullyAndStart(at: offset < logStartOffset ? offset : logStartOffset)
            return logEndOffset
        }
        while let last = segments.last, last.baseOffset >= offset, segments.count > 1 {
            last.deleteFiles()
            segments.removeLast()
        }
        let segment = segments.last!
        if let (position, header) = try segment.position(of: offset) {
            // The largest timestamp of what remains: the index entry before the cut knows everything
            // before it; scan the few batches between that entry and the cut.
            let entry = segment.index.entries.last { Int($0.position) <= position }
            var timestamp = entry?.maxTimestampBefore ?? -1
            var scan = Int(entry?.position ?? 0)
            while scan < position, let earlier = try segment.header(at: scan) {
                timestamp = max(timestamp, earlier.maxTimestamp)
                scan += earlier.totalSize
            }
            try segment.truncate(toPosition: position, nextOffset: header.baseOffset, largestTimestamp: timestamp)
        }
        recoveryPoint = min(recoveryPoint, logEndOffset)
        try lowerCheckpointedHighWatermark(to: logEndOffset)
        assert(logEndOffset <= offset && logEndOffset >= logStartOffset,
               "truncation to \(offset) left the log at [\(logStartOffset), \(logEndOffset))")
        try leaderEpochCache.truncateFromEnd(endOffset: logEndOffset)
        try writeCheckpoint(Self.recoveryPointFile, recoveryPoint)
        return logEndOffset
    }

    /// Empties the log and restarts it at `offset` (a follower far behind the leader's log start).
    public func truncateFullyAndStart(at offset: Int64) throws {
        for segment in segments { segment.deleteFiles() }
        segments = []
        logStartOffset = offset
        recoveryPoint = offset
        try lowerCheckpointedHighWatermark(to: offset)
        segments.append(try Segment(directory: directory, baseOffset: offset, createdMs: nowMs(), budget: fileBudget))
        try leaderEpochCache.clear()
        try writeCheckpoint(Self.logStartFile, logStartOffset)
        try writeCheckpoint(Self.recoveryPointFile, recoveryPoint)
        FileIO.syncDirectory(directory)
    }

    // MARK: Retention

    public struct DeletedSegment: Sendable, Equatable {
        public var baseOffset: Int64
        public var nextOffset: Int64
        public var bytes: Int
        public var reason: String
    }

    /// Deletes whole segments past retention (time, then size), never data at or above the HW.
    /// When the active segment itself is wholly expired and below the HW it is rolled first, as Kafka does.
    @discardableResult
    public func deleteSegments(nowMs: Int64, highWatermark: Int64) throws -> [DeletedSegment] {
        var deleted: [DeletedSegment] = []
        if config.retentionMs >= 0 {
            let retentionMs = config.retentionMs
            let expired: (Segment) -> Bool = { $0.largestTimestamp >= 0 && nowMs - $0.largestTimestamp > retentionMs }
            if let active = segments.last, !active.isEmpty, segments.allSatisfy(expired), active.nextOffset <= highWatermark {
                try roll()
            }
            while segments.count > 1, let oldest = segments.first, oldest.nextOffset <= highWatermark, oldest.isEmpty || expired(oldest) {
                deleted.append(removeOldest(reason: "retention.ms=\(retentionMs)"))
            }
        }
        if config.retentionBytes >= 0 {
            var excess = Int64(sizeInBytes) - config.retentionBytes
            while segments.count > 1, let oldest = segments.first, Int64(oldest.size) <= excess, oldest.nextOffset <= highWatermark {
                excess -= Int64(oldest.size)
                deleted.append(removeOldest(reason: "retention.bytes=\(config.retentionBytes)"))
            }
        }
        if !deleted.isEmpty {
            try advanceLogStart(to: segments.first!.baseOffset)
        }
        return deleted
    }

    private func removeOldest(reason: String) -> DeletedSegment {
        let oldest = segments.removeFirst()
        let info = DeletedSegment(baseOffset: oldest.baseOffset, nextOffset: oldest.nextOffset, bytes: oldest.size, reason: reason)
        oldest.deleteFiles()
        return info
    }

    /// Moves the log start forward (retention, or a follower copying its leader's log start).
    /// Whole segments below it are deleted; reads below it fail with offset out of range.
    public func advanceLogStart(to offset: Int64) throws {
        let target = min(offset, logEndOffset)
        guard target > logStartOffset else { return }
        while segments.count > 1, segments[1].baseOffset <= target {
            segments.removeFirst().deleteFiles()
        }
        logStartOffset = target
        assert(logStartOffset <= logEndOffset && (segments.first?.baseOffset ?? target) <= target,
               "log start \(target) beyond the log end \(logEndOffset) or before the first segment's base")
        try leaderEpochCache.truncateFromStart(startOffset: target)
        try writeCheckpoint(Self.logStartFile, logStartOffset)
    }

    // MARK: Flush, checkpoints, close

    /// fsyncs every segment with unsynced data and moves the recovery point to the log end.
    public func flush() throws {
        for segment in segments { try segment.flush() }
        unflushedMessages = 0
        lastFlushMs = nowMs()
        if recoveryPoint != logEndOffset {
            recoveryPoint = logEndOffset
            try writeCheckpoint(Self.recoveryPointFile, recoveryPoint)
        }
    }

    /// Applies `flush.ms`; `flush.messages` is applied on append.
    public func maybeFlush(nowMs: Int64) throws {
        if let interval = config.flushIntervalMs, unflushedMessages > 0, nowMs - lastFlushMs >= interval { try flush() }
    }

    /// A log cut below its checkpointed HW (a follower's truncation, recovery) rewrites the
    /// checkpoint at once: `checkpointHighWatermark` skips an unchanged value, so lowering only the
    /// remembered one left the file naming offsets the log no longer has.
    private func lowerCheckpointedHighWatermark(to offset: Int64) throws {
        guard checkpointedHighWatermark > offset else { return }
        checkpointedHighWatermark = offset
        try writeCheckpoint(Self.highWatermarkFile, offset)
    }

    public func checkpointHighWatermark(_ highWatermark: Int64) throws {
        let value = min(highWatermark, logEndOffset)
        guard value != checkpointedHighWatermark else { return }
        checkpointedHighWatermark = value
        try writeCheckpoint(Self.highWatermarkFile, value)
    }

    /// Flushes, writes every checkpoint and the clean-shutdown marker, closes the files.
    public func close() throws {
        try flush()
        try writeCheckpoint(Self.logStartFile, logStartOffset)
        try AtomicFile.write([], to: directory + "/" + Self.cleanShutdownFile)
        for segment in segments { segment.close() }
        segments = []
    }

    /// Records the start of a new leader epoch at the log end (a broker becoming leader).
    public func assignLeaderEpoch(_ epoch: Int32, startOffset: Int64) throws {
        try leaderEpochCache.assign(epoch: epoch, startOffset: startOffset)
    }

    func readCheckpoint(_ name: String) -> Int64? {
        AtomicFile.read(directory + "/" + name).flatMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    func writeCheckpoint(_ name: String, _ value: Int64) throws {
        try AtomicFile.write(Array("\(value)\n".utf8), to: directory + "/" + name)
    }
}

extension Segment {
    static func removeFiles(directory: String, baseOffset: Int64) {
        unlink(directory + "/" + fileName(baseOffset, ".log"))
        unlink(directory + "/" + fileName(baseOffset, ".index"))
    }
}
