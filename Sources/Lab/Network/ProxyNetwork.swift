import Logging
import NIOCore
import NIOPosix

/// The lab's network: one TCP proxy per directed link (clients→broker i, broker i→broker j, broker
/// i→ZooKeeper), each on its own loopback port, so faults cut or degrade single links without root.
/// Brokers are configured with their peers' and ZooKeeper's proxy ports and advertise their client
/// proxy ports, so every byte between the lab's processes crosses a proxy.
///
/// A link's condition applies at once to its open connections and to new ones, and is reversible:
/// healing returns the link to `connected`. Conditions combine (a link can be delayed, capped and
/// lossy at once). Their semantics are those of a real network, because users draw conclusions
/// about Kafka from what they see here:
///
/// - **Blackhole** (one or both directions) behaves like iptables DROP on a TCP connection, not like
///   a broken stream. Bytes entering a cut direction are neither delivered nor discarded: the proxy
///   stops reading the sender, whose bytes wait in kernel buffers, so the sender sees a hang. A
///   close or EOF from the sender of a cut direction waits too. A connection opened while any
///   direction is cut is accepted by the proxy but not opened to the target (a TCP handshake needs
///   both directions), so the client's requests hang until its own timeouts fire. On heal, held
///   connections open, held bytes flow in order and held closes follow them: what TCP
///   retransmission does when a partition heals. No byte is ever dropped from the middle of a
///   stream, which would desynchronize Kafka's framing.
/// - **Delay** adds to each chunk a one-way latency drawn uniformly from
///   [max(0, latency − jitter), latency + jitter] and keeps order: a chunk is delivered at the
///   later of the previous chunk's delivery time and its arrival plus its delay. Timers run on the
///   event loop's scheduler. Both directions by default, so a round trip grows by twice the latency.
/// - **Bandwidth** caps each direction of each connection in bytes per second with a token bucket
///   holding 10 ms of traffic.
/// - **Lossy** resets connections (RST to both sides, through SO_LINGER 0): with the given
///   probability each time the proxy reads a chunk from either side, and for each new connection.
///
/// Memory is bounded: a connection holds at most `DirectionQueue.holdLimitBytes` per direction;
/// past that the proxy stops reading and TCP flow control pushes back on the sender. (One
/// exception: when a sender shuts down its output, NIO drains what its socket buffered, at most
/// one socket receive buffer, and the proxy holds that too.) EOFs propagate
/// as half-closes (shutdown of output) after the bytes before them; a closed or reset socket closes
/// or resets its peer after the bytes before it, unless that direction is cut. A target that
/// refuses a connection gets the client's connection reset, as a refused connect would. Both sides
/// of every connection use TCP_NODELAY: the proxies sit on the path of latency measurements.
///
/// Owner: the table of links belongs to this actor; each proxy's condition, connections and
/// counters belong to that proxy's event loop, which the proxy hops onto for every call. The
/// network owns its event loop group (two threads by default) and closes it in `shutdown()`.
public actor ProxyNetwork {
    public enum Failure: Error, CustomStringConvertible {
        case duplicateLink(LinkID)
        case unknownLink(LinkID)
        case shutDown

        public var description: String {
            switch self {
            case .duplicateLink(let id): "link \(id) already exists"
            case .unknownLink(let id): "no link \(id)"
            case .shutDown: "the proxy network is shut down"
            }
        }
    }

    private let group: MultiThreadedEventLoopGroup
    private let logger: Logger
    private var proxies: [LinkID: LinkProxy] = [:]
    /// Links whose proxy is starting, so a concurrent `addLink` cannot create the same link twice.
    private var starting: Set<LinkID> = []
    private var isShutDown = false

    /// - Parameter threads: event loop threads shared by all proxies. Two keep a busy link from
    ///   delaying the others on a small machine; forwarding costs little CPU.
    public init(threads: Int = 2, logger: Logger) {
        precondition(threads >= 1, "a proxy network needs at least one thread, got \(threads)")
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        self.logger = logger
    }

    deinit {
        if !isShutDown { group.shutdownGracefully { _ in } }
    }

    /// Starts the proxy of `id`, listening on `listenPort` (0 picks a free one) and forwarding to
    /// `target`, with the link connected.
    @discardableResult
    public func addLink(_ id: LinkID, target: LinkTarget, listenPort: Int = 0) async throws -> LinkProxy {
        guard !isShutDown else { throw Failure.shutDown }
        guard proxies[id] == nil, !starting.contains(id) else { throw Failure.duplicateLink(id) }
        starting.insert(id)
        defer { starting.remove(id) }
        let proxy = try await LinkProxy.start(id: id, target: target, listenPort: listenPort, on: group.next(), logger: logger)
        guard !isShutDown else {
            await proxy.close()
            throw Failure.shutDown
        }
        proxies[id] = proxy
        logger.info("link \(id): 127.0.0.1:\(proxy.port) -> \(target)")
        return proxy
    }

    /// Closes the proxy of `id` and forgets the link.
    public func removeLink(_ id: LinkID) async throws {
        guard let proxy = proxies.removeValue(forKey: id) else { throw Failure.unknownLink(id) }
        await proxy.close()
    }

    public func setCondition(_ condition: LinkCondition, for id: LinkID) async throws {
        try await proxy(id).setCondition(condition)
        logger.info("link \(id): \(condition)")
    }

    public func condition(of id: LinkID) async throws -> LinkCondition {
        try await proxy(id).condition()
    }

    public func heal(_ id: LinkID) async throws {
        try await setCondition(.connected, for: id)
    }

    /// Heals every link.
    public func healAll() async throws {
        for id in links { try await heal(id) }
    }

    /// Every link, clients first, then by broker id, ZooKeeper last.
    public var links: [LinkID] { proxies.keys.sorted() }

    public func proxy(for id: LinkID) -> LinkProxy? { proxies[id] }

    /// The loopback port of the proxy of `id`.
    public func port(of id: LinkID) throws -> Int { try proxy(id).port }

    public func statistics(of id: LinkID) async throws -> LinkStatistics {
        try await proxy(id).statistics()
    }

    /// Closes every proxy and its connections, then the event loop group. Returns once nothing
    /// listens any more; the network cannot be used afterwards.
    public func shutdown() async {
        guard !isShutDown else { return }
        isShutDown = true
        let all = proxies.values
        proxies = [:]
        for proxy in all { await proxy.close() }
        try? await group.shutdownGracefully()
    }

    private func proxy(_ id: LinkID) throws -> LinkProxy {
        guard !isShutDown else { throw Failure.shutDown }
        guard let proxy = proxies[id] else { throw Failure.unknownLink(id) }
        return proxy
    }
}
