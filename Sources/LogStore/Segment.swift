import Foundation
import KafkaProtocol
import NIOCore

/// One `<baseOffset>.log` file of RecordBatch v2 bytes and its sparse index. Not thread-safe: owned
/// by its `PartitionLog`. Its files are opened on demand through `files`, which the process's
/// `FileDescriptorBudget` may close while the segment is idle.
final class Segment {
    let baseOffset: Int64
    let logPath: String
    let indexPath: String
    let files: SegmentFiles
    private(set) var size: Int
    /// The offset after the last batch (equals `baseOffset` when empty).
    private(set) var nextOffset: Int64
    private(set) var largestTimestamp: Int64 = -1
    private(set) var index = SparseIndex()
    private var bytesSinceIndexEntry = 0
    /// Bytes of the index file already written.
    private var indexFileEntries = 0
    let createdMs: Int64
    private(set) var unflushed = false
    /// Damaged stretches found in this file, by starting byte; reads step over them (Segment+Damage).
    var damages: [Int: LogDamage] = [:]
    /// Damage found since the owner last looked, for it to log and count once.
    var unreportedDamages: [LogDamage] = []
    /// Bytes [0, this) hold batches whose CRC-32C this process has checked: written by it (every
    /// appended batch was checked or built here) or read and checked once. Reads check lengths and
    /// offsets everywhere but skip recomputing CRCs below it, which halves the cost of checking.
    var checksumVerifiedEnd = 0
    /// Test seam: called with the path before each append's write; an errno makes that write fail
    /// (for the log file, after half the bytes were written, as a disk filling up mid-write does).
    var writeFault: ((String) -> Int32?)?
    /// Where the last `recover` scan stopped short of the file's end, and why.
    private(set) var recoveryStop: LogDamage?
    /// Valid offsets that followed the damage a cutting `recover` removed (they are lost here).
    private(set) var recoveryDroppedOffsets: Range<Int64>?

    static func fileName(_ baseOffset: Int64, _ suffix: String) -> String {
        let digits = String(baseOffset)
        return String(repeating: "0", count: max(0, 20 - digits.count)) + digits + suffix
    }

    /// Opens (or creates) the segment files. The caller then either `recover()`s it or `loadIndex()`es it.
    init(directory: String, baseOffset: Int64, createdMs: Int64, budget: FileDescriptorBudget) throws {
        self.baseOffset = baseOffset
        logPath = directory + "/" + Self.fileName(baseOffset, ".log")
        indexPath = directory + "/" + Self.fileName(baseOffset, ".index")
        files = SegmentFiles(logPath: logPath, indexPath: indexPath, budget: budget)
        size = try files.withDescriptors { log, _ in try FileIO.size(log) }
        nextOffset = baseOffset
        self.createdMs = createdMs
    }

    var isEmpty: Bool { size == 0 }

    // MARK: Append

    /// Appends batches whose offsets are already assigned; `headers` describe `bytes` in order.
    ///
    /// All or nothing: when the log write or the index write fails (a full disk, an I/O error),
    /// both files are cut back to where they ended and the in-memory state is left as it was, so a
    /// failed append never leaves a partial batch that recovery would later keep. Throws
    /// `AppendFailure`, which says whether that rollback worked.
    func append(_ bytes: ByteBuffer, headers: [(header: RecordBatchHeader, offsetInBytes: Int)], indexIntervalBytes: Int) throws {
        try files.withDescriptors(writes: true) { fd, indexFd in
            let before = (size: size, nextOffset: nextOffset, largestTimestamp: largestTimestamp,
                          bytesSinceIndexEntry: bytesSinceIndexEntry, indexFileEntries: indexFileEntries)
            var failedPath = logPath
            do {
                if let code = writeFault?(logPath) {
                    try FileIO.write(fd, bytes.getSlice(at: bytes.readerIndex, length: bytes.readableBytes / 2)!, at: size)
                    throw LogIOError(operation: "pwrite \(logPath)", errno: code)
                }
                try FileIO.write(fd, bytes, at: size)
                var timestampBefore = largestTimestamp
                for (header, offsetInBytes) in headers {
                    let position = size + offsetInBytes
                    if index.entries.isEmpty && position == 0 {
                        bytesSinceIndexEntry = 0
                    } else if bytesSinceIndexEntry >= indexIntervalBytes {
                        addIndexEntry(.init(relativeOffset: UInt32(header.baseOffset - baseOffset), position: UInt32(position),
                                            maxTimestampBefore: timestampBefore))
                        bytesSinceIndexEntry = 0
                    }
                    bytesSinceIndexEntry += header.totalSize
                    timestampBefore = max(timestampBefore, header.maxTimestamp)
                }
                size += bytes.readableBytes
                if let last = headers.last { nextOffset = last.header.nextOffset }
                largestTimestamp = timestampBefore
                unflushed = true
                failedPath = indexPath
                if let code = writeFault?(indexPath) { throw LogIOError(operation: "pwrite \(indexPath)", errno: code) }
                try writePendingIndexEntries(indexFd: indexFd)
                if checksumVerifiedEnd == before.size { checksumVerifiedEnd = size }
            } catch {
                let code = (error as? LogIOError)?.errno ?? 0
                size = before.size
                nextOffset = before.nextOffset
                largestTimestamp = before.largestTimestamp
                index.truncate(toPosition: before.size)
                bytesSinceIndexEntry = before.bytesSinceIndexEntry
                indexFileEntries = before.indexFileEntries
                var rolledBack = true
                do {
                    try FileIO.truncate(fd, to: before.size)
                    try FileIO.truncate(indexFd, to: before.indexFileEntries * SparseIndex.entrySize)
                } catch {
                    rolledBack = false
                }
                throw AppendFailure(path: failedPath, errno: code, message: "\(error)", rolledBack: rolledBack)
            }
        }
    }

    /// Cuts the files back to the in-memory ends after an append whose rollback failed; true when
    /// the files are clean again (checked before every append).
    func cutBackToKnownEnd() -> Bool {
        do {
            try files.withDescriptors(writes: true) { fd, indexFd in
                if try FileIO.size(fd) != size { try FileIO.truncate(fd, to: size) }
                if try FileIO.size(indexFd) != indexFileEntries * SparseIndex.entrySize {
                    try FileIO.truncate(indexFd, to: indexFileEntries * SparseIndex.entrySize)
                }
            }
            return true
        } catch {
            return false
        }
    }

    private func addIndexEntry(_ entry: SparseIndex.Entry) {
        index.append(entry)
    }

    private func writePendingIndexEntries(indexFd: Int32) throws {
        guard indexFileEntries < index.entries.count else { return }
        var buffer = ByteBuffer()
        for entry in index.entries[indexFileEntries...] { SparseIndex.encode(entry, into: &buffer) }
        try FileIO.write(indexFd, buffer, at: indexFileEntries * SparseIndex.entrySize)
        indexFileEntries = index.entries.count
    }

    // MARK: Read

    /// The batch header at `position`, nil at the end of the file or when fewer than a header's bytes remain.
    func header(at position: Int) throws -> RecordBatchHeader? {
        guard position + RecordBatchHeader.size <= size else { return nil }
        let bytes = try files.withDescriptors { log, _ in try FileIO.read(log, at: position, length: RecordBatchHeader.size) }
        return RecordBatchHeader(bytes, at: bytes.readerIndex)
    }

    /// Position of the batch containing `offset` (or of the first batch after it), via the index.
    func position(of offset: Int64) throws -> (position: Int, header: RecordBatchHeader)? {
        var position = index.position(for: UInt32(clamping: max(0, offset - baseOffset)))
        while let header = try header(at: position) {
            if header.lastOffset >= offset { return (position, header) }
            position += header.totalSize
        }
        return nil
    }

    /// Position and header of the first batch whose max timestamp is at or after `timestamp`.
    func firstBatch(atOrAfter timestamp: Int64) throws -> RecordBatchHeader? {
        var position = index.position(forTimestamp: timestamp)
        while let header = try header(at: position) {
            if header.maxTimestamp >= timestamp { return header }
            position += header.totalSize
        }
        return nil
    }

    func read(at position: Int, length: Int) throws -> ByteBuffer {
        try files.withDescriptors { log, _ in try FileIO.read(log, at: position, length: min(length, size - position)) }
    }

    // MARK: Truncate, flush, close

    /// Cuts the file at `position` (a batch boundary) and drops index entries past it.
    func truncate(toPosition position: Int, nextOffset: Int64, largestTimestamp: Int64) throws {
        try files.withDescriptors(writes: true) { fd, indexFd in
            try FileIO.truncate(fd, to: position)
            size = position
            checksumVerifiedEnd = min(checksumVerifiedEnd, position)
            self.nextOffset = nextOffset
            self.largestTimestamp = largestTimestamp
            index.truncate(toPosition: position)
            indexFileEntries = min(indexFileEntries, index.entries.count)
            try FileIO.truncate(indexFd, to: index.entries.count * SparseIndex.entrySize)
            indexFileEntries = index.entries.count
        }
        bytesSinceIndexEntry = position - Int(index.entries.last?.position ?? 0)
        unflushed = true
    }

    func flush() throws {
        guard unflushed else { return }
        try files.sync()
        unflushed = false
    }

    /// Closes the files without syncing; `flush` first to keep unsynced writes.
    func close() {
        files.close()
    }

    func deleteFiles() {
        close()
        unlink(logPath)
        unlink(indexPath)
    }

    // MARK: Opening

    /// The cheap check at startup after a clean shutdown, or for a segment below the recovery point:
    /// loads the index file (strictly increasing, inside the file), checks that its last entry points
    /// at the batch it names, and validates every batch after that entry to the end of the file
    /// (length, contiguous offsets, CRC-32C). That tail is at most `index.interval.bytes` plus one
    /// batch, so the last batch of every segment is checked for the price of a few KiB of reading.
    /// A missing or inconsistent index is rebuilt by a full scan. Nothing is cut here: the damage
    /// found, if any, is returned (without `resume*`) for the owner to decide.
    func loadIndex(indexIntervalBytes: Int, isLastFile: Bool = true) throws -> LogDamage? {
        let (bytes, fileSize) = try files.withDescriptors { fd, indexFd in
            (try FileIO.read(indexFd, at: 0, length: try FileIO.size(indexFd)), try FileIO.size(fd))
        }
        guard let loaded = SparseIndex.decode(bytes, segmentSize: fileSize) else { return try rebuild(indexIntervalBytes, isLastFile) }
        let start = Int(loaded.entries.last?.position ?? 0)
        let startOffset = baseOffset + Int64(loaded.entries.last?.relativeOffset ?? 0)
        if start > 0 {
            guard let header = try header(at: start), header.magic == 2, header.baseOffset == startOffset else {
                return try rebuild(indexIntervalBytes, isLastFile)
            }
        }
        index = loaded
        indexFileEntries = loaded.entries.count
        let tail = try scan(from: start, expectedOffset: startOffset, timestamp: loaded.entries.last?.maxTimestampBefore ?? -1,
                            fileSize: fileSize, validateCRC: true, isLastFile: isLastFile, indexIntervalBytes: nil)
        size = fileSize
        nextOffset = tail.nextOffset
        largestTimestamp = tail.largestTimestamp
        bytesSinceIndexEntry = tail.bytesSinceIndexEntry
        guard let stop = tail.stop else { return nil }
        return LogDamage(path: logPath, position: stop.position, offset: tail.nextOffset, kind: stop.kind, detail: stop.detail)
    }

    private func rebuild(_ indexIntervalBytes: Int, _ isLastFile: Bool) throws -> LogDamage? {
        _ = try recover(expectedBaseOffset: baseOffset, indexIntervalBytes: indexIntervalBytes, validateCRC: true,
                        isLastFile: isLastFile, cut: false)
        return recoveryStop
    }

    /// Takes `offset` as the offset after this file's last batch: for a damaged segment that is not
    /// the log's last, the next segment's base offset says where it ends.
    func assumeEnd(nextOffset offset: Int64) { nextOffset = offset }

    /// Scans every batch from the start, validating lengths, contiguous offsets and (when asked)
    /// CRCs, and rebuilds the index. At the first invalid batch, with `cut` the file is truncated
    /// there (Kafka's recovery of an unflushed tail) and the bytes cut are returned; without it the
    /// damage is recorded for reads to step over and nothing is cut. `recoveryStop` says where and
    /// why the scan stopped, with where valid batches resume, if they do.
    func recover(expectedBaseOffset: Int64, indexIntervalBytes: Int, validateCRC: Bool,
                 isLastFile: Bool = true, cut: Bool = true) throws -> Int {
        index.removeAll()
        indexFileEntries = 0
        damages = [:]
        unreportedDamages = []
        let fileSize = try files.withDescriptors(writes: true) { fd, indexFd in
            try FileIO.truncate(indexFd, to: 0)
            return try FileIO.size(fd)
        }
        let result = try scan(from: 0, expectedOffset: expectedBaseOffset, timestamp: -1, fileSize: fileSize,
                              validateCRC: validateCRC, isLastFile: isLastFile, indexIntervalBytes: indexIntervalBytes)
        recoveryStop = nil
        recoveryDroppedOffsets = nil
        var removed = 0
        size = fileSize
        if let stop = result.stop {
            if cut {
                let resume = try resync(after: stop.position, expectedOffset: result.nextOffset, fileSize: fileSize)
                recoveryStop = LogDamage(path: logPath, position: stop.position, offset: result.nextOffset, kind: stop.kind,
                                         detail: stop.detail, resumePosition: resume?.position, resumeOffset: resume?.offset)
                if let resume {
                    let after = try scan(from: resume.position, expectedOffset: resume.offset, timestamp: -1, fileSize: fileSize,
                                         validateCRC: true, isLastFile: isLastFile, indexIntervalBytes: nil)
                    recoveryDroppedOffsets = resume.offset..<after.nextOffset
                }
                removed = fileSize - result.validEnd
                try files.withDescriptors(writes: true) { fd, _ in try FileIO.truncate(fd, to: result.validEnd) }
                size = result.validEnd
            } else {
                recoveryStop = try noteDamage(at: stop.position, expectedOffset: result.nextOffset, kind: stop.kind, detail: stop.detail)
            }
        }
        nextOffset = result.nextOffset
        largestTimestamp = result.largestTimestamp
        bytesSinceIndexEntry = result.bytesSinceIndexEntry
        checksumVerifiedEnd = validateCRC ? result.validEnd : 0
        // Like the scan itself, the rewritten index is not fsynced here: the next flush or roll does it.
        try files.withDescriptors(writes: true) { _, indexFd in try writePendingIndexEntries(indexFd: indexFd) }
        return removed
    }

    struct ScanResult {
        var validEnd: Int
        var nextOffset: Int64
        var largestTimestamp: Int64
        var bytesSinceIndexEntry: Int
        var stop: (kind: LogDamage.Kind, detail: String, position: Int)?
    }

    /// Walks batches from `start` (a batch boundary holding `expectedOffset`) in 1 MiB reads until
    /// the file's end or the first invalid batch. With `indexIntervalBytes` it adds index entries.
    func scan(from start: Int, expectedOffset: Int64, timestamp: Int64, fileSize: Int, validateCRC: Bool,
              isLastFile: Bool, indexIntervalBytes: Int?) throws -> ScanResult {
        var result = ScanResult(validEnd: start, nextOffset: expectedOffset, largestTimestamp: timestamp, bytesSinceIndexEntry: 0)
        var position = start
        let chunkBytes = 1 << 20
        scan: while position < fileSize {
            var chunk = try files.withDescriptors { fd, _ in try FileIO.read(fd, at: position, length: min(chunkBytes, fileSize - position)) }
            var consumed = 0
            while position + consumed < fileSize {
                let at = position + consumed
                guard let header = RecordBatchHeader(chunk, at: chunk.readerIndex + consumed) else {
                    if at + RecordBatchHeader.size <= fileSize { break }  // the header runs past this read
                    result.stop = (isLastFile ? .tornTail : .badLength,
                                   "\(fileSize - at) byte(s) at the end of the file are not a whole batch header", at)
                    break scan
                }
                if let (kind, detail) = LogDamage.problem(header, at: at, fileSize: fileSize, expectedOffset: result.nextOffset,
                                                          isLastFile: isLastFile) {
                    result.stop = (kind, detail, at)
                    break scan
                }
                let total = header.totalSize
                if consumed + total > chunk.readableBytes {
                    if consumed > 0 { break }
                    chunk = try files.withDescriptors { fd, _ in try FileIO.read(fd, at: at, length: total) }
                }
                // The file may have shrunk since `fileSize` was measured (a truncation racing the
                // scan): a batch the read cannot cover whole ends the scan as damage, never a trap.
                guard let whole = chunk.getSlice(at: chunk.readerIndex + consumed, length: total) else {
                    result.stop = (isLastFile ? .tornTail : .badLength,
                                   "only \(chunk.readableBytes - consumed) of the batch's \(total) bytes could be read", at)
                    break scan
                }
                if validateCRC, !RecordBatches.checksumMatches(whole) {
                    result.stop = (.crcMismatch, "the stored CRC-32C does not match the batch's \(total) bytes", at)
                    break scan
                }
                if let interval = indexIntervalBytes, at > 0, result.bytesSinceIndexEntry >= interval {
                    index.append(.init(relativeOffset: UInt32(header.baseOffset - baseOffset), position: UInt32(at),
                                       maxTimestampBefore: result.largestTimestamp))
                    result.bytesSinceIndexEntry = 0
                }
                result.bytesSinceIndexEntry += total
                result.largestTimestamp = max(result.largestTimestamp, header.maxTimestamp)
                result.nextOffset = header.nextOffset
                consumed += total
                result.validEnd = at + total
            }
            position += consumed
        }
        return result
    }
}
