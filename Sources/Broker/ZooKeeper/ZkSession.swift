import Coordination
import Dispatch
import Foundation
import Logging
import NIOConcurrencyHelpers

/// This broker's ZooKeeper session, replaced by a fresh one whenever the server expires it (as a
/// Kafka broker does after a session expiry: reconnect, re-register, run the controller election
/// again). ZooKeeper calls block, so they run on one serial dispatch queue, never on an event loop.
///
/// Watch events and session changes are forwarded to `onEvent` on that same queue, in order; the
/// handler may call the store (it is not on the C library's callback thread).
///
/// Owner: `queue` serialises every use of `client`; `state` (lock-guarded) only holds the handle.
public final class ZkSession: Sendable {
    public let connectString: String
    public let sessionTimeoutMs: Int
    public let connectTimeoutMs: Int
    let logger: Logger
    let queue = DispatchQueue(label: "samsa.zookeeper")
    private let state = NIOLockedValueBox<State>(State())
    private let handler = NIOLockedValueBox<(@Sendable (ZkSessionEvent) -> Void)?>(nil)

    struct State {
        var client: (any CoordinationClient)?
        var generation = 0
        var closed = false
    }

    public init(connectString: String, sessionTimeoutMs: Int, connectTimeoutMs: Int, logger: Logger) {
        self.connectString = connectString
        self.sessionTimeoutMs = sessionTimeoutMs
        self.connectTimeoutMs = connectTimeoutMs
        self.logger = logger
    }

    public func setHandler(_ onEvent: @escaping @Sendable (ZkSessionEvent) -> Void) {
        handler.withLockedValue { $0 = onEvent }
    }

    /// Opens the first session; throws when ZooKeeper cannot be reached within the connect timeout.
    public func start() async throws {
        try await run { _ in }
    }

    /// Runs `body` on the ZooKeeper queue with the current client, opening a session if there is none.
    public func run<T: Sendable>(_ body: @escaping @Sendable (any CoordinationClient) throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                do { continuation.resume(returning: try body(try self.currentClient())) } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    /// Like `run`, for callers already on the ZooKeeper queue.
    func onQueue<T>(_ body: (any CoordinationClient) throws -> T) throws -> T {
        dispatchPrecondition(condition: .onQueue(queue))
        return try body(try currentClient())
    }

    private func currentClient() throws -> any CoordinationClient {
        if let client = state.withLockedValue({ $0.closed ? nil : $0.client }) { return client }
        if state.withLockedValue({ $0.closed }) { throw CoordinationError.closed(path: "") }
        let generation = state.withLockedValue { $0.generation + 1 }
        let client = try ZooKeeperClient.connect(connectString: connectString, sessionTimeoutMs: sessionTimeoutMs,
                                                 connectTimeoutMs: connectTimeoutMs, logger: logger) { [weak self] event in
            guard let self else { return }
            self.queue.async { self.deliver(event, generation: generation) }
        }
        state.withLockedValue {
            $0.client = client
            $0.generation = generation
        }
        logger.info("ZooKeeper session 0x\(String(client.sessionId, radix: 16)) established (timeout \(client.sessionTimeoutMs) ms)")
        handler.withLockedValue { $0 }?(.newSession)
        return client
    }

    private func deliver(_ event: CoordinationEvent, generation: Int) {
        guard state.withLockedValue({ $0.generation == generation && !$0.closed }) else { return }
        let forward = handler.withLockedValue { $0 }
        switch event {
        case .session(.expired), .session(.authFailed):
            logger.warning("ZooKeeper session expired; opening a new one")
            let old = state.withLockedValue { state -> (any CoordinationClient)? in
                defer { state.client = nil }
                return state.client
            }
            old?.close()
            forward?(.expired)
            reconnectWithBackoff(attempt: 0)
        case .session(.disconnected):
            forward?(.disconnected)
        case .session(.connected):
            forward?(.reconnected)
        case .watch(let watch):
            forward?(.watch(watch))
        }
    }

    /// After an expiry, keeps trying to open a new session (bounded backoff, forever: a broker
    /// without ZooKeeper can do nothing else useful) until closed.
    private func reconnectWithBackoff(attempt: Int) {
        guard !state.withLockedValue({ $0.closed }) else { return }
        do {
            _ = try currentClient()
        } catch {
            let delayMs = min(5000, 200 * (1 << min(attempt, 5)))
            logger.warning("cannot reach ZooKeeper at \(connectString): \(error); retrying in \(delayMs) ms")
            queue.asyncAfter(deadline: .now() + .milliseconds(delayMs)) { self.reconnectWithBackoff(attempt: attempt + 1) }
        }
    }

    public var sessionId: Int64? { state.withLockedValue { $0.client?.sessionId } }

    public func close() {
        let client = state.withLockedValue { state -> (any CoordinationClient)? in
            state.closed = true
            defer { state.client = nil }
            return state.client
        }
        queue.sync { client?.close() }
    }
}

public enum ZkSessionEvent: Sendable {
    /// A session was opened (the first, or one replacing an expired session): register again.
    case newSession
    case expired
    case disconnected
    case reconnected
    case watch(WatchEvent)
}

