/// The metadata store as the brokers and the lab see it: a ZooKeeper-shaped tree of znodes with
/// versions, ephemeral nodes tied to a session, one-shot watches and atomic multi-ops.
///
/// Two implementations share these semantics: `ZooKeeperClient` (a real ZooKeeper through the C
/// client) and the clients of `InMemoryCoordination` (one process, for tests). The behaviour test
/// suite runs against both.
///
/// Every call blocks the calling thread until the store answers (for ZooKeeper: a network round
/// trip, and up to the session timeout while the connection is down). Callers must keep these calls
/// off NIO event loops and off the cooperative thread pool's hot paths: run them on a dedicated
/// thread or a `DispatchQueue`. Every call throws `CoordinationError`.
public protocol CoordinationClient: AnyObject, Sendable {
    /// The session this client holds; ephemeral nodes it creates carry it as `ephemeralOwner`.
    var sessionId: Int64 { get }

    /// The session timeout the server granted, which may differ from the one requested: ZooKeeper
    /// clamps it to [minSessionTimeout, maxSessionTimeout]. Liveness deadlines derive from this one.
    var sessionTimeoutMs: Int { get }

    /// Creates a znode and returns its actual path, which for sequential modes carries the
    /// ten-digit suffix the server appended. The parent must exist and must not be ephemeral.
    @discardableResult
    func create(_ path: String, data: [UInt8], mode: CreateMode) throws -> String

    /// Reads a znode. With `watch`, a one-shot watch fires `nodeDataChanged` or `nodeDeleted`
    /// on the next change; no watch is left when the node does not exist (`noNode` is thrown).
    func get(_ path: String, watch: Bool) throws -> (data: [UInt8], stat: NodeStat)

    /// Returns the znode's stat or nil. With `watch`, a one-shot watch is left either way and
    /// fires `nodeCreated`, `nodeDataChanged` or `nodeDeleted`.
    func exists(_ path: String, watch: Bool) throws -> NodeStat?

    /// Replaces a znode's data if its version equals `expectedVersion` (`NodeStat.anyVersion`
    /// skips the check). The conditional form is how a deposed writer is fenced: it gets `badVersion`.
    @discardableResult
    func set(_ path: String, data: [UInt8], expectedVersion: Int32) throws -> NodeStat

    /// Deletes a childless znode if its version equals `expectedVersion` (`anyVersion` skips the check).
    func delete(_ path: String, expectedVersion: Int32) throws

    /// The names (not paths) of a znode's children, in no particular order. With `watch`, a one-shot
    /// watch fires `nodeChildrenChanged` on the next child creation or deletion, or `nodeDeleted`.
    func children(_ path: String, watch: Bool) throws -> [String]

    /// Applies the operations in order as one transaction: all of them or none. On failure throws
    /// `CoordinationError.multiFailed(index:error:)` naming the first operation that failed.
    func multi(_ operations: [CoordinationOp]) throws -> [CoordinationOpResult]

    /// Ends the session: the server deletes its ephemeral nodes and fires the watches on them before
    /// this returns. Later calls throw `closed`. Closing twice is harmless.
    func close()
}

/// The handler given when a client is created. It runs on a thread owned by the client (for
/// ZooKeeper, the C library's completion thread; in memory, a serial queue per client), one event
/// at a time in the order the server produced them. It must return quickly and must not call any
/// method of the client, `close` included: those wait for the thread this handler occupies. Hand the
/// event to your own queue or actor instead. Events may arrive after a call that caused them has
/// returned, as with ZooKeeper's own client.
public typealias CoordinationEventHandler = @Sendable (CoordinationEvent) -> Void

/// Everything a client reports outside of call results.
public enum CoordinationEvent: Sendable, Hashable {
    case session(SessionEvent)
    case watch(WatchEvent)
}

/// Changes in the client's session.
public enum SessionEvent: Sendable, Hashable {
    /// Connected (initially or again after `disconnected`); the session and its ephemerals live on.
    case connected(sessionId: Int64)
    /// The connection dropped. The session may still be alive on the server; the client keeps
    /// reconnecting. Calls fail with `connectionLoss` meanwhile, and a failed write's outcome is unknown.
    case disconnected
    /// The server ended the session: its ephemerals are gone and its watches will never fire. The
    /// client is dead; every later call throws `sessionExpired`. The owner must create a new client.
    case expired
    /// The server rejected the client's credentials. The client is dead.
    case authFailed
}

/// A one-shot watch firing. It carries no data: read the node again (and re-arm the watch).
public enum WatchEvent: Sendable, Hashable {
    case nodeCreated(path: String)
    case nodeDeleted(path: String)
    case nodeDataChanged(path: String)
    case nodeChildrenChanged(path: String)

    public var path: String {
        switch self {
        case .nodeCreated(let path), .nodeDeleted(let path), .nodeDataChanged(let path),
            .nodeChildrenChanged(let path):
            return path
        }
    }
}

/// How a znode lives: persistent nodes stay until deleted, ephemeral ones until their session ends.
/// Sequential modes append a ten-digit counter of the parent's child creations so far.
public enum CreateMode: Sendable, Hashable, CaseIterable {
    case persistent
    case ephemeral
    case persistentSequential
    case ephemeralSequential

    public var isEphemeral: Bool { self == .ephemeral || self == .ephemeralSequential }
    public var isSequential: Bool { self == .persistentSequential || self == .ephemeralSequential }
}

/// A znode's metadata, as ZooKeeper's `Stat`.
public struct NodeStat: Sendable, Hashable {
    /// Passed as `expectedVersion` to skip the version check.
    public static let anyVersion: Int32 = -1

    /// Transaction that created the node.
    public var czxid: Int64
    /// Transaction that last changed the node's data.
    public var mzxid: Int64
    /// Transaction that last added or removed a child.
    public var pzxid: Int64
    /// Creation time, milliseconds since the Unix epoch.
    public var ctime: Int64
    /// Last data change time, milliseconds since the Unix epoch.
    public var mtime: Int64
    /// Number of data changes; the token for conditional writes.
    public var version: Int32
    /// Number of child creations and deletions.
    public var cversion: Int32
    /// The owning session of an ephemeral node, 0 for a persistent one.
    public var ephemeralOwner: Int64
    public var dataLength: Int32
    public var numChildren: Int32

    public init(
        czxid: Int64, mzxid: Int64, pzxid: Int64, ctime: Int64, mtime: Int64, version: Int32,
        cversion: Int32, ephemeralOwner: Int64, dataLength: Int32, numChildren: Int32
    ) {
        self.czxid = czxid
        self.mzxid = mzxid
        self.pzxid = pzxid
        self.ctime = ctime
        self.mtime = mtime
        self.version = version
        self.cversion = cversion
        self.ephemeralOwner = ephemeralOwner
        self.dataLength = dataLength
        self.numChildren = numChildren
    }
}

/// One step of a `multi` transaction. Kafka's controller puts a `check` of `/controller_epoch`'s
/// version first, so that a deposed controller's writes fail as a whole.
public enum CoordinationOp: Sendable, Hashable {
    case create(path: String, data: [UInt8], mode: CreateMode)
    case set(path: String, data: [UInt8], expectedVersion: Int32)
    case delete(path: String, expectedVersion: Int32)
    case check(path: String, expectedVersion: Int32)

    public var path: String {
        switch self {
        case .create(let path, _, _), .set(let path, _, _), .delete(let path, _), .check(let path, _):
            return path
        }
    }
}

/// The result of one step of a successful `multi`, in the order of the operations.
public enum CoordinationOpResult: Sendable, Hashable {
    case created(path: String)
    case set(NodeStat)
    case deleted
    case checked
}

extension CoordinationClient {
    public func get(_ path: String) throws -> (data: [UInt8], stat: NodeStat) {
        try get(path, watch: false)
    }

    public func exists(_ path: String) throws -> NodeStat? {
        try exists(path, watch: false)
    }

    public func children(_ path: String) throws -> [String] {
        try children(path, watch: false)
    }

    @discardableResult
    public func create(_ path: String, data: [UInt8] = []) throws -> String {
        try create(path, data: data, mode: .persistent)
    }

    @discardableResult
    public func set(_ path: String, data: [UInt8]) throws -> NodeStat {
        try set(path, data: data, expectedVersion: NodeStat.anyVersion)
    }

    public func delete(_ path: String) throws {
        try delete(path, expectedVersion: NodeStat.anyVersion)
    }
}
