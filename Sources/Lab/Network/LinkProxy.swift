import Logging
import NIOCore
import NIOPosix

/// A condition that cannot be applied, with the reasons.
public struct InvalidLinkCondition: Error, CustomStringConvertible {
    public let condition: LinkCondition
    public let problems: [String]
    public var description: String { "invalid link condition: " + problems.joined(separator: "; ") }
}

/// The TCP proxy of one link: listens on 127.0.0.1:`port`, opens a connection to `target` for each
/// connection it accepts and carries the bytes both ways under the link's `LinkCondition`. See
/// `ProxyNetwork` for the semantics of each condition.
///
/// Owner: the proxy's state (condition, connections, counters) belongs to `eventLoop`; every method
/// hops onto it, so callers may use a proxy from any thread or task.
public final class LinkProxy: Sendable {
    /// Most connections one link carries at once; see `LinkStatistics.connectionsRejected`.
    public static let maxConnections = LinkProxyCore.maxConnections

    public let id: LinkID
    public let target: LinkTarget
    /// The port the proxy listens on, on 127.0.0.1.
    public let port: Int
    public let eventLoop: EventLoop
    private let core: NIOLoopBound<LinkProxyCore>
    private let listener: Channel

    private init(id: LinkID, target: LinkTarget, port: Int, core: NIOLoopBound<LinkProxyCore>, listener: Channel) {
        self.id = id
        self.target = target
        self.port = port
        self.eventLoop = listener.eventLoop
        self.core = core
        self.listener = listener
    }

    /// Starts a proxy on `loop`, listening on `listenPort` (0 picks a free port; see `port`). The
    /// target's host is resolved once, here; the lab's targets are loopback addresses.
    public static func start(
        id: LinkID, target: LinkTarget, listenPort: Int = 0, on loop: EventLoop, logger: Logger
    ) async throws -> LinkProxy {
        let address = try SocketAddress.makeAddressResolvingHost(target.host, port: target.port)
        let core = try await loop.submit {
            NIOLoopBound(LinkProxyCore(id: id, target: address, loop: loop, logger: logger), eventLoop: loop)
        }.get()
        let listener = try await ServerBootstrap(group: loop, childGroup: loop)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try core.value.accept(channel) }
            }
            .bind(host: "127.0.0.1", port: listenPort)
            .get()
        guard let port = listener.localAddress?.port else {
            try? await listener.close()
            throw ChannelError.unknownLocalAddress
        }
        logger.debug("link \(id): listening on 127.0.0.1:\(port), forwarding to \(target)")
        return LinkProxy(id: id, target: target, port: port, core: core, listener: listener)
    }

    /// Applies `condition` to every connection of the link, open or future, before returning.
    public func setCondition(_ condition: LinkCondition) async throws {
        let problems = condition.problems
        guard problems.isEmpty else { throw InvalidLinkCondition(condition: condition, problems: problems) }
        let core = self.core
        try await eventLoop.submit { core.value.setCondition(condition) }.get()
    }

    /// Returns the link to `.connected`: held bytes and closes flow on, in order.
    public func heal() async throws {
        try await setCondition(.connected)
    }

    public func condition() async throws -> LinkCondition {
        let core = self.core
        return try await eventLoop.submit { core.value.condition }.get()
    }

    public func statistics() async throws -> LinkStatistics {
        let core = self.core
        return try await eventLoop.submit { core.value.snapshot() }.get()
    }

    /// Stops listening and closes every connection. Returns once the listening socket is closed.
    public func close() async {
        let core = self.core
        let listener = self.listener
        let closed = eventLoop.flatSubmit {
            core.value.closeAll()
            return listener.close()
        }
        try? await closed.get()
    }
}
