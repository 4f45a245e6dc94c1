import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The two bits of raw TCP the ZooKeeper launcher needs: picking a free port and asking a server a
/// four-letter word. Blocking and bounded; not for event loops.
enum LoopbackSocket {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// A TCP port that was free a moment ago on 127.0.0.1: bind port 0, read what the kernel chose,
    /// close. Another process may take it before the caller binds it; the caller's bind then fails
    /// loudly, which is acceptable for launching local test processes.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw Failure(description: "bind: \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw Failure(description: "getsockname: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Connects to 127.0.0.1:`port`, sends `request`, and reads until the server closes, all within
    /// `timeoutMs`; the answer is capped at `maxResponseBytes` (`mntr` output is a few KiB).
    static func exchange(port: Int, request: String, timeoutMs: Int, maxResponseBytes: Int = 256 * 1024) throws -> String {
        let deadline = Date(timeIntervalSinceNow: Double(timeoutMs) / 1000)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        try connectWithin(fd, port: port, deadline: deadline)
        let sent = request.utf8CString.withUnsafeBufferPointer { send(fd, $0.baseAddress, $0.count - 1, Int32(MSG_NOSIGNAL)) }
        guard sent == request.utf8.count else { throw Failure(description: "send to port \(port) failed") }
        var response: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while response.count < maxResponseBytes {
            try waitFor(fd, events: Int16(POLLIN), deadline: deadline, what: "reply from port \(port)")
            let count = recv(fd, &chunk, chunk.count, 0)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                throw Failure(description: "recv from port \(port): \(String(cString: strerror(errno)))")
            }
            response += chunk[0..<count]
        }
        return String(decoding: response, as: UTF8.self)
    }

    private static func connectWithin(_ fd: Int32, port: Int, deadline: Date) throws {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        var address = loopback(port: port)
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if rc != 0 {
            guard errno == EINPROGRESS else {
                throw Failure(description: "connect to port \(port): \(String(cString: strerror(errno)))")
            }
            try waitFor(fd, events: Int16(POLLOUT), deadline: deadline, what: "connection to port \(port)")
            var error: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
            guard error == 0 else {
                throw Failure(description: "connect to port \(port): \(String(cString: strerror(error)))")
            }
        }
    }

    private static func waitFor(_ fd: Int32, events: Int16, deadline: Date, what: String) throws {
        while true {
            let remainingMs = Int32(max(0, deadline.timeIntervalSinceNow * 1000))
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let ready = poll(&entry, 1, remainingMs)
            if ready > 0 { return }
            if ready < 0 && errno == EINTR { continue }
            throw Failure(description: "timed out waiting for \(what)")
        }
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr = in_addr(s_addr: inet_addr("127.0.0.1"))
        return address
    }
}
