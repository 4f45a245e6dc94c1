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
    func append(_ bytes: ByteBuffer, headers: [(header: RecordBatchHeader, offsetInBytes: Int)], indexIntervalBytes: Int) throws {
        try files.withDescriptors(writes: true) { log, indexFd in
            try FileIO.write(log, bytes, at: size)
            try recordAppended(bytes.readableBytes, headers: headers, indexIntervalBytes: indexIntervalBytes, indexFd: indexFd)
        }
    }

    private func recordAppended(_ byteCount: Int, headers: [(header: RecordBatchHeader, offsetInBytes: Int)], indexIntervalBytes: Int,
                                indexFd: Int32) throws {
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
        size += byteCount
        if let last = headers.last { nextOffset = last.header.nextOffset }
        largestTimestamp = timestampBefore
        unflushed = true
        try writePendingIndexEntries(indexFd: indexFd)
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
        try files.withDescriptors(writes: true) { log, indexFd in
            try FileIO.truncate(log, to: position)
            size = position
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

    /// Trusts the segment (it is below the recovery point): loads the index file, or rebuilds it by
    /// scanning headers if it is missing or damaged, and finds the end from the last indexed batch.
    func loadIndex(indexIntervalBytes: Int) throws {
        let bytes = try files.withDescriptors { _, indexFd in try FileIO.read(indexFd, at: 0, length: try FileIO.size(indexFd)) }
        if let loaded = SparseIndex.decode(bytes, segmentSize: size) {
            index = loaded
            indexFileEntries = loaded.entries.count
            var position = Int(loaded.entries.last?.position ?? 0)
            var timestamp = loaded.entries.last?.maxTimestampBefore ?? -1
            nextOffset = baseOffset
            if let last = loaded.entries.last { nextOffset = baseOffset + Int64(last.relativeOffset) }
            while let header = try header(at: position), position + header.totalSize <= size {
                nextOffset = header.nextOffset
                timestamp = max(timestamp, header.maxTimestamp)
                position += header.totalSize
            }
            largestTimestamp = timestamp
            bytesSinceIndexEntry = position - Int(loaded.entries.last?.position ?? 0)
            if position == size { return }
        }
        _ = try recover(expectedBaseOffset: baseOffset, indexIntervalBytes: indexIntervalBytes, validateCRC: false)
    }

    /// Scans every batch from the start, validating lengths, contiguous offsets and (when asked)
    /// CRCs; rebuilds the index; truncates at the first invalid batch. Returns the bytes cut.
    func recover(expectedBaseOffset: Int64, indexIntervalBytes: Int, validateCRC: Bool) throws -> Int {
        // Like the scan itself, the rewritten index is not fsynced here: the next flush or roll does it.
        try files.withDescriptors { fd, indexFd in
            try recover(fd: fd, indexFd: indexFd, expectedBaseOffset: expectedBaseOffset, indexIntervalBytes: indexIntervalBytes,
                        validateCRC: validateCRC)
        }
    }

    private func recover(fd: Int32, indexFd: Int32, expectedBaseOffset: Int64, indexIntervalBytes: Int, validateCRC: Bool) throws -> Int {
        index.removeAll()
        indexFileEntries = 0
        try FileIO.truncate(indexFd, to: 0)
        let fileSize = try FileIO.size(fd)
        var position = 0
        var validEnd = 0
        var expected = expectedBaseOffset
        var timestamp: Int64 = -1
        var sinceEntry = 0
        let chunkBytes = 1 << 20
        scan: while position < fileSize {
            var chunk = try FileIO.read(fd, at: position, length: min(chunkBytes, fileSize - position))
            var consumed = 0
            while true {
                guard let header = RecordBatchHeader(chunk, at: chunk.readerIndex + consumed) else {
                    if consumed == 0 { break scan }
                    break
                }
                guard header.magic == 2, header.batchLength >= Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead),
                      header.baseOffset == expected, header.lastOffsetDelta >= 0 else { break scan }
                let total = header.totalSize
                if consumed + total > chunk.readableBytes {
                    if consumed > 0 { break }
                    guard position + total <= fileSize else { break scan }
                    chunk = try FileIO.read(fd, at: position, length: total)
                }
                if validateCRC {
                    let batch = chunk.getSlice(at: chunk.readerIndex + consumed, length: total)!
                    guard RecordBatches.checksumMatches(batch) else { break scan }
                }
                let at = position + consumed
                if at > 0 && sinceEntry >= indexIntervalBytes {
                    index.append(.init(relativeOffset: UInt32(header.baseOffset - baseOffset), position: UInt32(at), maxTimestampBefore: timestamp))
                    sinceEntry = 0
                }
                sinceEntry += total
                timestamp = max(timestamp, header.maxTimestamp)
                expected = header.nextOffset
                consumed += total
                validEnd = position + consumed
            }
            position += consumed
        }
        let cut = fileSize - validEnd
        if cut > 0 { try FileIO.truncate(fd, to: validEnd) }
        size = validEnd
        nextOffset = expected
        largestTimestamp = timestamp
        bytesSinceIndexEntry = sinceEntry
        try writePendingIndexEntries(indexFd: indexFd)
        return cut
    }
}
