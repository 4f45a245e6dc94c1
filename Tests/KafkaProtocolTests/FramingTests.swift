import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing
@testable import KafkaProtocol

@Suite struct FramingTests {
    func framed(_ body: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32(body.count))
        buffer.writeBytes(body)
        return buffer
    }

    /// The verifier feeds each input whole, one byte at a time, and all inputs in one buffer.
    @Test func decoderHandlesByteAtATimeAndManyFrames() throws {
        var three = framed([1])
        three.writeImmutableBuffer(framed([]))
        three.writeImmutableBuffer(framed([2, 3]))
        let pairs: [(ByteBuffer, [ByteBuffer])] = [
            (framed([1, 2, 3]), [ByteBuffer(bytes: [1, 2, 3])]),
            (framed([]), [ByteBuffer()]),
            (framed(Array(repeating: 9, count: 1000)), [ByteBuffer(bytes: Array(repeating: 9, count: 1000))]),
            (framed(Array(repeating: 7, count: 4096)), [ByteBuffer(bytes: Array(repeating: 7, count: 4096))]),
            (three, [ByteBuffer(bytes: [1]), ByteBuffer(), ByteBuffer(bytes: [2, 3])]),
        ]
        try ByteToMessageDecoderVerifier.verifyDecoder(inputOutputPairs: pairs) { KafkaFrameDecoder(maxFrameBytes: 4096) }
    }

    @Test func decoderRejectsANegativeSize() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(KafkaFrameDecoder(maxFrameBytes: 100)))
        #expect(throws: FrameParser.Failure.negativeSize(-2)) { try channel.writeInbound(ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFE, 0])) }
        _ = try? channel.finish()
    }

    /// Rejected from the size prefix alone, before any of the body is buffered.
    @Test func decoderRejectsASizeOverTheLimit() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(KafkaFrameDecoder(maxFrameBytes: 100)))
        #expect(throws: FrameParser.Failure.tooLarge(size: 101, limit: 100)) { try channel.writeInbound(ByteBuffer(bytes: [0, 0, 0, 101])) }
        _ = try? channel.finish()
        var huge = ByteBuffer(bytes: [0x7F, 0xFF, 0xFF, 0xFF])
        #expect(throws: FrameParser.Failure.tooLarge(size: Int32.max, limit: 100)) { try FrameParser(maxFrameBytes: 100).parse(&huge) }
    }

    @Test func frameOfExactlyTheLimitIsAccepted() throws {
        var buffer = framed(Array(repeating: 1, count: 100))
        #expect(try FrameParser(maxFrameBytes: 100).parse(&buffer) == .frame(ByteBuffer(bytes: Array(repeating: 1, count: 100))))
        #expect(buffer.readableBytes == 0)
    }

    @Test func partialFrameLeavesBufferUntouched() throws {
        let parser = FrameParser(maxFrameBytes: 100)
        for bytes in [[], [0], [0, 0, 0], [0, 0, 0, 5], [0, 0, 0, 5, 1, 2, 3, 4]] as [[UInt8]] {
            var buffer = ByteBuffer(bytes: bytes)
            #expect(try parser.parse(&buffer) == .needMoreData)
            #expect(Array(buffer.readableBytesView) == bytes)
        }
    }

    @Test func encoderPrefixesTheSize() throws {
        let channel = EmbeddedChannel(handler: MessageToByteHandler(KafkaFrameEncoder()))
        try channel.writeOutbound(ByteBuffer(bytes: [0xAB, 0xCD]))
        try channel.writeOutbound(ByteBuffer())
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(bytes: [0, 0, 0, 2, 0xAB, 0xCD]))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == ByteBuffer(bytes: [0, 0, 0, 0]))
        #expect(try channel.finish().isClean)
    }
}
