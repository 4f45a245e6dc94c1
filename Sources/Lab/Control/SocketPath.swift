import Foundation

/// A Unix socket address holds at most 107 bytes of path (SwiftNIO accepts 103, the portable
/// limit), and run directories nest deeper than that (`.build/suite-…/bug/case/control.sock`). A
/// longer path is reached through the directory's descriptor instead: `/proc/self/fd/N/control.sock`
/// names the same file in a few bytes.
enum SocketPath {
    static let limit = min(103, MemoryLayout.size(ofValue: sockaddr_un().sun_path) - 1)

    /// Runs `body` with a path no longer than `limit` that names the socket file at `path`; the
    /// short form is valid only until `body` returns.
    static func reachable<T>(_ path: String, _ body: (String) async throws -> T) async throws -> T {
        let directory = try open(path)
        defer { if let directory { close(directory.descriptor) } }
        return try await body(directory?.short ?? path)
    }

    static func reachable<T>(_ path: String, _ body: (String) throws -> T) throws -> T {
        let directory = try open(path)
        defer { if let directory { close(directory.descriptor) } }
        return try body(directory?.short ?? path)
    }

    /// nil when `path` fits as it is.
    private static func open(_ path: String) throws -> (descriptor: Int32, short: String)? {
        if path.utf8.count <= limit { return nil }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        let descriptor = Foundation.open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw ControlClient.Failure(description: "cannot open \(directory) to reach the socket \(path): \(String(cString: strerror(errno)))")
        }
        let short = "/proc/self/fd/\(descriptor)/\(url.lastPathComponent)"
        guard short.utf8.count <= limit else {
            close(descriptor)
            throw ControlClient.Failure(description: "socket name \(url.lastPathComponent) is too long")
        }
        return (descriptor, short)
    }
}
