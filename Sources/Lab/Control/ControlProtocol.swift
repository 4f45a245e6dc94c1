import Foundation

/// The lab's control API: one JSON object per line over the Unix socket `control.sock` in the run
/// directory. Requests:
///
///     {"op": "fault", "command": "crash leader_of orders/0"}   any fault of the grammar, heal and await included
///     {"op": "status"}                                         processes, active faults, links, latest samples
///     {"op": "shutdown"}                                       stop the lab (like SIGTERM to `cluster up`)
///     {"op": "detach"}                                         `cluster up --stop-with-parent` no longer stops with its parent
///
/// Each request gets one response line: `{"ok": true, ...}` or `{"ok": false, "error": "..."}`.
public struct ControlRequest: Codable, Sendable, Equatable {
    public var op: String
    public var command: String?

    public init(op: String, command: String? = nil) {
        self.op = op
        self.command = command
    }
}

public struct LabStatus: Codable, Sendable, Equatable {
    public struct Process: Codable, Sendable, Equatable {
        public var name: String
        public var pid: Int32
        public var state: String
        public var clientPort: Int?
        public var internalPort: Int?
        public var metricsPort: Int?
    }

    public struct Link: Codable, Sendable, Equatable {
        public var link: String
        public var condition: String
    }

    public var directory: String
    public var bootstrap: String
    public var processes: [Process]
    public var faults: [ActiveFault]
    /// Links whose condition is not `connected`.
    public var links: [Link]
    public var snapshot: Observer.Snapshot
}

public struct ControlResponse: Codable, Sendable, Equatable {
    public var ok: Bool
    public var message: String?
    public var error: String?
    public var fault: ActiveFault?
    public var ended: [ActiveFault]?
    public var status: LabStatus?
    /// How an `await` ended.
    public var condition: ConditionOutcome? = nil

    public static func failure(_ error: String) -> ControlResponse {
        ControlResponse(ok: false, message: nil, error: error, fault: nil, ended: nil, status: nil)
    }
}

/// The client side, for `samsa fault`, `samsa cluster status` and the shell's `attach`: a blocking
/// round trip over the socket, bounded by `timeoutMs`.
public enum ControlClient {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
    }

    public static func socketPath(directory: String) -> String { RunDirectory(path: directory).path + "/control.sock" }

    public static func send(_ request: ControlRequest, directory: String, timeoutMs: Int = 60_000) throws -> ControlResponse {
        let path = socketPath(directory: directory)
        guard FileManager.default.fileExists(atPath: path) else {
            throw Failure(description: "no lab is running in \(RunDirectory(path: directory).path) (no \(path)); start one with `samsa cluster up --dir ...`")
        }
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "cannot create a socket") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutMs / 1000, tv_usec: (timeoutMs % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = try SocketPath.reachable(path) { reachable in
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                let bytes = Array(reachable.utf8)
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 }
            }
        }
        guard connected else {
            throw Failure(description: "the lab in \(RunDirectory(path: directory).path) does not answer (\(String(cString: strerror(errno)))); is `samsa cluster up` still running?")
        }
        var line = try JSONEncoder().encode(request)
        line.append(0x0A)
        let sent = line.withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, 0) }
        guard sent == line.count else { throw Failure(description: "cannot send to the lab") }
        var received = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !received.contains(0x0A) {
            let got = recv(fd, &buffer, buffer.count, 0)
            if got <= 0 { throw Failure(description: got == 0 ? "the lab closed the connection" : "no answer from the lab within \(timeoutMs) ms") }
            received.append(buffer, count: got)
            if received.count > 64 << 20 { throw Failure(description: "the lab's answer is too large") }
        }
        let answer = received[received.startIndex..<received.firstIndex(of: 0x0A)!]
        do {
            return try JSONDecoder().decode(ControlResponse.self, from: Data(answer))
        } catch {
            throw Failure(description: "unreadable answer from the lab: \(error)")
        }
    }
}
