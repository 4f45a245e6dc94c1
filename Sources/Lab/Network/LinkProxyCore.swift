import Logging
import NIOCore

/// The mutable state of one link's proxy: its condition, its connections and its counters.
///
/// Owner: `loop`. The listening channel and every connection's channels live on this loop, and
/// `LinkProxy` hops onto it for every call, so nothing here is ever touched from another thread.
final class LinkProxyCore {
    /// At most this many connections per link, held ones included; later ones are reset. Far above
    /// what a broker or a Kafka client opens on one link, low enough that clients reconnecting in a
    /// loop during a long cut cannot exhaust the lab's file descriptors.
    static let maxConnections = 512
    /// A target that does not answer within this time refuses the connection; targets are on
    /// loopback, so this only fires when the target process is stopped (SIGSTOP) with a full backlog.
    static let connectTimeout = TimeAmount.seconds(5)

    let id: LinkID
    let target: SocketAddress
    let loop: EventLoop
    let logger: Logger
    private(set) var condition = LinkCondition.connected
    var statistics = LinkStatistics()
    private var connections: [ObjectIdentifier: ProxyConnection] = [:]
    private var isClosed = false
    private var random = SystemRandomNumberGenerator()

    init(id: LinkID, target: SocketAddress, loop: EventLoop, logger: Logger) {
        self.id = id
        self.target = target
        self.loop = loop
        self.logger = logger
    }

    /// Called from the listener's child initializer for each accepted socket.
    func accept(_ channel: Channel) throws {
        let connection = ProxyConnection(core: self, downstream: channel)
        try channel.pipeline.syncOperations.addHandler(ProxySideHandler(connection: connection, side: .downstream))
    }

    /// Decides the fate of a newly active accepted connection.
    func admit(_ connection: ProxyConnection) {
        statistics.connectionsAccepted += 1
        if isClosed {
            connection.downstream.close(promise: nil)
            return
        }
        if connections.count >= Self.maxConnections {
            statistics.connectionsRejected += 1
            logger.warning("link \(id): \(connections.count) connections open, resetting a new one")
            ProxyConnection.reset(connection.downstream)
            return
        }
        let probability = condition.resetProbability
        if probability > 0, Double.random(in: 0..<1, using: &random) < probability {
            statistics.connectionsReset += 1
            logger.debug("link \(id): resetting a new connection (lossy)")
            ProxyConnection.reset(connection.downstream)
            return
        }
        connections[ObjectIdentifier(connection)] = connection
        connection.start(condition)
    }

    func setCondition(_ newCondition: LinkCondition) {
        condition = newCondition
        for connection in connections.values { connection.apply(newCondition) }
    }

    func remove(_ connection: ProxyConnection) {
        connections.removeValue(forKey: ObjectIdentifier(connection))
    }

    func snapshot() -> LinkStatistics {
        var snapshot = statistics
        snapshot.connectionsOpen = connections.count
        snapshot.connectionsHeld = connections.values.count { $0.phase == .held }
        snapshot.forward.bytesQueued = connections.values.reduce(0) { $0 + $1.queuedBytes(.forward) }
        snapshot.backward.bytesQueued = connections.values.reduce(0) { $0 + $1.queuedBytes(.backward) }
        return snapshot
    }

    /// Closes every connection; connections accepted later are closed at once.
    func closeAll() {
        isClosed = true
        for connection in connections.values { connection.close() }
    }
}

extension LinkStatistics {
    subscript(direction: StreamDirection) -> DirectionStatistics {
        get { direction == .forward ? forward : backward }
        set {
            switch direction {
            case .forward: forward = newValue
            case .backward: backward = newValue
            }
        }
    }
}
