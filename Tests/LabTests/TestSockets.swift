import Lab
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

/// Every test that opens sockets, one at a time: several measure time, and the machine is small.
@Suite(.serialized) enum SocketTests {}

/// A value that tasks wait on: `wait(until:)` returns true once the predicate holds, false when the
/// timeout passes first. Every wait in these tests is bounded.
final class Watched<State: Sendable>: Sendable {
    private struct Waiter {
        let id: Int
        let predicate: @Sendable (State) -> Bool
        let continuation: CheckedContinuation<Bool, Never>
    }

    private struct Box {
        var state: State
        var waiters: [Waiter] = []
        var nextID = 0
    }

    private let box: NIOLockedValueBox<Box>
    private let timer: EventLoop

    init(_ state: State, timer: EventLoop) {
        self.box = NIOLockedValueBox(Box(state: state))
        self.timer = timer
    }

    var value: State { box.withLockedValue { $0.state } }

    func update(_ body: (inout State) -> Void) {
        let ready = box.withLockedValue { box -> [Waiter] in
            body(&box.state)
            let state = box.state
            let ready = box.waiters.filter { $0.predicate(state) }
            box.waiters.removeAll { $0.predicate(state) }
            return ready
        }
        for waiter in ready { waiter.continuation.resume(returning: true) }
    }

    func wait(timeout: TimeAmount = .seconds(20), until predicate: @escaping @Sendable (State) -> Bool) async -> Bool {
        await withCheckedContinuation { continuation in
            let id = box.withLockedValue { box -> Int? in
                if predicate(box.state) { return nil }
                let id = box.nextID
                box.nextID += 1
                box.waiters.append(Waiter(id: id, predicate: predicate, continuation: continuation))
                return id
            }
            guard let id else {
                continuation.resume(returning: true)
                return
            }
            timer.scheduleTask(in: timeout) { self.expire(id) }
        }
    }

    private func expire(_ id: Int) {
        let waiter = box.withLockedValue { box -> Waiter? in
            guard let index = box.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return box.waiters.remove(at: index)
        }
        waiter?.continuation.resume(returning: false)
    }
}

/// What one end of a test connection has seen.
struct Received: Sendable {
    var bytes: [UInt8] = []
    /// The peer shut down its output.
    var eof = false
    /// The socket is closed (by either side, or by a reset).
    var closed = false
    /// The socket failed, as a reset does.
    var failed = false
}

/// Records what a socket receives; echoes it back when asked to.
final class RecordingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let received: Watched<Received>
    private let echo: Bool

    init(received: Watched<Received>, echo: Bool) {
        self.received = received
        self.echo = echo
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        received.update { $0.bytes += buffer.readableBytesView }
        if echo { context.writeAndFlush(data, promise: nil) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { received.update { $0.eof = true } }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        received.update { $0.failed = true }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        received.update { $0.closed = true }
        context.fireChannelInactive()
    }
}

/// One end of a test connection.
final class Peer: Sendable {
    let channel: Channel
    let received: Watched<Received>

    init(channel: Channel, received: Watched<Received>) {
        self.channel = channel
        self.received = received
    }

    static func connect(to port: Int, group: EventLoopGroup) async throws -> Peer {
        let loop = group.next()
        let received = Watched(Received(), timer: loop)
        let channel = try await ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelOption(.allowRemoteHalfClosure, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(RecordingHandler(received: received, echo: false))
                }
            }
            .connect(host: "127.0.0.1", port: port)
            .get()
        return Peer(channel: channel, received: received)
    }

    func send(_ bytes: [UInt8]) {
        channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
    }

    func send(_ text: String) { send(Array(text.utf8)) }

    func shutdownOutput() async throws {
        try await channel.close(mode: .output)
    }

    func close() async {
        try? await channel.close()
    }

    var text: String { String(decoding: received.value.bytes, as: UTF8.self) }

    /// Waits until at least `count` bytes arrived.
    func waitForBytes(_ count: Int, timeout: TimeAmount = .seconds(20)) async -> Bool {
        await received.wait(timeout: timeout) { $0.bytes.count >= count }
    }

    func waitForText(_ text: String, timeout: TimeAmount = .seconds(20)) async -> Bool {
        let expected = Array(text.utf8)
        return await received.wait(timeout: timeout) { $0.bytes == expected }
    }
}

/// A loopback server that records every connection; an echo server when `echo` is set.
final class TestServer: Sendable {
    let port: Int
    let listener: Channel
    let peers: Watched<[Peer]>

    private init(port: Int, listener: Channel, peers: Watched<[Peer]>) {
        self.port = port
        self.listener = listener
        self.peers = peers
    }

    static func start(group: EventLoopGroup, echo: Bool) async throws -> TestServer {
        let loop = group.next()
        let peers = Watched<[Peer]>([], timer: loop)
        let listener = try await ServerBootstrap(group: loop)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let received = Watched(Received(), timer: channel.eventLoop)
                    try channel.pipeline.syncOperations.addHandler(RecordingHandler(received: received, echo: echo))
                    peers.update { $0.append(Peer(channel: channel, received: received)) }
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        return TestServer(port: listener.localAddress!.port!, listener: listener, peers: peers)
    }

    /// The `index`th connection the server accepted, waiting for it up to `timeout`.
    func peer(_ index: Int, timeout: TimeAmount = .seconds(20)) async -> Peer? {
        guard await peers.wait(timeout: timeout, until: { $0.count > index }) else { return nil }
        return peers.value[index]
    }

    func close() async {
        try? await listener.close()
        for peer in peers.value { await peer.close() }
    }
}

/// A proxy network in front of one test server, torn down even when the test fails.
struct NetworkFixture {
    let group: EventLoopGroup
    let network: ProxyNetwork
    let server: TestServer

    static let link = LinkID(from: .client, to: .broker(1))

    func connect(_ id: LinkID = NetworkFixture.link) async throws -> Peer {
        try await Peer.connect(to: try await network.port(of: id), group: group)
    }

    static func run(echo: Bool = true, _ body: (NetworkFixture) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let network = ProxyNetwork(threads: 1, logger: Logger(label: "lab-tests"))
        var server: TestServer?
        do {
            let started = try await TestServer.start(group: group, echo: echo)
            server = started
            try await network.addLink(link, target: LinkTarget(port: started.port))
            try await body(NetworkFixture(group: group, network: network, server: started))
        } catch {
            await network.shutdown()
            await server?.close()
            try? await group.shutdownGracefully()
            throw error
        }
        await network.shutdown()
        await server?.close()
        try await group.shutdownGracefully()
    }
}

/// Round-trip time of `message` through an echo server, nil if the echo did not come back in time.
func roundTrip(_ peer: Peer, _ message: [UInt8], timeout: TimeAmount = .seconds(5)) async -> Duration? {
    let expected = peer.received.value.bytes.count + message.count
    let start = ContinuousClock.now
    peer.send(message)
    guard await peer.waitForBytes(expected, timeout: timeout) else { return nil }
    return ContinuousClock.now - start
}

/// Polls `condition` every 10 ms until it holds or `timeout` passes; for state only reachable
/// through async calls, such as a proxy's counters.
func eventually(timeout: Duration = .seconds(20), _ condition: () async throws -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if (try? await condition()) == true { return true }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return false
}

/// `count` reproducible pseudo-random bytes, made eight at a time so large payloads are quick to
/// build in debug builds.
func pattern(_ count: Int, seed: UInt64) -> [UInt8] {
    var random = SeededRandom(seed: seed)
    return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
        let raw = UnsafeMutableRawBufferPointer(buffer)
        let words = count / 8
        for index in 0..<words { raw.storeBytes(of: random.next(), toByteOffset: index * 8, as: UInt64.self) }
        for index in (words * 8)..<count { buffer[index] = UInt8(truncatingIfNeeded: random.next()) }
        initialized = count
    }
}

/// SplitMix64: reproducible randomness for tests of the pure parts.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
