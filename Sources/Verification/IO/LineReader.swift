#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a file line by line through a fixed buffer, so a history of millions of operations is
/// never held in memory as text. A file still being written (a live lab's timeline) is read up to
/// the size it had when opened, so the reader always ends, however fast the writer appends.
///
/// Owner: one caller at a time (it holds an open descriptor and is not Sendable).
public final class LineReader {
    /// A whole final read can sit on one line, so lines may be long; past this the file is not a
    /// history we can trust to hold in memory.
    public static let defaultMaxLineBytes = 256 << 20
    /// Bytes read from the file per `read(2)`.
    static let chunkBytes = 1 << 20

    public enum Failure: Error, CustomStringConvertible {
        case cannotOpen(path: String, errno: Int32)
        case readFailed(path: String, errno: Int32)
        case lineTooLong(path: String, line: Int, maxBytes: Int)

        public var description: String {
            switch self {
            case .cannotOpen(let path, let code): return "cannot open \(path): \(String(cString: strerror(code)))"
            case .readFailed(let path, let code): return "cannot read \(path): \(String(cString: strerror(code)))"
            case .lineTooLong(let path, let line, let max): return "\(path):\(line): line longer than \(max) bytes"
            }
        }
    }

    let path: String
    let maxLineBytes: Int
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var endOfFile = false
    /// The file's size at open; nothing past it is read.
    private let limit: Int
    private var consumed = 0
    /// The number of the line `next()` returned last (1-based).
    public private(set) var lineNumber = 0

    public init(path: String, maxLineBytes: Int = LineReader.defaultMaxLineBytes) throws {
        self.path = path
        self.maxLineBytes = maxLineBytes
        descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw Failure.cannotOpen(path: path, errno: errno) }
        var status = stat()
        limit = fstat(descriptor, &status) == 0 ? Int(status.st_size) : Int.max
        buffer.reserveCapacity(Self.chunkBytes * 2)
    }

    deinit { close(descriptor) }

    /// The next line without its terminator (a trailing "\r" is dropped too), or nil at the end.
    public func next() throws -> ArraySlice<UInt8>? {
        while true {
            let found = buffer.withUnsafeBufferPointer { bytes -> Int? in
                guard start < bytes.count,
                      let hit = memchr(bytes.baseAddress! + start, 0x0A, bytes.count - start)
                else { return nil }
                return bytes.baseAddress!.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            }
            if let newline = found {
                var end = newline
                if end > start && buffer[end - 1] == 0x0D { end -= 1 }
                let line = buffer[start..<end]
                start = newline + 1
                lineNumber += 1
                return line
            }
            if buffer.count - start > maxLineBytes {
                throw Failure.lineTooLong(path: path, line: lineNumber + 1, maxBytes: maxLineBytes)
            }
            if endOfFile {
                guard start < buffer.count else { return nil }
                let line = buffer[start...]
                start = buffer.count
                lineNumber += 1
                return line
            }
            try fill()
        }
    }

    private func fill() throws {
        if start > 0 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        let wanted = min(Self.chunkBytes, limit - consumed)
        guard wanted > 0 else {
            endOfFile = true
            return
        }
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: wanted))
        var got = 0
        repeat {
            got = buffer.withUnsafeMutableBytes { raw in
                read(descriptor, raw.baseAddress! + old, wanted)
            }
        } while got < 0 && errno == EINTR
        if got < 0 {
            buffer.removeSubrange(old...)
            throw Failure.readFailed(path: path, errno: errno)
        }
        buffer.removeSubrange((old + got)...)
        consumed += got
        if got == 0 { endOfFile = true }
    }
}
