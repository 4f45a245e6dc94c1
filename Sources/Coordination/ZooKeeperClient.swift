import CZooKeeper
import Foundation
import Logging

/// A session on a real ZooKeeper, through the multi-threaded C client (`libzookeeper_mt`).
///
/// Every method blocks the calling thread for a network round trip (and up to the session timeout
/// while disconnected): keep them off NIO event loops. Events go to the handler given to `connect`,
/// on the library's completion thread (see `CoordinationEventHandler`).
///
/// The C library reconnects by itself after a dropped connection and re-arms the watches; the session
/// survives as long as the server hears from it within the negotiated timeout. A `sessionExpired`
/// error or `expired` event means this client is dead: build a new one.
public final class ZooKeeperClient: CoordinationClient {
    /// Initial read buffer: partition state and registrations are a few hundred bytes; larger nodes
    /// cost one more round trip to read at their reported size.
    static let initialReadBufferBytes = 16 * 1024

    public let connectString: String
    let session: ZooKeeperSession
    private let requestedSessionTimeoutMs: Int

    private init(connectString: String, session: ZooKeeperSession, requestedSessionTimeoutMs: Int) {
        self.connectString = connectString
        self.session = session
        self.requestedSessionTimeoutMs = requestedSessionTimeoutMs
    }

    deinit {
        session.close(waitMs: requestedSessionTimeoutMs)
    }

    /// Opens a session and waits until it is connected.
    ///
    /// - Parameters:
    ///   - connectString: "host:port[,host:port…]".
    ///   - sessionTimeoutMs: requested timeout; the server clamps it to its
    ///     [minSessionTimeout, maxSessionTimeout] and `sessionTimeoutMs` reports the granted value.
    ///     The C client declares the connection lost after two thirds of it without a server reply.
    ///   - connectTimeoutMs: bound on the wait for the first connection; throws `connectTimeout` after it.
    ///   - logger: for this client's errors; also receives the C library's own warnings and errors.
    ///   - onEvent: session and watch events, on the library's completion thread; must not block.
    public static func connect(
        connectString: String, sessionTimeoutMs: Int = 6_000, connectTimeoutMs: Int = 10_000,
        logger: Logger, onEvent: @escaping CoordinationEventHandler = { _ in }
    ) throws -> ZooKeeperClient {
        ZooKeeperLibraryLog.route(to: logger)
        let session = ZooKeeperSession(logger: logger, handler: onEvent)
        try session.open(
            connectString: connectString, sessionTimeoutMs: sessionTimeoutMs,
            connectTimeoutMs: connectTimeoutMs, clientId: nil)
        return ZooKeeperClient(
            connectString: connectString, session: session, requestedSessionTimeoutMs: sessionTimeoutMs)
    }

    public var sessionId: Int64 { session.sessionId }

    public var sessionTimeoutMs: Int { session.sessionTimeoutMs }

    /// Runs one library call with the handle lent by the session and turns its return code into an error.
    func call<T>(_ path: String, _ body: (OpaquePointer) throws -> T) throws -> T {
        let handle = try session.enter(path)
        defer { session.leave() }
        return try body(handle)
    }

    func check(_ rc: Int32, _ path: String) throws {
        guard rc == ZOK.rawValue else {
            throw ZooKeeperLibrary.error(code: rc, path: path, sessionExpired: session.isExpired)
        }
    }

    @discardableResult
    public func create(_ path: String, data: [UInt8], mode: CreateMode) throws -> String {
        try call(path) { handle in
            let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: ZooKeeperLibrary.pathBufferBytes)
            defer { buffer.deallocate() }
            let rc = withCData(data) { bytes, count in
                zoo_create(
                    handle, path, bytes, count, ZooKeeperLibrary.openACL.vector, ZooKeeperLibrary.flags(mode),
                    buffer, Int32(ZooKeeperLibrary.pathBufferBytes))
            }
            try check(rc, path)
            return String(cString: buffer)
        }
    }

    public func get(_ path: String, watch: Bool) throws -> (data: [UInt8], stat: NodeStat) {
        try call(path) { handle in
            var capacity = Self.initialReadBufferBytes
            while true {
                let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: capacity)
                defer { buffer.deallocate() }
                var length = Int32(capacity)
                var stat = Stat()
                try check(zoo_get(handle, path, watch ? 1 : 0, buffer, &length, &stat), path)
                let size = Int(stat.dataLength)
                if size > capacity && capacity < ZooKeeperLibrary.maxDataBytes {
                    capacity = min(size, ZooKeeperLibrary.maxDataBytes)
                    continue
                }
                let bytes = length <= 0 ? [] : UnsafeRawBufferPointer(start: buffer, count: Int(length)).map { $0 }
                return (bytes, ZooKeeperLibrary.nodeStat(stat))
            }
        }
    }

    public func exists(_ path: String, watch: Bool) throws -> NodeStat? {
        try call(path) { handle in
            var stat = Stat()
            let rc = zoo_exists(handle, path, watch ? 1 : 0, &stat)
            if rc == ZNONODE.rawValue { return nil }
            try check(rc, path)
            return ZooKeeperLibrary.nodeStat(stat)
        }
    }

    @discardableResult
    public func set(_ path: String, data: [UInt8], expectedVersion: Int32) throws -> NodeStat {
        try call(path) { handle in
            var stat = Stat()
            let rc = withCData(data) { bytes, count in
                zoo_set2(handle, path, bytes, count, expectedVersion, &stat)
            }
            try check(rc, path)
            return ZooKeeperLibrary.nodeStat(stat)
        }
    }

    public func delete(_ path: String, expectedVersion: Int32) throws {
        try call(path) { handle in
            try check(zoo_delete(handle, path, expectedVersion), path)
        }
    }

    public func children(_ path: String, watch: Bool) throws -> [String] {
        try call(path) { handle in
            var strings = String_vector()
            try check(zoo_get_children(handle, path, watch ? 1 : 0, &strings), path)
            defer { deallocate_String_vector(&strings) }
            return (0..<Int(strings.count)).compactMap { index in
                strings.data[index].map { String(cString: $0) }
            }
        }
    }

    /// Ends the session (the server deletes its ephemerals before this returns) and frees the handle.
    public func close() {
        session.close(waitMs: requestedSessionTimeoutMs)
    }

    /// Makes the server expire this client's session, for tests and the lab's session-loss fault:
    /// a second handle resumes the same session (same id and password) and closes it, which ends the
    /// session on the server. This client learns it when it next hears from the server (within about
    /// a session timeout): its handler gets `expired`.
    ///
    /// This client reconnects when the second handle takes its connection over, and if it wins the
    /// session back before the close arrives the server keeps the session. So the trick repeats until
    /// resuming the session is refused as expired, which proves it is gone; bounded by `timeoutMs`.
    public func forceSessionExpiry(timeoutMs: Int = 10_000) throws {
        let clientId: clientid_t = try call("") { handle in
            guard let id = zoo_client_id(handle) else { throw CoordinationError.closed(path: "") }
            return id.pointee
        }
        let deadline = Date(timeIntervalSinceNow: Double(timeoutMs) / 1000)
        while case let remainingMs = Int(deadline.timeIntervalSinceNow * 1000), remainingMs > 0 {
            let twin = ZooKeeperSession(logger: session.logger, handler: nil)
            do {
                try twin.open(
                    connectString: connectString, sessionTimeoutMs: requestedSessionTimeoutMs,
                    connectTimeoutMs: remainingMs, clientId: clientId)
            } catch CoordinationError.sessionExpired {
                return
            }
            twin.close(waitMs: remainingMs)
        }
        throw CoordinationError.operationTimeout(path: "")
    }
}

/// Passes `data` to C as a pointer and length, with a valid pointer even for empty data so that the
/// server stores an empty value rather than a null one.
func withCData<R>(_ data: [UInt8], _ body: (UnsafePointer<CChar>, Int32) -> R) -> R {
    if data.isEmpty {
        var empty: CChar = 0
        return withUnsafePointer(to: &empty) { body($0, 0) }
    }
    return data.withUnsafeBufferPointer { buffer in
        buffer.withMemoryRebound(to: CChar.self) { body($0.baseAddress!, Int32(buffer.count)) }
    }
}
