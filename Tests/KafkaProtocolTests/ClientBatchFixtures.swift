import NIOCore
@testable import KafkaProtocol

/// Compressed batches as real clients sent them to a Samsa broker, read back from the segment file
/// (base offset reset to 0 and leader epoch to -1, the values a producer sends; neither is under the
/// CRC). Each holds three records produced with timestamps 1700000000000 + i:
/// key "key-i" (null for i = 1 in the confluent-kafka batches), value "value-i " four times, and a
/// header h = x on the third record in the confluent-kafka batches.
enum ClientBatchFixtures {
    struct Fixture {
        let client: String
        let codec: CompressionCodec
        let hex: String
        /// Whether record 1 has a null key and record 2 a header (the confluent-kafka batches).
        let confluentShape: Bool

        var bytes: ByteBuffer { ByteBuffer(bytes: Self.decodeHex(hex)) }

        static func decodeHex(_ hex: String) -> [UInt8] {
            var bytes: [UInt8] = []
            var index = hex.startIndex
            while index < hex.endIndex {
                let next = hex.index(index, offsetBy: 2)
                bytes.append(UInt8(hex[index..<next], radix: 16)!)
                index = next
            }
            return bytes
        }
    }

    /// confluent-kafka 2.16.1 (librdkafka 2.16.0), `compression.type` gzip / snappy (one raw block) /
    /// lz4 (one LZ4 frame) / zstd, and kafka-python 3.0.12 with snappy (snappy-java's framing).
    static let all: [Fixture] = [
        Fixture(client: "confluent-kafka", codec: .gzip, hex: "000000000000000000000078ffffffff022d6caecb0001000000020000018bcfe568000000018bcfe56802ffffffffffffffffffffffffffff000000031f8b08000000000000030b636060e0ca4eadd43570284bcc294dd53550c04533f8303031314295192ae0a219e2185858c0461a41d51a29e0a2999832982a003c32589383000000", confluentShape: true),
        Fixture(client: "confluent-kafka", codec: .snappy, hex: "000000000000000000000073ffffffff029da566150002000000020000018bcfe568000000018bcfe56802ffffffffffffffffffffffffffff00000003830148560000000a6b65792d304076616c75652d30205e080014004c000202010d2700310d2746080010005e000404055300320d2c00320d2c460800100202680278", confluentShape: true),
        Fixture(client: "confluent-kafka", codec: .lz4, hex: "000000000000000000000081ffffffff02629526190003000000020000018bcfe568000000018bcfe56802ffffffffffffffffffffffffffff0000000304224d1860408241000000ff04560000000a6b65792d304076616c75652d302008000563004c000202012700133127000e080051005e000404530013322c0013322c000e080050020268027800000000", confluentShape: true),
        Fixture(client: "confluent-kafka", codec: .zstd, hex: "000000000000000000000075ffffffff026dff76c50004000000020000018bcfe568000000018bcfe56802ffffffffffffffffffffffffffff0000000328b52ffd0058dd01006402560000000a6b65792d304076616c75652d3020004c0002020131005e000404323202026802780800c003c807c9acd03ef00632532a8307163b", confluentShape: true),
        Fixture(client: "kafka-python", codec: .snappy, hex: "000000000000000000000086ffffffff02c9bd4fc90002000000020000018bcfe568000000018bcfe56802ffffffffffffffffffffffffffff0000000382534e4150505900000000010000000100000041840148560000000a6b65792d304076616c75652d30205e0800100056000202052c00310d2c00310d2c460800100056000404052c00320d2c00320d2c4608000000", confluentShape: false),
    ]
}
