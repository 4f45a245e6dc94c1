/// The operations behind `InMemoryCoordinationClient`, each one atomic under the ensemble's lock.
extension InMemoryCoordination {
    /// Runs `body` under the lock if the session is live, else throws what ZooKeeper would.
    private func withLiveSession<T>(_ sessionId: Int64, _ path: String, _ body: () throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        switch sessions[sessionId]?.state {
        case .live: return try body()
        case .expired: throw CoordinationError.sessionExpired(path: path)
        case .closed, nil: throw CoordinationError.closed(path: path)
        }
    }

    func create(_ path: String, data: [UInt8], mode: CreateMode, sessionId: Int64) throws -> String {
        try withLiveSession(sessionId, path) {
            var next = tree
            let created = try next.create(
                path, data: data, mode: mode, owner: sessionId, zxid: next.nextZxid(), now: now())
            tree = next
            fireLocked(created.changes)
            return created.path
        }
    }

    func get(_ path: String, watch: Bool, sessionId: Int64) throws -> (data: [UInt8], stat: NodeStat) {
        try withLiveSession(sessionId, path) {
            let node = try tree.node(path)
            if watch { dataWatches[path, default: []].insert(sessionId) }
            return (node.data, node.stat)
        }
    }

    func exists(_ path: String, watch: Bool, sessionId: Int64) throws -> NodeStat? {
        try withLiveSession(sessionId, path) {
            guard ZNodePath.isValid(path) else { throw CoordinationError.badArguments(path: path) }
            if watch { dataWatches[path, default: []].insert(sessionId) }
            return tree.nodes[path]?.stat
        }
    }

    func set(_ path: String, data: [UInt8], expectedVersion: Int32, sessionId: Int64) throws -> NodeStat {
        try withLiveSession(sessionId, path) {
            var next = tree
            let result = try next.set(
                path, data: data, expectedVersion: expectedVersion, zxid: next.nextZxid(), now: now())
            tree = next
            fireLocked(result.changes)
            return result.stat
        }
    }

    func delete(_ path: String, expectedVersion: Int32, sessionId: Int64) throws {
        try withLiveSession(sessionId, path) {
            var next = tree
            let changes = try next.delete(path, expectedVersion: expectedVersion, zxid: next.nextZxid())
            tree = next
            fireLocked(changes)
        }
    }

    func children(_ path: String, watch: Bool, sessionId: Int64) throws -> [String] {
        try withLiveSession(sessionId, path) {
            let node = try tree.node(path)
            if watch { childWatches[path, default: []].insert(sessionId) }
            return node.children.sorted()
        }
    }

    /// Applies the steps to a copy of the tree and keeps the copy only if all of them succeed, so a
    /// failed multi leaves no trace; watches fire after the whole transaction, as in ZooKeeper.
    func multi(_ operations: [CoordinationOp], sessionId: Int64) throws -> [CoordinationOpResult] {
        try withLiveSession(sessionId, operations.first?.path ?? "/") {
            guard !operations.isEmpty else { return [] }
            var next = tree
            let zxid = next.nextZxid()
            let time = now()
            var results: [CoordinationOpResult] = []
            var changes: [ZNodeTree.Change] = []
            for (index, operation) in operations.enumerated() {
                do {
                    switch operation {
                    case .create(let path, let data, let mode):
                        let created = try next.create(path, data: data, mode: mode, owner: sessionId, zxid: zxid, now: time)
                        results.append(.created(path: created.path))
                        changes += created.changes
                    case .set(let path, let data, let expectedVersion):
                        let result = try next.set(path, data: data, expectedVersion: expectedVersion, zxid: zxid, now: time)
                        results.append(.set(result.stat))
                        changes += result.changes
                    case .delete(let path, let expectedVersion):
                        changes += try next.delete(path, expectedVersion: expectedVersion, zxid: zxid)
                        results.append(.deleted)
                    case .check(let path, let expectedVersion):
                        try next.check(path, expectedVersion: expectedVersion)
                        results.append(.checked)
                    }
                } catch let error as CoordinationError {
                    throw CoordinationError.multiFailed(index: index, error: error)
                }
            }
            tree = next
            fireLocked(changes)
            return results
        }
    }
}
