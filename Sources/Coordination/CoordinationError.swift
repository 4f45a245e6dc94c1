/// Why a coordination call failed. Each case names the path of the call (or of the failing step of
/// a multi), because a broker's log line must say which znode it could not write.
///
/// Every ZooKeeper return code maps to one case; codes with no distinct meaning for the brokers land
/// in `other` with ZooKeeper's own code and message.
public enum CoordinationError: Error, Sendable, Hashable {
    case noNode(path: String)
    case nodeExists(path: String)
    /// The node's version differs from the expected one: somebody else wrote first (fencing).
    case badVersion(path: String)
    case notEmpty(path: String)
    case noChildrenForEphemerals(path: String)
    /// The path is malformed (not absolute, empty segment, trailing slash, `.` or `..`).
    case badArguments(path: String)
    /// The session is gone; this client is dead and the owner must create a new one.
    case sessionExpired(path: String)
    /// The connection dropped while the call was outstanding: a write may or may not have happened.
    case connectionLoss(path: String)
    case operationTimeout(path: String)
    /// The client was closed.
    case closed(path: String)
    /// The client could not reach a connected state in time.
    case connectTimeout(connectString: String, timeoutMs: Int)
    /// Step `index` of a multi failed with `error`; nothing of the transaction was applied.
    indirect case multiFailed(index: Int, error: CoordinationError)
    case other(path: String, code: Int32, message: String)

    /// The path the failed call or step was about, nil for connection-level failures.
    public var path: String? {
        switch self {
        case .noNode(let path), .nodeExists(let path), .badVersion(let path), .notEmpty(let path),
            .noChildrenForEphemerals(let path), .badArguments(let path), .sessionExpired(let path),
            .connectionLoss(let path), .operationTimeout(let path), .closed(let path),
            .other(let path, _, _):
            return path
        case .connectTimeout:
            return nil
        case .multiFailed(_, let error):
            return error.path
        }
    }

    /// True when the client can never succeed again and the owner must build a new one.
    public var isSessionFatal: Bool {
        switch self {
        case .sessionExpired, .closed: return true
        case .multiFailed(_, let error): return error.isSessionFatal
        default: return false
        }
    }
}

extension CoordinationError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .noNode(let path): return "no node \(path)"
        case .nodeExists(let path): return "node exists \(path)"
        case .badVersion(let path): return "bad version \(path)"
        case .notEmpty(let path): return "node has children \(path)"
        case .noChildrenForEphemerals(let path): return "ephemeral nodes may not have children \(path)"
        case .badArguments(let path): return "bad arguments (invalid path?) \(path)"
        case .sessionExpired(let path): return "session expired (\(path))"
        case .connectionLoss(let path): return "connection loss (\(path))"
        case .operationTimeout(let path): return "operation timeout (\(path))"
        case .closed(let path): return "client closed (\(path))"
        case .connectTimeout(let connectString, let timeoutMs):
            return "no connected session to \(connectString) within \(timeoutMs) ms"
        case .multiFailed(let index, let error): return "multi step \(index) failed: \(error)"
        case .other(let path, let code, let message): return "\(message) (code \(code)) \(path)"
        }
    }
}
