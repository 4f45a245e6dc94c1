import NIOCore
import Testing
@testable import KafkaProtocol

@Suite struct VarintTests {
    @Test(arguments: [Int32.min, -65, -64, -1, 0, 1, 63, 64, 8191, 8192, Int32.max])
    func zigZagVarintRoundTrips(_ value: Int32) throws {
        var buffer = ByteBuffer()
        let written = buffer.writeZigZagVarint(value)
        #expect(written == Varint.zigZagSize(Int64(value)))
        #expect(try buffer.readZigZagVarint("v") == value)
        #expect(buffer.readableBytes == 0)
    }

    @Test(arguments: [Int64.min, -1, 0, 1, Int64(Int32.max) + 1, Int64.max])
    func zigZagVarlongRoundTrips(_ value: Int64) throws {
        var buffer = ByteBuffer()
        buffer.writeZigZagVarlong(value)
        #expect(try buffer.readZigZagVarlong("v") == value)
    }

    /// Protobuf's documented zigzag mapping: 0→0, -1→1, 1→2, -2→3, 2147483647→4294967294.
    @Test func zigZagMatchesProtobufMapping() throws {
        let cases: [(Int32, [UInt8])] = [(0, [0x00]), (-1, [0x01]), (1, [0x02]), (-2, [0x03]), (-64, [0x7F]), (64, [0x80, 0x01]),
                                         (Int32.max, [0xFE, 0xFF, 0xFF, 0xFF, 0x0F]), (Int32.min, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F])]
        for (value, bytes) in cases {
            var buffer = ByteBuffer()
            buffer.writeZigZagVarint(value)
            #expect(Array(buffer.readableBytesView) == bytes, "zigzag of \(value)")
        }
    }

    @Test func unsignedVarintGoldenBytes() throws {
        var buffer = ByteBuffer()
        buffer.writeUnsignedVarint(300)
        #expect(Array(buffer.readableBytesView) == [0xAC, 0x02])
    }

    @Test func overlongVarintIsRejected() {
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01])
        #expect(throws: ProtocolError.self) { try buffer.readUnsignedVarint("v") }
    }

    @Test func truncatedVarintIsRejected() {
        var buffer = ByteBuffer(bytes: [0x80, 0x80])
        #expect(throws: ProtocolError.truncated("v")) { try buffer.readUnsignedVarint("v") }
    }
}

@Suite struct NamingTests {
    @Test func errorAndApiNamesAreKafkas() {
        #expect(ErrorCode.notLeaderOrFollower.name == "NOT_LEADER_OR_FOLLOWER")
        #expect(ErrorCode.notEnoughReplicasAfterAppend.description == "NOT_ENOUGH_REPLICAS_AFTER_APPEND (20)")
        #expect(ApiKey.offsetForLeaderEpoch.description == "OffsetForLeaderEpoch(23)")
        for code in ErrorCode.allCases { #expect(!code.name.isEmpty) }
        for key in ApiKey.allCases { #expect(!key.description.isEmpty) }
    }
}
