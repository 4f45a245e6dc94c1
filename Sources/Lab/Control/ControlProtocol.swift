import FaultModel
import Foundation

/// The lab's control API: one JSON object per line over the Unix socket `control.sock` in the run
/// directory. Requests:
///
///     {"op": "fault", "command": {"fault": "crash", "target": {"kind": "leader_of", "topic": "orders", "partition": 0}}}
///     {"op": "status"}      processes, active faults, links, latest samples
///     {"op": "shutdown"}    stop the lab (like SIGTERM to `cluster up`)
///     {"op": "detach"}      `cluster up --stop-with-parent` no longer stops with its parent
///
/// A fault travels as the value its sender parsed (`FaultCommand`'s JSON form: any fault of the
/// grammar, heal and await included), never as text to parse again; the lab checks a decoded
/// command as the parser would. Each request gets one response line: `{"ok": true, ...}` or
/// `{"ok": false, "error": "..."}`, a malformed request included.
public enum ControlRequest: Sendable, Equatable {
    case fault(FaultCommand)
    case status
    case shutdown
    case detach

    /// The `op` field.
    public enum Op: String, Codable, Sendable, CaseIterable {
        case fault, status, shutdown, detach
    }

    public var op: Op {
        switch self {
        case .fault: return .fault
        case .status: return .status
        case .shutdown: return .shutdown
        case .detach: return .detach
        }
    }
}

extension ControlRequest: Codable {
    enum CodingKeys: String, CodingKey {
        case op, command
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(op, forKey: .op)
        if case .fault(let command) = self { try container.encode(command, forKey: .command) }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decodeTag(Op.self, forKey: .op, what: "op") {
        case .fault:
            guard container.contains(.command) else {
                throw DecodingError.keyNotFound(CodingKeys.command, .init(codingPath: decoder.codingPath, debugDescription: "a fault request needs a command"))
            }
            if let text = try? container.decode(String.self, forKey: .command) {
                throw DecodingError.dataCorruptedError(forKey: .command, in: container, debugDescription:
                    "the command '\(text)' is text; the lab takes a parsed fault ({\"fault\": \"crash\", \"target\": {\"kind\": \"broker\", \"broker\": 2}}), "
                    + "or use `samsa fault --dir DIR \(text)`")
            }
            self = .fault(try container.decode(FaultCommand.self, forKey: .command))
        case .status: self = .status
        case .shutdown: self = .shutdown
        case .detach: self = .detach
        }
    }

    /// Reads one request line, or says in one sentence what is wrong with it (the answer to a
    /// malformed request).
    public static func decode(line: Data) -> Result<ControlRequest, ControlRequestError> {
        guard (try? JSONSerialization.jsonObject(with: line)) is [String: Any] else {
            return .failure(ControlRequestError(description: "malformed request: not a JSON object"))
        }
        do {
            return .success(try JSONDecoder().decode(ControlRequest.self, from: line))
        } catch let error as DecodingError {
            return .failure(ControlRequestError(error))
        } catch {
            return .failure(ControlRequestError(description: "malformed request: \(error)"))
        }
    }
}

/// Why a control request line was refused, in words for whoever wrote it.
public struct ControlRequestError: Error, Equatable, CustomStringConvertible {
    public var description: String

    public init(description: String) { self.description = description }

    init(_ error: DecodingError) {
        func path(_ codingPath: [any CodingKey], _ key: (any CodingKey)? = nil) -> String {
            let keys = (codingPath + (key.map { [$0] } ?? [])).map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "" : " at " + String(keys.drop { $0 == "." })
        }
        switch error {
        case .dataCorrupted(let context):
            description = "malformed request\(path(context.codingPath)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            let what = context.debugDescription.hasPrefix("No value associated") ? "'\(key.stringValue)' is missing" : context.debugDescription
            description = "malformed request\(path(context.codingPath)): \(what)"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            description = "malformed request\(path(context.codingPath)): expected \(type)"
        @unknown default:
            description = "malformed request: \(error)"
        }
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
        try exchange(line: try JSONEncoder().encode(request), directory: directory, timeoutMs: timeoutMs)
    }

    /// Sends one request line (without its newline) and reads the answer line.
    static func exchange(line request: Data, directory: String, timeoutMs: Int) throws -> ControlResponse {
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
        var line = request
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
