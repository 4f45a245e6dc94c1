/// One session on an `InMemoryCoordination`. Same contract as `ZooKeeperClient`; calls never block
/// for long (they take the ensemble's lock) but are still synchronous.
public final class InMemoryCoordinationClient: CoordinationClient {
    public let ensemble: InMemoryCoordination
    public let sessionId: Int64
    public let sessionTimeoutMs: Int

    init(ensemble: InMemoryCoordination, sessionId: Int64, sessionTimeoutMs: Int) {
        self.ensemble = ensemble
        self.sessionId = sessionId
        self.sessionTimeoutMs = sessionTimeoutMs
    }

    @discardableResult
    public func create(_ path: String, data: [UInt8], mode: CreateMode) throws -> String {
        try ensemble.create(path, data: data, mode: mode, sessionId: sessionId)
    }

    public func get(_ path: String, watch: Bool) throws -> (data: [UInt8], stat: NodeStat) {
        try ensemble.get(path, watch: watch, sessionId: sessionId)
    }

    public func exists(_ path: String, watch: Bool) throws -> NodeStat? {
        try ensemble.exists(path, watch: watch, sessionId: sessionId)
    }

    @discardableResult
    public func set(_ path: String, data: [UInt8], expectedVersion: Int32) throws -> NodeStat {
        try ensemble.set(path, data: data, expectedVersion: expectedVersion, sessionId: sessionId)
    }

    public func delete(_ path: String, expectedVersion: Int32) throws {
        try ensemble.delete(path, expectedVersion: expectedVersion, sessionId: sessionId)
    }

    public func children(_ path: String, watch: Bool) throws -> [String] {
        try ensemble.children(path, watch: watch, sessionId: sessionId)
    }

    public func multi(_ operations: [CoordinationOp]) throws -> [CoordinationOpResult] {
        try ensemble.multi(operations, sessionId: sessionId)
    }

    public func close() {
        ensemble.end(sessionId: sessionId, as: .closed)
    }

    /// Shorthand for `ensemble.expire(sessionId:)` on this client's session.
    public func expire() {
        ensemble.expire(sessionId: sessionId)
    }
}
