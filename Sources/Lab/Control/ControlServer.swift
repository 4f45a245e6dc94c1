import Foundation
import Logging
import NIOCore
import NIOPosix

/// Serves the control API on a Unix socket: each line is a `ControlRequest`, answered by one
/// `ControlResponse` line from `handler`; a line that is not a well-formed request is answered with
/// what is wrong with it and never reaches `handler`. Lines longer than 1 MiB close the connection.
final class ControlServer: Sendable {
    private let channel: any Channel
    let path: String

    static func start(path: String, group: EventLoopGroup, logger: Logger,
                      handler: @escaping @Sendable (ControlRequest) async -> ControlResponse) async throws -> ControlServer {
        let bootstrap = ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ControlLineHandler(handler: handler, logger: logger))
                }
            }
        let channel = try await SocketPath.reachable(path) { reachable in
            try await bootstrap.bind(unixDomainSocketPath: reachable, cleanupExistingSocketFile: true).get()
        }
        return ControlServer(channel: channel, path: path)
    }

    private init(channel: any Channel, path: String) {
        self.channel = channel
        self.path = path
    }

    func close() async {
        try? await channel.close()
        unlink(path)
    }
}

private final class ControlLineHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    static let maxLineBytes = 1 << 20

    private let handler: @Sendable (ControlRequest) async -> ControlResponse
    private let logger: Logger
    private var pending = ByteBuffer()

    init(handler: @escaping @Sendable (ControlRequest) async -> ControlResponse, logger: Logger) {
        self.handler = handler
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var chunk = unwrapInboundIn(data)
        pending.writeBuffer(&chunk)
        while let newline = pending.readableBytesView.firstIndex(of: 0x0A) {
            let length = newline - pending.readerIndex
            let line = pending.readSlice(length: length)!
            pending.moveReaderIndex(forwardBy: 1)
            answer(line, context: context)
        }
        if pending.readableBytes > Self.maxLineBytes { context.close(promise: nil) }
    }

    private func answer(_ line: ByteBuffer, context: ChannelHandlerContext) {
        let channel = context.channel
        let handler = self.handler
        let request = ControlRequest.decode(line: Data(line.readableBytesView))
        let promise = context.eventLoop.makePromise(of: ControlResponse.self)
        promise.completeWithTask {
            switch request {
            case .success(let request): return await handler(request)
            case .failure(let malformed): return .failure(malformed.description)
            }
        }
        promise.futureResult.whenSuccess { response in
            guard var data = try? JSONEncoder().encode(response) else { return }
            data.append(0x0A)
            channel.writeAndFlush(ByteBuffer(bytes: data), promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        context.close(promise: nil)
    }
}
