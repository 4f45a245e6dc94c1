import NIOCore

/// Kafka's framing: every request and response is an int32 size followed by that many bytes.
///
/// The size is bounded (`socket.request.max.bytes`, default 100 MiB in Kafka) because the decoder
/// holds a whole frame in memory before parsing it; a larger or negative size is a protocol
/// violation and the connection is closed rather than buffered without limit.
public struct FrameParser: Sendable {
    public enum Step: Equatable {
        case needMoreData
        case frame(ByteBuffer)
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case negativeSize(Int32)
        case tooLarge(size: Int32, limit: Int)

        public var description: String {
            switch self {
            case .negativeSize(let size): return "frame size \(size) is negative"
            case .tooLarge(let size, let limit): return "frame size \(size) exceeds the limit of \(limit) bytes"
            }
        }
    }

    public let maxFrameBytes: Int

    public init(maxFrameBytes: Int) {
        precondition(maxFrameBytes > 0)
        self.maxFrameBytes = maxFrameBytes
    }

    /// Consumes one frame from `buffer` if it is complete; leaves the buffer untouched otherwise.
    public func parse(_ buffer: inout ByteBuffer) throws -> Step {
        guard let size = buffer.getInteger(at: buffer.readerIndex, endianness: .big, as: Int32.self) else {
            return .needMoreData
        }
        if size < 0 { throw Failure.negativeSize(size) }
        if Int(size) > maxFrameBytes { throw Failure.tooLarge(size: size, limit: maxFrameBytes) }
        guard buffer.readableBytes >= 4 + Int(size) else { return .needMoreData }
        guard let frame = buffer.getSlice(at: buffer.readerIndex + 4, length: Int(size)) else { return .needMoreData }
        buffer.moveReaderIndex(forwardBy: 4 + Int(size))
        return .frame(frame)
    }
}

/// The thin NIO wrapper around `FrameParser`: emits one `ByteBuffer` per frame, size prefix removed.
public struct KafkaFrameDecoder: ByteToMessageDecoder {
    public typealias InboundOut = ByteBuffer
    private let parser: FrameParser

    public init(maxFrameBytes: Int) { parser = FrameParser(maxFrameBytes: maxFrameBytes) }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        switch try parser.parse(&buffer) {
        case .needMoreData: return .needMoreData
        case .frame(let frame):
            context.fireChannelRead(Self.wrapInboundOut(frame))
            return .continue
        }
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try decode(context: context, buffer: &buffer)
    }
}

/// Prefixes each outbound frame with its int32 size.
public struct KafkaFrameEncoder: MessageToByteEncoder {
    public typealias OutboundIn = ByteBuffer

    public init() {}

    public func encode(data: ByteBuffer, out: inout ByteBuffer) throws {
        out.writeInt32(Int32(data.readableBytes))
        var data = data
        out.writeBuffer(&data)
    }
}
