#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file in blocks of whole lines, for parsers that split lines themselves: one `read(2)`
/// per block and no copy per line. Like `LineReader`, it reads a file only up to the size it had
/// when opened.
///
/// Owner: one caller at a time (it holds an open descriptor and is not Sendable).
final class LineBlockReader {
    /// A line (the bytes since the last newline) outgrew `maxLineBytes`.
    struct LineTooLong: Error {}

    let path: String
    let blockBytes: Int
    let maxLineBytes: Int
    private let descriptor: Int32
    private let limit: Int
    /// The file's size when opened (Int.max when unknown).
    var size: Int { limit }
    private var consumed = 0
    /// Bytes after the last newline of the previous block: the start of the next block's first line.
    private var carry: [UInt8] = []

    init(path: String, blockBytes: Int, maxLineBytes: Int) throws {
        self.path = path
        self.blockBytes = max(1, blockBytes)
        self.maxLineBytes = maxLineBytes
        descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw LineReader.Failure.cannotOpen(path: path, errno: errno) }
        var status = stat()
        limit = fstat(descriptor, &status) == 0 ? Int(status.st_size) : Int.max
    }

    deinit { close(descriptor) }

    /// Replaces `block` with the next block: whole lines, each ending in "\n" except a last line
    /// the file does not end, about `blockBytes` long (longer when one line is). Returns false at
    /// the end of the file. `block`'s storage is reused, so callers can recycle buffers.
    func next(into block: inout [UInt8]) throws -> Bool {
        block.removeAll(keepingCapacity: true)
        block.append(contentsOf: carry)
        carry.removeAll(keepingCapacity: true)
        var searchedUpTo = block.count
        while true {
            let endOfFile = try fill(&block, adding: blockBytes)
            if let lastNewline = lastNewline(in: block, from: searchedUpTo) {
                carry.append(contentsOf: block[(lastNewline + 1)...])
                block.removeSubrange((lastNewline + 1)...)
                return true
            }
            searchedUpTo = block.count
            if endOfFile { return !block.isEmpty }
            if block.count > maxLineBytes { throw LineTooLong() }
        }
    }

    /// The last "\n" at or after `from`, if any.
    private func lastNewline(in block: [UInt8], from: Int) -> Int? {
        block.withUnsafeBufferPointer { bytes in
            var index = bytes.count - 1
            while index >= from {
                if bytes[index] == 0x0A { return index }
                index -= 1
            }
            return nil
        }
    }

    /// Appends up to `count` bytes of the file (as opened) to `block`; returns whether it ended.
    private func fill(_ block: inout [UInt8], adding count: Int) throws -> Bool {
        let wanted = min(count, limit - consumed)
        guard wanted > 0 else { return consumed >= limit }
        let old = block.count
        block.append(contentsOf: repeatElement(0, count: wanted))
        var got = 0
        while got < wanted {
            let count = block.withUnsafeMutableBytes { raw in read(descriptor, raw.baseAddress! + old + got, wanted - got) }
            if count < 0 && errno == EINTR { continue }
            if count < 0 {
                block.removeSubrange((old + got)...)
                throw LineReader.Failure.readFailed(path: path, errno: errno)
            }
            if count == 0 { break }
            got += count
        }
        block.removeSubrange((old + got)...)
        consumed += got
        return got < wanted || consumed >= limit
    }
}
