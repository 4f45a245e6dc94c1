import Foundation
import KafkaProtocol
import Logging
import NIOCore

/// What an append wrote.
public struct AppendInfo: Sendable, Equatable {
    public var firstOffset: Int64
    public var lastOffset: Int64
    public var maxTimestamp: Int64
    public var bytes: Int
}

/// Complete batches read from the log, as stored.
public struct LogReadResult: Sendable {
    public var records: ByteBuffer
    /// The first offset of the first returned batch (may be below the requested offset).
    public var firstBatchOffset: Int64?
}

/// One partition's log: `<baseOffset>.log` segments under its own directory, each with a sparse
/// index, plus checkpoints (recovery point, log start offset, high watermark, leader epochs).
///
/// Batches are stored exactly as produced (compressed ones untouched) with offsets assigned in
/// place. Opening a log recovers it: segments at or after the recovery point are scanned, every batch
/// is checked (length, contiguous offsets, CRC-32C) and a torn or corrupt tail is cut, together with
/// any later segment. A clean close writes a marker so the next open scans nothing.
///
/// Not thread-safe. Owner: the broker's `Partition`, which calls it under its lock.
public final class PartitionLog {
    public let directory: String
    public var config: LogConfig
    let logger: Logger
    var segments: [Segment] = []
    public internal(set) var logStartOffset: Int64 = 0
    public internal(set) var recoveryPoint: Int64 = 0
    public internal(set) var checkpointedHighWatermark: Int64 = 0
    public internal(set) var leaderEpochCache: LeaderEpochCache
    var unflushedMessages: Int64 = 0
    var lastFlushMs: Int64
    /// Bytes cut by recovery when the log was opened (0 after a clean shutdown).
    public internal(set) var recoveredTruncatedBytes = 0
    public internal(set) var recoveredSegments = 0
    let nowMs: @Sendable () -> Int64
    /// Limits how many segment files are open at once, across every log sharing it.
    let fileBudget: FileDescriptorBudget
    /// Seeded bug lossy-recovery (test-only, see the broker's `SeededBug`): after an unclean
    /// shutdown the log is cut back to the checkpointed HW instead of keeping every valid batch.
    let seededLossyRecovery: Bool
    /// Counters and error conditions shared with the other logs of the directory.
    public let health: StorageHealth

    static let recoveryPointFile = "recovery-point-offset-checkpoint"
    static let logStartFile = "log-start-offset-checkpoint"
    static let highWatermarkFile = "replication-offset-checkpoint"
    static let leaderEpochFile = "leader-epoch-checkpoint"
    static let cleanShutdownFile = ".samsa_cleanshutdown"

    public init(directory: String, config: LogConfig, logger: Logger,
                nowMs: @escaping @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
                seededLossyRecovery: Bool = false, fileBudget: FileDescriptorBudget = .shared,
                health: StorageHealth = StorageHealth()) throws {
        self.directory = directory
        self.fileBudget = fileBudget
        self.health = health
        self.config = config
        self.logger = logger
        self.nowMs = nowMs
        self.seededLossyRecovery = seededLossyRecovery
        lastFlushMs = nowMs()
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        leaderEpochCache = LeaderEpochCache.load(path: directory + "/" + Self.leaderEpochFile)
        try open()
    }

    // MARK: State

    public var logEndOffset: Int64 { segments.last?.nextOffset ?? logStartOffset }
    public var sizeInBytes: Int { segments.reduce(0) { $0 + $1.size } }
    public var segmentCount: Int { segments.count }
    public var segmentBaseOffsets: [Int64] { segments.map(\.baseOffset) }

    // MARK: Append

    /// Appends validated batches as leader: each gets `baseOffset` = the next offset and
    /// `partitionLeaderEpoch` = `leaderEpoch`; with `logAppendTimeMs` each is stamped LogAppendTime.
    /// All batches go to the file in one write.
    @discardableResult
    public func appendAsLeader(_ batches: [ByteBuffer], leaderEpoch: Int32, logAppendTimeMs: Int64?) throws -> AppendInfo {
        precondition(!batches.isEmpty)
        // The leader appends batches its request handler validated; one too short for a header
        // is refused before anything is written, never trapped on.
        if let short = batches.first(where: { $0.readableBytes < RecordBatchHeader.size }) {
            throw LogError.invalidBatch("\(short.readableBytes) bytes is shorter than a batch header")
        }
        if let header = batches.lazy.compactMap({ RecordBatchHeader($0, at: $0.readerIndex) }).first(where: { $0.lastOffsetDelta < 0 }) {
            throw LogError.invalidBatch("last offset delta \(header.lastOffsetDelta) is negative")
        }
        var combined = ByteBufferAllocator().buffer(capacity: batches.reduce(0) { $0 + $1.readableBytes })
        var headers: [(header: RecordBatchHeader, offsetInBytes: Int)] = []
        headers.reserveCapacity(batches.count)
        var next = logEndOffset
        for var batch in batches {
            let at = combined.writerIndex
            combined.writeBuffer(&batch)
            RecordBatches.assign(baseOffset: next, leaderEpoch: leaderEpoch, in: &combined, at: at)
            if let time = logAppendTimeMs { RecordBatches.stampLogAppendTime(time, in: &combined, at: at) }
            guard let header = RecordBatchHeader(combined, at: at) else { throw LogError.invalidBatch("no batch header at byte \(at)") }
            headers.append((header, at - combined.readerIndex))
            next = header.nextOffset
        }
        if leaderEpochCache.latestEpoch.map({ leaderEpoch > $0 }) ?? true {
            try leaderEpochCache.assign(epoch: leaderEpoch, startOffset: logEndOffset)
        }
        return try write(combined, headers: headers)
    }

    /// Appends batches fetched from the leader: complete batches already carrying offsets and
    /// epochs, the first starting at the log end. A trailing partial batch is ignored. Returns nil
    /// when there was no complete batch.
    @discardableResult
    public func appendAsFollower(_ records: ByteBuffer) throws -> AppendInfo? {
        let split: (batches: [RecordBatches.Batch], partialTailBytes: Int)
        do { split = try RecordBatches.split(records) } catch { throw LogError.invalidBatch("\(error)") }
        guard let first = split.batches.first else { return nil }
        guard first.header.baseOffset == logEndOffset else {
            throw LogError.nonContiguousAppend(expected: logEndOffset, got: first.header.baseOffset)
        }
        var headers: [(header: RecordBatchHeader, offsetInBytes: Int)] = []
        var expected = logEndOffset
        var length = 0
        for batch in split.batches {
            guard batch.header.magic == 2, RecordBatches.checksumMatches(batch.bytes) else {
                throw LogError.invalidBatch("batch at offset \(batch.header.baseOffset) fails its CRC-32C")
            }
            guard batch.header.baseOffset == expected else {
                throw LogError.nonContiguousAppend(expected: expected, got: batch.header.baseOffset)
            }
            guard batch.header.lastOffsetDelta >= 0 else {
                throw LogError.invalidBatch("batch at offset \(batch.header.baseOffset) has a negative last offset delta \(batch.header.lastOffsetDelta)")
            }
            if batch.header.partitionLeaderEpoch >= 0,
               leaderEpochCache.latestEpoch.map({ batch.header.partitionLeaderEpoch > $0 }) ?? true {
                try leaderEpochCache.assign(epoch: batch.header.partitionLeaderEpoch, startOffset: batch.header.baseOffset)
            }
            headers.append((batch.header, length))
            length += batch.header.totalSize
            expected = batch.header.nextOffset
        }
        let bytes = records.getSlice(at: records.readerIndex, length: length)!
        return try write(bytes, headers: headers)
    }

    /// Writes to the active segment. A failed write is rolled back by the segment (nothing of it
    /// stays in the files or in memory) and rethrown as `AppendFailure`; the error condition (its
    /// errno) is logged once when it starts and once when appends work again. A failed fsync after
    /// a successful write does not fail the append: the batches are in the log.
    private func write(_ bytes: ByteBuffer, headers: [(header: RecordBatchHeader, offsetInBytes: Int)]) throws -> AppendInfo {
        // Both append paths refuse non-contiguous offsets and negative deltas with errors first.
        let before = logEndOffset
        precondition(headers.first?.header.baseOffset == before, "append at \(headers.first?.header.baseOffset ?? -1), log end \(before)")
        assert(zip(headers, headers.dropFirst()).allSatisfy { $0.header.nextOffset == $1.header.baseOffset && $0.header.nextOffset > $0.header.baseOffset },
               "batch offsets of an append are not contiguous and increasing")
        do {
            if let active = segments.last, !active.cutBackToKnownEnd() {
                throw AppendFailure(path: active.logPath, errno: 0, message: "an earlier failed append could not be cut back",
                                    rolledBack: false)
            }
            try maybeRoll(incomingBytes: bytes.readableBytes)
            try segments.last!.append(bytes, headers: headers, indexIntervalBytes: config.indexIntervalBytes)
        } catch let failure as AppendFailure {
            noteAppendFailure(failure)
            throw failure
        } catch {
            // Rolling a new segment failed (creating it, syncing the old one, its checkpoint): nothing was written.
            let failure = AppendFailure(path: directory, errno: (error as? LogIOError)?.errno ?? 0, message: "\(error)", rolledBack: true)
            noteAppendFailure(failure)
            throw failure
        }
        for (code, path) in health.appendSucceeded() {
            logger.notice("\(directory): appends work again after errno \(code) (\(String(cString: strerror(code)))), first seen on \(path)")
        }
        let records = headers.reduce(Int64(0)) { $0 + Int64($1.header.recordsCount) }
        unflushedMessages += records
        if unflushedMessages >= config.flushIntervalMessages {
            do { try flush() } catch { logger.error("\(directory): flush after append failed: \(error)") }
        }
        precondition(logEndOffset > before, "log end went from \(before) to \(logEndOffset) on an append")
        return AppendInfo(firstOffset: headers.first!.header.baseOffset, lastOffset: headers.last!.header.lastOffset,
                          maxTimestamp: headers.map(\.header.maxTimestamp).max()!, bytes: bytes.readableBytes)
    }

    private func noteAppendFailure(_ failure: AppendFailure) {
        if !failure.rolledBack { health.count { $0.appendRollbackFailures += 1 } }
        if health.appendFailed(errno: failure.errno, path: failure.path) {
            logger.error("\(directory): appends fail with errno \(failure.errno) (\(String(cString: strerror(failure.errno)))) on \(failure.path): \(failure); logged once until an append succeeds")
        } else if !failure.rolledBack {
            logger.error("\(failure)")
        }
    }

    private func maybeRoll(incomingBytes: Int) throws {
        guard let active = segments.last else {
            try roll()
            return
        }
        let tooBig = !active.isEmpty && active.size + incomingBytes > config.segmentBytes
        let tooOld = !active.isEmpty && nowMs() - active.createdMs >= config.segmentMs
        let indexFull = active.nextOffset - active.baseOffset > Int64(UInt32.max) - 1_000_000
        if tooBig || tooOld || indexFull { try roll() }
    }

    /// Starts a new segment at the log end. The previous one is fsynced and the recovery point moves
    /// past it, so recovery after a crash only scans the active segment.
    func roll() throws {
        let base = logEndOffset
        if let previous = segments.last {
            if previous.isEmpty { return }
            try previous.flush()
            recoveryPoint = max(recoveryPoint, base)
            try writeCheckpoint(Self.recoveryPointFile, recoveryPoint)
        }
        segments.append(try Segment(directory: directory, baseOffset: base, createdMs: nowMs(), budget: fileBudget))
        FileIO.syncDirectory(directory)
    }

    // MARK: Read

    /// Complete batches from the one containing `offset`, up to `maxBytes` (at least one whole batch
    /// with `minOneBatch`, as KIP-74 requires), stopping before any batch that reaches `maxOffset`.
    /// Reads come from one segment per call.
    ///
    /// The bytes are copied from the file with pread; a zero-copy path would hand the broker a file
    /// region (NIO `FileRegion`, sendfile) for the same byte range instead.
    public func read(from offset: Int64, maxBytes: Int, maxOffset: Int64, minOneBatch: Bool) throws -> LogReadResult {
        let end = logEndOffset
        guard offset >= logStartOffset, offset <= end else {
            throw LogError.offsetOutOfRange(offset: offset, logStartOffset: logStartOffset, logEndOffset: end)
        }
        guard offset < min(end, maxOffset) else { return LogReadResult(records: ByteBuffer(), firstBatchOffset: nil) }
        var segmentIndex = indexOfSegment(containing: offset)
        while segmentIndex < segments.count {
            let segment = segments[segmentIndex]
            defer { reportDamages(of: segment) }
            let start: Int, firstHeader: RecordBatchHeader
            switch try segment.locate(offset) {
            case .end:
                segmentIndex += 1
                continue
            case .damaged(let damage):
                health.count { $0.corruptReads += 1 }
                throw LogError.corrupt(damage)
            case .found(let position, let header):
                (start, firstHeader) = (position, header)
            }
            if firstHeader.lastOffset >= maxOffset { return LogReadResult(records: ByteBuffer(), firstBatchOffset: nil) }
            let wanted = max(maxBytes, minOneBatch ? firstHeader.totalSize : 0)
            guard wanted >= firstHeader.totalSize else { return LogReadResult(records: ByteBuffer(), firstBatchOffset: nil) }
            let chunk = try segment.read(at: start, length: wanted)
            let valid = try segment.validPrefix(of: chunk, at: start, first: firstHeader, maxOffset: maxOffset)
            if let damage = valid.damage {
                health.count { $0.corruptReads += 1 }
                throw LogError.corrupt(damage)
            }
            return LogReadResult(records: chunk.getSlice(at: chunk.readerIndex, length: valid.length)!,
                                 firstBatchOffset: valid.length > 0 ? firstHeader.baseOffset : nil)
        }
        return LogReadResult(records: ByteBuffer(), firstBatchOffset: nil)
    }

    /// Logs and counts damage a segment found since the last call (each place once).
    func reportDamages(of segment: Segment) {
        guard !segment.unreportedDamages.isEmpty else { return }
        for damage in segment.unreportedDamages {
            health.count { $0.corruptionsFound += 1 }
            logger.error("\(directory): corrupt data: \(damage)")
        }
        segment.unreportedDamages.removeAll()
    }

    /// The segment that holds `offset`: the last one whose base offset is not above it.
    func indexOfSegment(containing offset: Int64) -> Int {
        var low = 0, high = segments.count
        while low < high {
            let mid = (low + high) / 2
            if segments[mid].baseOffset <= offset { low = mid + 1 } else { high = mid }
        }
        return max(0, low - 1)
    }

    /// The first offset whose batch's max timestamp is at or after `timestampMs`, with that
    /// timestamp. Batch granularity: the answer is a batch's base offset (at or above the log start),
    /// as Kafka answers with the first batch that qualifies.
    public func offsetForTimestamp(_ timestampMs: Int64) -> (offset: Int64, timestamp: Int64)? {
        for segment in segments where segment.largestTimestamp >= timestampMs {
            if let header = try? segment.firstBatch(atOrAfter: timestampMs) {
                return (max(header.baseOffset, logStartOffset), header.maxTimestamp)
            }
        }
        return nil
    }
}
