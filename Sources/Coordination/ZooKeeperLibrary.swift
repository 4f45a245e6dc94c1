import CZooKeeper
import Foundation
import Logging
import Synchronization

/// What the Swift side needs from `libzookeeper_mt` besides the calls themselves: the open ACL,
/// error and stat conversion, and routing of the library's own log lines.
enum ZooKeeperLibrary {
    /// The `world:anyone` ACL with all permissions (0x1f), which the brokers put on every node.
    /// Built here because Swift 6 rejects the library's mutable global `ZOO_OPEN_ACL_UNSAFE`.
    static let openACL = OpenACL()

    /// Longest path the server can hand back for a created node: ZooKeeper paths have no fixed
    /// limit, but ours are short; 4 KiB leaves ample room for the ten-digit sequential suffix.
    static let pathBufferBytes = 4096

    /// The data of a node fits in `jute.maxbuffer`, 1 MiB by default; reads grow their buffer up to this.
    static let maxDataBytes = 1_048_576

    static func error(code: Int32, path: String, sessionExpired: Bool) -> CoordinationError {
        switch code {
        case ZNONODE.rawValue: return .noNode(path: path)
        case ZNODEEXISTS.rawValue: return .nodeExists(path: path)
        case ZBADVERSION.rawValue: return .badVersion(path: path)
        case ZNOTEMPTY.rawValue: return .notEmpty(path: path)
        case ZNOCHILDRENFOREPHEMERALS.rawValue: return .noChildrenForEphemerals(path: path)
        case ZBADARGUMENTS.rawValue: return .badArguments(path: path)
        case ZSESSIONEXPIRED.rawValue: return .sessionExpired(path: path)
        case ZCONNECTIONLOSS.rawValue: return .connectionLoss(path: path)
        case ZOPERATIONTIMEOUT.rawValue: return .operationTimeout(path: path)
        case ZCLOSING.rawValue: return .closed(path: path)
        case ZINVALIDSTATE.rawValue where sessionExpired: return .sessionExpired(path: path)
        default: return .other(path: path, code: code, message: message(code))
        }
    }

    static func message(_ code: Int32) -> String {
        guard let text = zerror(code) else { return "unknown ZooKeeper error" }
        return String(cString: text)
    }

    static func nodeStat(_ stat: Stat) -> NodeStat {
        NodeStat(
            czxid: stat.czxid, mzxid: stat.mzxid, pzxid: stat.pzxid, ctime: stat.ctime, mtime: stat.mtime,
            version: stat.version, cversion: stat.cversion, ephemeralOwner: stat.ephemeralOwner,
            dataLength: stat.dataLength, numChildren: stat.numChildren)
    }

    static func flags(_ mode: CreateMode) -> Int32 {
        switch mode {
        case .persistent: return ZOO_PERSISTENT
        case .ephemeral: return ZOO_EPHEMERAL
        case .persistentSequential: return ZOO_PERSISTENT_SEQUENTIAL
        case .ephemeralSequential: return ZOO_EPHEMERAL_SEQUENTIAL
        }
    }
}

/// The open ACL vector, allocated once and never freed or written after `init`.
///
/// `@unchecked Sendable`: the pointers refer to memory that is immutable after initialisation and
/// lives for the whole process; the C library only reads it.
final class OpenACL: @unchecked Sendable {
    let vector: UnsafeMutablePointer<ACL_vector>

    fileprivate init() {
        let entry = UnsafeMutablePointer<ACL>.allocate(capacity: 1)
        entry.initialize(to: ACL(perms: 0x1f, id: Id(scheme: strdup("world"), id: strdup("anyone"))))
        vector = UnsafeMutablePointer<ACL_vector>.allocate(capacity: 1)
        vector.initialize(to: ACL_vector(count: 1, data: entry))
    }
}

/// The C library logs through a process-wide level and a per-handle callback that receives only the
/// formatted line, with no handle or context. So its lines go to one process-wide logger: the one
/// given to the most recent `ZooKeeperClient.connect`. Only warnings and errors are let through
/// (`zoo_set_debug_level`), which keeps its per-connection chatter off stderr.
enum ZooKeeperLibraryLog {
    private static let sink = Mutex<Logger?>(nil)
    private static let configured: Void = {
        zoo_set_debug_level(ZOO_LOG_LEVEL_WARN)
    }()

    static func route(to logger: Logger) {
        _ = configured
        sink.withLock { $0 = logger }
    }

    /// The `log_callback_fn` given to `zookeeper_init2`.
    static let callback: log_callback_fn = { message in
        guard let message else { return }
        let line = String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let logger = sink.withLock({ $0 }) else { return }
        let level: Logger.Level = line.contains("ZOO_ERROR@") ? .error : line.contains("ZOO_WARN@") ? .warning : .debug
        logger.log(level: level, "\(line)", metadata: ["component": "libzookeeper"])
    }
}
