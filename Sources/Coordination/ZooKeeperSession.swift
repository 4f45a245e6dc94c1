import CZooKeeper
import Foundation
import Logging

/// The state one `zhandle_t` shares between the C library's threads and the callers of
/// `ZooKeeperClient`: the handle itself, the session phase reported by the watcher, and the number of
/// calls inside the library. The C watcher reaches it through the context pointer, which holds a
/// retain taken in `open` and dropped in `close` once `zookeeper_close` has joined the library's threads.
///
/// `@unchecked Sendable`, and why it is safe: every mutable property is read and written only while
/// `condition` is locked. The handle itself is used concurrently without that lock, which the
/// multi-threaded library allows for the synchronous calls; what it forbids is any call during or
/// after `zookeeper_close`, and `enter`/`leave` plus `takeHandleForClose` rule that out: close waits
/// until no call is inside the library and new calls are refused once close has begun.
final class ZooKeeperSession: @unchecked Sendable {
    enum Phase: Equatable {
        case connecting, connected, disconnected, expired, authFailed
    }

    private let condition = NSCondition()
    private let handler: CoordinationEventHandler?
    let logger: Logger
    // Guarded by `condition`:
    private var handle: OpaquePointer?
    private var phase: Phase = .connecting
    private var closeRequested = false
    private var callsInLibrary = 0
    private var connectedSessionId: Int64 = 0
    private var negotiatedTimeoutMs = 0

    init(logger: Logger, handler: CoordinationEventHandler?) {
        self.logger = logger
        self.handler = handler
    }

    var sessionId: Int64 { condition.withLock { connectedSessionId } }
    var sessionTimeoutMs: Int { condition.withLock { negotiatedTimeoutMs } }
    var isExpired: Bool { condition.withLock { phase == .expired } }

    /// Creates the handle and waits until it is connected, or throws after `connectTimeoutMs`
    /// (the handle is then closed again). `clientId` resumes an existing session.
    func open(connectString: String, sessionTimeoutMs: Int, connectTimeoutMs: Int, clientId: clientid_t?) throws {
        let context = Unmanaged.passRetained(self).toOpaque()
        let created: OpaquePointer? = withOptionalPointer(clientId) { clientIdPointer in
            zookeeper_init2(
                connectString, zooKeeperWatcher, Int32(clamping: sessionTimeoutMs), clientIdPointer, context, 0,
                ZooKeeperLibraryLog.callback)
        }
        guard let created else {
            let code = errno
            Unmanaged<ZooKeeperSession>.fromOpaque(context).release()
            throw CoordinationError.other(
                path: "", code: ZSYSTEMERROR.rawValue,
                message: "zookeeper_init(\(connectString)) failed: \(String(cString: strerror(code)))")
        }
        // By default the client resolves the server list again every time it polls its socket (a
        // getaddrinfo per poll, about a tenth of an idle broker's CPU); resolve only on connection loss.
        _ = zoo_set_servers_resolution_delay(created, -1)
        condition.withLock { handle = created }
        let reached = waitForOutcome(timeoutMs: connectTimeoutMs)
        guard reached == .connected else {
            close(waitMs: connectTimeoutMs)
            switch reached {
            case .expired: throw CoordinationError.sessionExpired(path: "")
            case .authFailed:
                throw CoordinationError.other(path: "", code: ZAUTHFAILED.rawValue, message: "authentication failed")
            default: throw CoordinationError.connectTimeout(connectString: connectString, timeoutMs: connectTimeoutMs)
            }
        }
    }

    /// Waits (bounded) for the first connected, expired or auth-failed state.
    private func waitForOutcome(timeoutMs: Int) -> Phase {
        let deadline = Date(timeIntervalSinceNow: Double(timeoutMs) / 1000)
        condition.lock()
        defer { condition.unlock() }
        while phase == .connecting || phase == .disconnected {
            if !condition.wait(until: deadline) { break }
        }
        return phase
    }

    /// Lends the handle to one call; every successful `enter` is paired with a `leave`.
    func enter(_ path: String) throws -> OpaquePointer {
        try condition.withLock {
            if phase == .expired { throw CoordinationError.sessionExpired(path: path) }
            guard !closeRequested, let handle else { throw CoordinationError.closed(path: path) }
            callsInLibrary += 1
            return handle
        }
    }

    func leave() {
        condition.withLock {
            callsInLibrary -= 1
            if callsInLibrary == 0 { condition.broadcast() }
        }
    }

    /// Closes the handle once no call is inside the library. Calls outstanding there end within the
    /// library's own timeouts (connection loss fails them); if they outlast `waitMs` the handle is
    /// left open rather than freed under them, and the leak is logged.
    func close(waitMs: Int) {
        let deadline = Date(timeIntervalSinceNow: Double(waitMs) / 1000)
        let closing: OpaquePointer? = condition.withLock {
            guard !closeRequested else { return nil }
            closeRequested = true
            while callsInLibrary > 0 {
                if !condition.wait(until: deadline) { break }
            }
            guard callsInLibrary == 0 else {
                logger.error("ZooKeeper handle not closed: \(callsInLibrary) calls still inside the library after \(waitMs) ms")
                return nil
            }
            defer { handle = nil }
            return handle
        }
        guard let closing else { return }
        let rc = zookeeper_close(closing)
        if rc != ZOK.rawValue {
            logger.debug("zookeeper_close: \(ZooKeeperLibrary.message(rc))")
        }
        Unmanaged.passUnretained(self).release()
    }

    /// Called on the library's completion thread for session changes and watch firings.
    fileprivate func receive(handle: OpaquePointer?, type: Int32, state: Int32, path: String) {
        let event: CoordinationEvent? = condition.withLock {
            defer { condition.broadcast() }
            if type == ZOO_SESSION_EVENT { return sessionChangedLocked(handle: handle, state: state) }
            guard !closeRequested else { return nil }
            switch type {
            case ZOO_CREATED_EVENT: return .watch(.nodeCreated(path: path))
            case ZOO_DELETED_EVENT: return .watch(.nodeDeleted(path: path))
            case ZOO_CHANGED_EVENT: return .watch(.nodeDataChanged(path: path))
            case ZOO_CHILD_EVENT: return .watch(.nodeChildrenChanged(path: path))
            default:
                logger.warning("ZooKeeper watch removed by the server (event \(type)) on \(path)")
                return nil
            }
        }
        if let event, let handler { handler(event) }
    }

    private func sessionChangedLocked(handle: OpaquePointer?, state: Int32) -> CoordinationEvent? {
        let previous = phase
        switch state {
        case ZOO_CONNECTED_STATE:
            phase = .connected
            if let handle, let clientId = zoo_client_id(handle) { connectedSessionId = clientId.pointee.client_id }
            if let handle { negotiatedTimeoutMs = Int(zoo_recv_timeout(handle)) }
            return closeRequested ? nil : .session(.connected(sessionId: connectedSessionId))
        case ZOO_CONNECTING_STATE:
            guard previous == .connected else { return nil }
            phase = .disconnected
            return closeRequested ? nil : .session(.disconnected)
        case ZOO_EXPIRED_SESSION_STATE:
            phase = .expired
            return closeRequested ? nil : .session(.expired)
        case ZOO_AUTH_FAILED_STATE:
            phase = .authFailed
            return closeRequested ? nil : .session(.authFailed)
        default:
            return nil
        }
    }
}

/// The global watcher given to `zookeeper_init2`; `context` is the session's retained pointer.
private func zooKeeperWatcher(
    handle: OpaquePointer?, type: Int32, state: Int32, path: UnsafePointer<CChar>?, context: UnsafeMutableRawPointer?
) {
    guard let context else { return }
    let session = Unmanaged<ZooKeeperSession>.fromOpaque(context).takeUnretainedValue()
    session.receive(handle: handle, type: type, state: state, path: path.map { String(cString: $0) } ?? "")
}

private func withOptionalPointer<T, R>(_ value: T?, _ body: (UnsafePointer<T>?) -> R) -> R {
    guard var value else { return body(nil) }
    return withUnsafePointer(to: &value) { body($0) }
}
