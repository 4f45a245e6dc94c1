import Foundation
import NIOCore

/// Thin, checked wrappers over POSIX file calls. The log uses them directly (rather than Foundation's
/// FileHandle) to control exactly when data is written, synced and truncated.
enum FileIO {
    static func open(_ path: String, create: Bool) throws -> Int32 {
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        let fd = Foundation.open(path, flags, 0o644)
        guard fd >= 0 else { throw error("open \(path)") }
        return fd
    }

    static func size(_ fd: Int32) throws -> Int {
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw error("fstat") }
        return Int(info.st_size)
    }

    /// Writes all of `buffer`'s readable bytes at `offset`.
    static func write(_ fd: Int32, _ buffer: ByteBuffer, at offset: Int) throws {
        try buffer.withUnsafeReadableBytes { raw in
            var done = 0
            while done < raw.count {
                let written = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(offset + done))
                if written < 0 {
                    if errno == EINTR { continue }
                    throw error("pwrite")
                }
                done += written
            }
        }
    }

    static func write(_ fd: Int32, bytes: [UInt8], at offset: Int) throws {
        try bytes.withUnsafeBytes { raw in
            var done = 0
            while done < raw.count {
                let written = pwrite(fd, raw.baseAddress! + done, raw.count - done, off_t(offset + done))
                if written < 0 {
                    if errno == EINTR { continue }
                    throw error("pwrite")
                }
                done += written
            }
        }
    }

    /// Reads up to `length` bytes at `offset` into a new buffer (shorter at end of file).
    static func read(_ fd: Int32, at offset: Int, length: Int, allocator: ByteBufferAllocator = ByteBufferAllocator()) throws -> ByteBuffer {
        var buffer = allocator.buffer(capacity: max(0, length))
        guard length > 0 else { return buffer }
        var total = 0
        try buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw in
            while total < length {
                let got = pread(fd, raw.baseAddress! + total, length - total, off_t(offset + total))
                if got < 0 {
                    if errno == EINTR { continue }
                    throw error("pread")
                }
                if got == 0 { break }
                total += got
            }
            return total
        }
        return buffer
    }

    static func truncate(_ fd: Int32, to size: Int) throws {
        guard ftruncate(fd, off_t(size)) == 0 else { throw error("ftruncate") }
    }

    static func sync(_ fd: Int32) throws {
        guard fsync(fd) == 0 else { throw error("fsync") }
    }

    static func close(_ fd: Int32) { _ = Foundation.close(fd) }

    static func syncDirectory(_ path: String) {
        let fd = Foundation.open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        Foundation.close(fd)
    }

    static func error(_ what: String) -> LogIOError {
        LogIOError(operation: what, errno: errno)
    }
}

/// A failed file call, with its errno, so that callers can tell a full disk (ENOSPC) from other
/// I/O errors and report each condition once.
public struct LogIOError: Error, Equatable, CustomStringConvertible {
    public var operation: String
    public var errno: Int32

    public var description: String { "I/O error: \(operation): \(String(cString: strerror(errno))) (errno \(errno))" }
}

/// An append that failed: where, why, and whether the partial write was cut back. When
/// `rolledBack` is false the files may hold part of the append until the next append cuts it,
/// so the outcome is indeterminate rather than failed.
public struct AppendFailure: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var errno: Int32
    public var message: String
    public var rolledBack: Bool

    public var description: String {
        "append to \(path) failed: \(message)" + (rolledBack ? "; nothing was appended" : "; the partial write could not be cut back")
    }
}

/// Small files replaced atomically: write a temporary, fsync, rename over the target, fsync the
/// directory. After a crash the file holds the old or the new contents, never a mix.
public enum AtomicFile {
    public static func write(_ data: [UInt8], to path: String) throws {
        let temporary = path + ".tmp"
        let fd = Foundation.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileIO.error("open \(temporary)") }
        do {
            try FileIO.write(fd, bytes: data, at: 0)
            try FileIO.sync(fd)
        } catch {
            Foundation.close(fd)
            throw error
        }
        Foundation.close(fd)
        guard rename(temporary, path) == 0 else { throw FileIO.error("rename \(temporary)") }
        FileIO.syncDirectory((path as NSString).deletingLastPathComponent)
    }

    public static func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).flatMap { String(data: $0, encoding: .utf8) }
    }
}
