import Dispatch
import Foundation

/// An in-process stand-in for a ZooKeeper ensemble: one shared znode tree from which any number of
/// clients (sessions) are created. Tests build a cluster of brokers on one of these and get the
/// store's semantics (versions, ephemerals, sequential names, one-shot watches, atomic multi) without
/// a server; `expire(sessionId:)` simulates the server ending a session.
///
/// Owner of the state: all of it sits behind `lock`, taken for the length of one operation, so every
/// operation is atomic and they are totally ordered, as ZooKeeper orders transactions. Watch events
/// are queued on the receiving session's serial queue while the lock is held, which keeps each
/// session's events in transaction order; handlers run after the lock is released.
///
/// `@unchecked Sendable` rests on that: the mutable properties are touched only with `lock` held.
public final class InMemoryCoordination: @unchecked Sendable {
    /// Sessions ids start here so they look like, and never collide with, small numbers used
    /// elsewhere in tests (broker ids, epochs).
    static let firstSessionId: Int64 = 0x1_0000_0000

    struct Session {
        enum State { case live, expired, closed }
        var state: State
        let timeoutMs: Int
        let queue: DispatchQueue
        let handler: CoordinationEventHandler
    }

    let lock = NSLock()
    let now: @Sendable () -> Int64
    // The properties below are guarded by `lock`.
    var tree: ZNodeTree
    var sessions: [Int64: Session] = [:]
    var dataWatches: [String: Set<Int64>] = [:]
    var childWatches: [String: Set<Int64>] = [:]
    private var nextSessionId = InMemoryCoordination.firstSessionId

    /// - Parameter now: the clock for `ctime`/`mtime`, in milliseconds since the Unix epoch.
    public init(now: @escaping @Sendable () -> Int64 = InMemoryCoordination.wallClockMs) {
        self.now = now
        self.tree = ZNodeTree(now: now())
    }

    public static let wallClockMs: @Sendable () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Opens a new session. Its handler receives `connected` first, like a ZooKeeper client's.
    public func client(
        sessionTimeoutMs: Int = 6_000, onEvent: @escaping CoordinationEventHandler = { _ in }
    ) -> InMemoryCoordinationClient {
        lock.lock()
        defer { lock.unlock() }
        let sessionId = nextSessionId
        nextSessionId += 1
        let queue = DispatchQueue(label: "samsa.coordination.in-memory.session-\(sessionId)")
        sessions[sessionId] = Session(state: .live, timeoutMs: sessionTimeoutMs, queue: queue, handler: onEvent)
        deliverLocked(.session(.connected(sessionId: sessionId)), to: sessionId)
        return InMemoryCoordinationClient(ensemble: self, sessionId: sessionId, sessionTimeoutMs: sessionTimeoutMs)
    }

    /// Ends a session as the server does when it stops hearing from the client: its ephemeral nodes
    /// are deleted (firing other sessions' watches), its own watches are dropped, its handler gets
    /// `expired`, and every later call on its client throws `sessionExpired`. Unknown or already
    /// ended sessions are ignored.
    public func expire(sessionId: Int64) {
        end(sessionId: sessionId, as: .expired)
    }

    /// The sessions that are neither expired nor closed.
    public var liveSessionIds: [Int64] {
        lock.lock()
        defer { lock.unlock() }
        return sessions.filter { $0.value.state == .live }.keys.sorted()
    }

    func end(sessionId: Int64, as state: Session.State) {
        lock.lock()
        defer { lock.unlock() }
        guard sessions[sessionId]?.state == .live else { return }
        sessions[sessionId]?.state = state
        for path in Array(dataWatches.keys) { dataWatches[path]?.remove(sessionId) }
        for path in Array(childWatches.keys) { childWatches[path]?.remove(sessionId) }
        let zxid = tree.nextZxid()
        fireLocked(tree.deleteEphemerals(of: sessionId, zxid: zxid))
        if state == .expired { deliverLocked(.session(.expired), to: sessionId) }
    }

    /// Turns tree changes into one-shot watch events, as ZooKeeper's `WatchManager` does: a node's
    /// deletion fires its data and child watches once per session as `nodeDeleted`.
    func fireLocked(_ changes: [ZNodeTree.Change]) {
        for change in changes {
            switch change {
            case .created(let path):
                notifyLocked(dataWatches.removeValue(forKey: path), .nodeCreated(path: path))
            case .dataChanged(let path):
                notifyLocked(dataWatches.removeValue(forKey: path), .nodeDataChanged(path: path))
            case .deleted(let path):
                let watchers = (dataWatches.removeValue(forKey: path) ?? [])
                    .union(childWatches.removeValue(forKey: path) ?? [])
                notifyLocked(watchers, .nodeDeleted(path: path))
            case .childrenChanged(let path):
                notifyLocked(childWatches.removeValue(forKey: path), .nodeChildrenChanged(path: path))
            }
        }
    }

    private func notifyLocked(_ sessionIds: Set<Int64>?, _ event: WatchEvent) {
        for sessionId in (sessionIds ?? []).sorted() {
            deliverLocked(.watch(event), to: sessionId)
        }
    }

    private func deliverLocked(_ event: CoordinationEvent, to sessionId: Int64) {
        guard let session = sessions[sessionId] else { return }
        let handler = session.handler
        session.queue.async { handler(event) }
    }
}
