/// The znode tree of the in-memory store: a value type with no I/O and no clock, so a failed multi
/// is undone by dropping a copy. Each mutation takes the transaction id and time of the transaction
/// and returns the changes that watches react to.
///
/// It behaves as ZooKeeper 3.8 does, observed against the real server: versions start at 0 and
/// count data changes; `cversion` counts child creations and deletions; a sequential node's suffix
/// counts only the parent's earlier child creations (deletions do not advance it); ephemeral nodes
/// cannot have children.
struct ZNodeTree: Sendable {
    /// A change that fires watches: `created`/`deleted`/`dataChanged` on the node's path,
    /// `childrenChanged` on the parent's path.
    enum Change: Sendable, Hashable {
        case created(String)
        case deleted(String)
        case dataChanged(String)
        case childrenChanged(String)
    }

    struct Node: Sendable {
        var data: [UInt8]
        var stat: NodeStat
        var children: Set<String>
        /// Child creations so far: the next sequential child's suffix.
        var childCreations: Int32 = 0
    }

    /// ZooKeeper's default `jute.maxbuffer` (1 MiB) bounds a znode's data; the server rejects more.
    static let maxDataBytes = 1_048_575

    private(set) var nodes: [String: Node]
    private(set) var lastZxid: Int64 = 0

    /// A tree holding what a fresh ZooKeeper 3.8 holds: "/", "/zookeeper", "/zookeeper/config" and
    /// "/zookeeper/quota".
    init(now: Int64) {
        nodes = [:]
        nodes["/"] = Node(data: [], stat: Self.newStat(zxid: 0, now: now, owner: 0, dataLength: 0), children: [])
        for path in ["/zookeeper", "/zookeeper/config", "/zookeeper/quota"] {
            let parent = ZNodePath.parent(of: path)
            nodes[path] = Node(data: [], stat: Self.newStat(zxid: 0, now: now, owner: 0, dataLength: 0), children: [])
            nodes[parent]?.children.insert(ZNodePath.name(of: path))
            nodes[parent]?.stat.numChildren += 1
            nodes[parent]?.childCreations += 1
        }
    }

    /// Starts a transaction: every mutation of one multi shares its id, as in ZooKeeper.
    mutating func nextZxid() -> Int64 {
        lastZxid += 1
        return lastZxid
    }

    func node(_ path: String) throws -> Node {
        guard ZNodePath.isValid(path) else { throw CoordinationError.badArguments(path: path) }
        guard let node = nodes[path] else { throw CoordinationError.noNode(path: path) }
        return node
    }

    mutating func create(
        _ requestedPath: String, data: [UInt8], mode: CreateMode, owner: Int64, zxid: Int64, now: Int64
    ) throws -> (path: String, changes: [Change]) {
        guard ZNodePath.isValid(requestedPath, sequential: mode.isSequential), data.count <= Self.maxDataBytes
        else { throw CoordinationError.badArguments(path: requestedPath) }
        if requestedPath == "/" && !mode.isSequential { throw CoordinationError.nodeExists(path: requestedPath) }
        let parentPath = ZNodePath.parent(of: requestedPath)
        guard var parent = nodes[parentPath] else { throw CoordinationError.noNode(path: requestedPath) }
        guard parent.stat.ephemeralOwner == 0 else {
            throw CoordinationError.noChildrenForEphemerals(path: requestedPath)
        }
        let path = mode.isSequential ? requestedPath + ZNodePath.sequenceSuffix(parent.childCreations) : requestedPath
        guard nodes[path] == nil else { throw CoordinationError.nodeExists(path: path) }
        let stat = Self.newStat(zxid: zxid, now: now, owner: mode.isEphemeral ? owner : 0, dataLength: data.count)
        nodes[path] = Node(data: data, stat: stat, children: [])
        parent.children.insert(ZNodePath.name(of: path))
        parent.stat.cversion &+= 1
        parent.childCreations &+= 1
        parent.stat.numChildren += 1
        parent.stat.pzxid = zxid
        nodes[parentPath] = parent
        return (path, [.created(path), .childrenChanged(parentPath)])
    }

    mutating func set(
        _ path: String, data: [UInt8], expectedVersion: Int32, zxid: Int64, now: Int64
    ) throws -> (stat: NodeStat, changes: [Change]) {
        var node = try node(path)
        guard data.count <= Self.maxDataBytes else { throw CoordinationError.badArguments(path: path) }
        try Self.checkVersion(node, expectedVersion, path)
        node.data = data
        node.stat.version &+= 1
        node.stat.mzxid = zxid
        node.stat.mtime = now
        node.stat.dataLength = Int32(data.count)
        nodes[path] = node
        return (node.stat, [.dataChanged(path)])
    }

    mutating func delete(_ path: String, expectedVersion: Int32, zxid: Int64) throws -> [Change] {
        guard path != "/" else { throw CoordinationError.badArguments(path: path) }
        let node = try node(path)
        try Self.checkVersion(node, expectedVersion, path)
        guard node.children.isEmpty else { throw CoordinationError.notEmpty(path: path) }
        nodes[path] = nil
        let parentPath = ZNodePath.parent(of: path)
        if var parent = nodes[parentPath] {
            parent.children.remove(ZNodePath.name(of: path))
            parent.stat.cversion &+= 1
            parent.stat.numChildren -= 1
            parent.stat.pzxid = zxid
            nodes[parentPath] = parent
        }
        return [.deleted(path), .childrenChanged(parentPath)]
    }

    func check(_ path: String, expectedVersion: Int32) throws {
        try Self.checkVersion(try node(path), expectedVersion, path)
    }

    /// Deletes every ephemeral node `owner` holds, as the server does when a session ends.
    /// Ephemerals have no children, so the order does not matter.
    mutating func deleteEphemerals(of owner: Int64, zxid: Int64) -> [Change] {
        let owned = nodes.filter { $0.value.stat.ephemeralOwner == owner }.keys.sorted()
        var changes: [Change] = []
        for path in owned {
            if let deleted = try? delete(path, expectedVersion: NodeStat.anyVersion, zxid: zxid) {
                changes += deleted
            }
        }
        return changes
    }

    private static func checkVersion(_ node: Node, _ expectedVersion: Int32, _ path: String) throws {
        if expectedVersion != NodeStat.anyVersion && expectedVersion != node.stat.version {
            throw CoordinationError.badVersion(path: path)
        }
    }

    private static func newStat(zxid: Int64, now: Int64, owner: Int64, dataLength: Int) -> NodeStat {
        NodeStat(
            czxid: zxid, mzxid: zxid, pzxid: zxid, ctime: now, mtime: now, version: 0, cversion: 0,
            ephemeralOwner: owner, dataLength: Int32(dataLength), numChildren: 0)
    }
}
