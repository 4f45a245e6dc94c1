import KafkaProtocol
import Logging
import NIOCore
import NIOPosix

/// The broker's client-facing TCP listener: Kafka framing in front of a `RequestRouter`, one
/// `ConnectionHandler` per connection.
///
/// The socket is bound at `start` but connections are accepted only after `startAccepting`: the
/// broker first loads its logs and publishes its partitions, so no client is told that a partition
/// it hosts is unknown (connections made meanwhile wait in the kernel's backlog).
public final class KafkaServer: Sendable {
    private let channel: any Channel
    public let localPort: Int

    /// How long the listener pauses accepting after accept(2) failed, e.g. with EMFILE: long enough
    /// not to spin on a connection it cannot take, short enough to resume soon after descriptors free up.
    static let acceptBackoff = TimeAmount.milliseconds(200)

    public static func start(host: String, port: Int, group: EventLoopGroup, maxFrameBytes: Int,
                             router: RequestRouter, logger: Logger) async throws -> KafkaServer {
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.autoRead, value: false)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(AcceptBackoff(logger: logger))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_keepalive), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(KafkaFrameDecoder(maxFrameBytes: maxFrameBytes)))
                    try channel.pipeline.syncOperations.addHandler(ResponseFrameWriter())
                    try channel.pipeline.syncOperations.addHandler(ConnectionHandler(router: router, logger: logger))
                }
            }
        let channel = try await bootstrap.bind(host: host, port: port).get()
        return KafkaServer(channel: channel, localPort: channel.localAddress?.port ?? port)
    }

    private init(channel: any Channel, localPort: Int) {
        self.channel = channel
        self.localPort = localPort
    }

    /// Starts accepting connections (those already waiting in the backlog first).
    public func startAccepting() async throws {
        try await channel.setOption(.autoRead, value: true).get()
    }

    public func close() async {
        try? await channel.close()
    }
}

/// Keeps the listener alive through accept failures such as EMFILE (out of descriptors): NIO leaves
/// the server channel open but, as the failed connection stays in the backlog, would retry the
/// accept at once, forever (NIO's `AcceptBackoffHandler` never sees a read request in that state:
/// the channel's read stays pending). This handler stops reading from the listening socket for
/// `KafkaServer.acceptBackoff`, then tries again, and reports each episode once instead of once per
/// attempt (an episode starting within `quietPeriod` of the last report, as when descriptors hover at
/// the limit, is reported only if it is still going after it); the connections waiting meanwhile stay
/// in the kernel's backlog.
final class AcceptBackoff: ChannelInboundHandler {
    typealias InboundIn = Channel
    typealias InboundOut = Channel

    static let quietPeriod = TimeAmount.seconds(10)

    private let logger: Logger
    private var failingSince: NIODeadline?
    private var failures = 0
    private var episodeReported = false
    private var lastReport: NIODeadline?
    private var resume: Scheduled<Void>?

    init(logger: Logger) {
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if let since = failingSince {
            if episodeReported {
                let milliseconds = (NIODeadline.now() - since).nanoseconds / 1_000_000
                logger.warning("accepting connections again after \(failures) failed accept(s) over \(milliseconds) ms")
            }
            failingSince = nil
            failures = 0
            episodeReported = false
        }
        context.fireChannelRead(data)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard let ioError = error as? IOError else {
            context.fireErrorCaught(error)
            return
        }
        failures += 1
        let now = NIODeadline.now()
        if failingSince == nil { failingSince = now }
        if !episodeReported, lastReport.map({ now - $0 >= Self.quietPeriod }) ?? true {
            episodeReported = true
            lastReport = now
            logger.error("cannot accept connections: \(ioError); retrying every \(KafkaServer.acceptBackoff.nanoseconds / 1_000_000) ms until descriptors free up (reported once)")
        }
        guard resume == nil else { return }
        let channel = context.channel
        channel.setOption(.autoRead, value: false).whenFailure { _ in }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        resume = context.eventLoop.scheduleTask(in: KafkaServer.acceptBackoff) {
            handler.value.resume = nil
            channel.setOption(.autoRead, value: true).whenFailure { _ in }
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        resume?.cancel()
        resume = nil
        context.fireChannelInactive()
    }
}

/// Serves one connection. Kafka answers a connection's requests in the order they arrived and works
/// on one at a time (the broker "mutes" the channel), so this handler queues frames and processes
/// them serially; past `maxQueuedFrames` it stops reading until the queue drains (backpressure
/// instead of unbounded memory). A frame that cannot be decoded closes the connection.
final class ConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = [ByteBuffer]

    /// librdkafka pipelines up to max.in.flight requests per connection; beyond this many queued
    /// frames the handler stops reading from the socket.
    static let maxQueuedFrames = 32

    private let router: RequestRouter
    private let logger: Logger
    private var queue = CircularBuffer<ByteBuffer>()
    private var busy = false
    private var readingPaused = false
    private var closed = false

    init(router: RequestRouter, logger: Logger) {
        self.router = router
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        queue.append(unwrapInboundIn(data))
        if queue.count >= Self.maxQueuedFrames && !readingPaused {
            readingPaused = true
            context.channel.setOption(.autoRead, value: false).whenFailure { _ in }
        }
        processNext(context: context)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        logger.debug("closing connection from \(context.remoteAddress?.description ?? "?"): \(error)")
        closed = true
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        closed = true
        queue.removeAll()
        context.fireChannelInactive()
    }

    private func processNext(context: ChannelHandlerContext) {
        guard !busy, !closed, let frame = queue.popFirst() else { return }
        busy = true
        if readingPaused && queue.count < Self.maxQueuedFrames / 2 {
            readingPaused = false
            context.channel.setOption(.autoRead, value: true).whenFailure { _ in }
        }
        let connection = ConnectionInfo(remote: context.remoteAddress?.description ?? "unknown",
                                        host: context.remoteAddress?.ipAddress ?? "unknown")
        let eventLoop = context.eventLoop
        let loopBound = NIOLoopBound((self, context), eventLoop: eventLoop)
        router.handle(frame: frame, connection: connection, eventLoop: eventLoop).hop(to: eventLoop).whenComplete { result in
            let (handler, context) = loopBound.value
            handler.busy = false
            switch result {
            case .success(.respond(let response)):
                guard !handler.closed else { return }
                context.writeAndFlush(handler.wrapOutboundOut([response]), promise: nil)
                handler.processNext(context: context)
            case .success(.respondParts(let parts)):
                guard !handler.closed else { return }
                context.writeAndFlush(handler.wrapOutboundOut(parts), promise: nil)
                handler.processNext(context: context)
            case .success(.noResponse):
                handler.processNext(context: context)
            case .success(.close(let why)):
                handler.closeConnection(context: context, why: why)
            case .failure(let error):
                handler.closeConnection(context: context, why: "\(error)")
            }
        }
    }

    private func closeConnection(context: ChannelHandlerContext, why: String) {
        logger.debug("closing connection \(context.remoteAddress?.description ?? "?"): \(why)")
        closed = true
        context.close(promise: nil)
    }
}

public struct ConnectionInfo: Sendable {
    public var remote: String
    /// The client's IP address, reported as Kafka's CLIENT-HOST ("/127.0.0.1").
    public var host: String
}

/// Writes each response frame (its parts: header and body, without the size prefix) after its int32
/// size, every part as it is: a Fetch response's records leave in the buffers they were read into,
/// gathered by one vectored write, never copied into one frame.
final class ResponseFrameWriter: ChannelOutboundHandler {
    typealias OutboundIn = [ByteBuffer]
    typealias OutboundOut = ByteBuffer

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let parts = unwrapOutboundIn(data)
        var size = context.channel.allocator.buffer(capacity: 4)
        size.writeInteger(Int32(parts.reduce(0) { $0 + $1.readableBytes }), endianness: .big)
        context.write(wrapOutboundOut(size), promise: parts.isEmpty ? promise : nil)
        for (index, part) in parts.enumerated() {
            context.write(wrapOutboundOut(part), promise: index == parts.count - 1 ? promise : nil)
        }
    }
}

/// What to do with a connection after a request.
public enum RequestOutcome: Sendable {
    /// Send this response frame (header and body, without the size prefix).
    case respond(ByteBuffer)
    /// Send one response frame made of these buffers in order (header and body, without the size prefix).
    case respondParts([ByteBuffer])
    /// acks=0 produce: nothing is sent.
    case noResponse
    /// A malformed or unsupported request: Kafka closes the connection.
    case close(String)
}
