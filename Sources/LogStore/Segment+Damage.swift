import Foundation
import KafkaProtocol
import NIOCore

/// Reading a segment that may hold damaged bytes. Every batch is checked before it is served
/// (plausible length, contiguous offsets; its CRC-32C unless this process already checked it, see
/// `checksumVerifiedEnd`); damage is recorded once per place, with where
/// the next valid batch starts, so that reads past it go on and reads into it fail with the
/// damage rather than serving garbage or stopping without a word.
extension Segment {
    /// Bytes of batch headers `locate` reads at once: the default index interval (4 KiB) and the
    /// batch that straddles its end, in one read.
    static let locateWindowBytes = 16 << 10

    enum Located {
        /// The batch holding the offset, or the first batch after it.
        case found(position: Int, header: RecordBatchHeader)
        /// The offset lies in damaged data.
        case damaged(LogDamage)
        /// No batch at or after the offset in this file.
        case end
    }

    /// Finds the batch holding `offset` (or the first after it) from the index entry before it,
    /// checking each header it steps over and stepping over known damage when `offset` lies past it.
    ///
    /// The headers are read in windows of `locateWindowBytes` (one read covers the index interval's
    /// batches), not one read per header.
    func locate(_ offset: Int64) throws -> Located {
        let entry = index.entry(for: UInt32(clamping: max(0, offset - baseOffset)))
        var position = Int(entry?.position ?? 0)
        var expected = baseOffset + Int64(entry?.relativeOffset ?? 0)
        var fromIndexEntry = entry != nil
        var window = ByteBuffer()
        var windowStart = 0
        func header(at position: Int) throws -> RecordBatchHeader? {
            guard position + RecordBatchHeader.size <= size else { return nil }
            if position < windowStart || position + RecordBatchHeader.size > windowStart + window.readableBytes {
                window = try read(at: position, length: Self.locateWindowBytes)
                windowStart = position
            }
            return RecordBatchHeader(window, at: window.readerIndex + position - windowStart)
        }
        while position < size {
            if let damage = damages[position] {
                guard let resumePosition = damage.resumePosition, let resumeOffset = damage.resumeOffset, offset >= resumeOffset else {
                    return .damaged(damage)
                }
                position = resumePosition
                expected = resumeOffset
                fromIndexEntry = false
                continue
            }
            let header = try header(at: position)
            let problem: (LogDamage.Kind, String)? = header.map {
                LogDamage.problem($0, at: position, fileSize: size, expectedOffset: expected, isLastFile: false)
            } ?? (.badLength, "\(size - position) byte(s) at the end of the file are not a whole batch header")
            if let (kind, detail) = problem {
                if fromIndexEntry {
                    // The index entry itself may be wrong: walk the chain from the file's start.
                    position = 0
                    expected = baseOffset
                    fromIndexEntry = false
                    continue
                }
                _ = try noteDamage(at: position, expectedOffset: expected, kind: kind, detail: detail)
                continue
            }
            fromIndexEntry = false
            let found = header!
            if found.lastOffset >= offset { return .found(position: position, header: found) }
            position += found.totalSize
            expected = found.nextOffset
        }
        return .end
    }

    /// How many bytes of `chunk` (read at `start`, its first batch being `first`) are whole, valid
    /// batches below `maxOffset`. A damaged batch ends the prefix and is recorded; when it is the
    /// first batch, it is returned so the read can fail with it.
    func validPrefix(of chunk: ByteBuffer, at start: Int, first: RecordBatchHeader, maxOffset: Int64) throws -> (length: Int, damage: LogDamage?) {
        var length = 0
        var expected = first.baseOffset
        while let header = RecordBatchHeader(chunk, at: chunk.readerIndex + length) {
            let at = start + length
            if !damages.isEmpty, let damage = damages[at] { return (length, length == 0 ? damage : nil) }
            if header.lastOffset >= maxOffset && header.magic == 2 && header.baseOffset == expected { break }
            if let (kind, detail) = LogDamage.problem(header, at: at, fileSize: size, expectedOffset: expected, isLastFile: false) {
                let damage = try noteDamage(at: at, expectedOffset: expected, kind: kind, detail: detail)
                return (length, length == 0 ? damage : nil)
            }
            let total = header.totalSize
            guard length + total <= chunk.readableBytes else { break }  // the read's byte limit, not damage
            if at + total > checksumVerifiedEnd {
                guard RecordBatches.checksumMatches(chunk.getSlice(at: chunk.readerIndex + length, length: total)!) else {
                    let damage = try noteDamage(at: at, expectedOffset: expected, kind: .crcMismatch,
                                                detail: "the stored CRC-32C does not match the batch's \(total) bytes")
                    return (length, length == 0 ? damage : nil)
                }
                if at == checksumVerifiedEnd { checksumVerifiedEnd = at + total }
            }
            length += total
            expected = header.nextOffset
        }
        return (length, nil)
    }

    /// Records damage at `position` (once; later calls return what was recorded) and finds where
    /// valid batches resume after it.
    func noteDamage(at position: Int, expectedOffset: Int64, kind: LogDamage.Kind, detail: String) throws -> LogDamage {
        if let known = damages[position] { return known }
        let resume = try resync(after: position, expectedOffset: expectedOffset, fileSize: size)
        let damage = LogDamage(path: logPath, position: position, offset: expectedOffset, kind: kind, detail: detail,
                               resumePosition: resume?.position, resumeOffset: resume?.offset)
        damages[position] = damage
        unreportedDamages.append(damage)
        return damage
    }

    func resync(after position: Int, expectedOffset: Int64, fileSize: Int) throws -> (position: Int, offset: Int64)? {
        try files.withDescriptors { fd, _ in try Self.resync(fd: fd, after: position, expectedOffset: expectedOffset, fileSize: fileSize) }
    }

    /// The first valid batch after damage at `position` of the file `fd`: a plausible header (magic
    /// 2, sane length inside the file, base offset at or after `expectedOffset`) whose CRC-32C
    /// matches. It is tried first where the damaged header's own length points (damage inside a
    /// batch's body leaves that intact), then byte by byte in 1 MiB reads. Nil when none follows.
    static func resync(fd: Int32, after position: Int, expectedOffset: Int64, fileSize: Int) throws -> (position: Int, offset: Int64)? {
        func header(at: Int) throws -> RecordBatchHeader? {
            guard at >= 0, at + RecordBatchHeader.size <= fileSize else { return nil }
            let bytes = try FileIO.read(fd, at: at, length: RecordBatchHeader.size)
            return RecordBatchHeader(bytes, at: bytes.readerIndex)
        }
        func candidate(_ header: RecordBatchHeader, at: Int) throws -> Bool {
            guard header.magic == 2, header.baseOffset >= expectedOffset, header.baseOffset - expectedOffset <= Int64(fileSize),
                  LogDamage.problem(header, at: at, fileSize: fileSize, expectedOffset: nil, isLastFile: false) == nil else { return false }
            let bytes = try FileIO.read(fd, at: at, length: header.totalSize)
            return bytes.readableBytes == header.totalSize && RecordBatches.checksumMatches(bytes)
        }
        if let damaged = try header(at: position), damaged.magic == 2, damaged.batchLength > 0,
           damaged.totalSize <= LogInspection.batchBytesMax {
            let next = position + damaged.totalSize
            if let found = try header(at: next), try candidate(found, at: next) { return (next, found.baseOffset) }
        }
        let chunkBytes = 1 << 20
        var start = position + 1
        while start + RecordBatchHeader.size <= fileSize {
            let chunk = try FileIO.read(fd, at: start, length: min(chunkBytes, fileSize - start))
            let last = chunk.readableBytes - RecordBatchHeader.size
            guard last >= 0 else { break }
            for shift in 0...last where chunk.getInteger(at: chunk.readerIndex + shift + 16, as: Int8.self) == 2 {
                if let found = RecordBatchHeader(chunk, at: chunk.readerIndex + shift), try candidate(found, at: start + shift) {
                    return (start + shift, found.baseOffset)
                }
            }
            start += last + 1
        }
        return nil
    }
}
