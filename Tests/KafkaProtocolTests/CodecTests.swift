import NIOCore
import Testing
@testable import KafkaProtocol

@Suite struct CodecTests {
    @Test(arguments: codecCases.map(\.name))
    func everyVersionRoundTrips(_ name: String) throws {
        let codec = codecCases.first { $0.name == name }!
        for version in codec.versions {
            #expect(try codec.roundTrip(version), "\(name) v\(version)")
        }
    }

    /// Every strict prefix of a valid encoding is rejected with a ProtocolError, never a trap.
    @Test(arguments: codecCases.map(\.name))
    func truncatedInputAlwaysThrows(_ name: String) {
        let codec = codecCases.first { $0.name == name }!
        for version in codec.versions {
            let full = codec.encode(version)
            for length in 0..<full.readableBytes {
                var prefix = full.getSlice(at: full.readerIndex, length: length)!
                #expect(throws: ProtocolError.self, "\(name) v\(version) prefix \(length)") { try codec.decode(&prefix, version) }
            }
        }
    }

    /// Random single-byte mutations and random byte strings: decoders throw or decode, never trap,
    /// never allocate beyond the input (array counts are checked against the bytes left).
    @Test(arguments: codecCases.map(\.name))
    func mutatedInputNeverTraps(_ name: String) {
        let codec = codecCases.first { $0.name == name }!
        var generator = SystemRandomNumberGenerator()
        for version in codec.versions {
            let full = codec.encode(version)
            for _ in 0..<300 {
                var bytes = Array(full.readableBytesView)
                if bytes.isEmpty { break }
                for _ in 0..<Int.random(in: 1...3, using: &generator) {
                    bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
                }
                var buffer = ByteBuffer(bytes: bytes)
                _ = try? codec.decode(&buffer, version)
            }
            for _ in 0..<100 {
                var buffer = ByteBuffer(bytes: (0..<Int.random(in: 0...64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
                _ = try? codec.decode(&buffer, version)
            }
        }
    }
}
