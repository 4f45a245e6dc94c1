import NIOCore
import Testing
@testable import KafkaProtocol

/// The guards every decoder relies on: lengths and counts are checked against the bytes actually
/// left before anything is allocated, and malformed values are errors, not repairs.
@Suite struct PrimitivesTests {
    func buffer(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

    @Test func arrayCountLargerThanTheBytesLeftIsRejectedBeforeAllocating() {
        var huge = buffer([0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        #expect(throws: ProtocolError.invalid("topics has 2147483647 elements with 4 bytes left")) {
            try huge.readKafkaArray("topics") { try $0.readInt8("x") }
        }
        var negative = buffer([0xFF, 0xFF, 0xFF, 0xFE])
        #expect(throws: ProtocolError.self) { try negative.readNullableKafkaArray("topics") { try $0.readInt8("x") } }
        var compact = buffer([0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
        #expect(throws: ProtocolError.self) { try compact.readCompactArrayCount("api_keys") }
    }

    @Test func nullArrayIsNilWhereNullableAndEmptyWhereNot() throws {
        var nullable = buffer([0xFF, 0xFF, 0xFF, 0xFF])
        #expect(try nullable.readNullableKafkaArray("topics") { try $0.readInt8("x") } == nil)
        var plain = buffer([0xFF, 0xFF, 0xFF, 0xFF])
        #expect(try plain.readKafkaArray("topics") { try $0.readInt8("x") } == [])
    }

    @Test func stringLengthsAreChecked() {
        var negative = buffer([0xFF, 0xFE])
        #expect(throws: ProtocolError.invalid("name has length -2")) { try negative.readNullableKafkaString("name") }
        var short = buffer([0x00, 0x05, 0x61, 0x62])
        #expect(throws: ProtocolError.truncated("name")) { try short.readKafkaString("name") }
        #expect(short.readableBytes == 2, "the length was consumed, nothing more")
        var null = buffer([0xFF, 0xFF])
        #expect(throws: ProtocolError.invalid("name is null")) { try null.readKafkaString("name") }
    }

    @Test func bytesLengthsAreChecked() {
        var huge = buffer([0x7F, 0xFF, 0xFF, 0xFF, 1, 2, 3])
        #expect(throws: ProtocolError.truncated("records")) { try huge.readNullableKafkaBytes("records") }
        var negative = buffer([0xFF, 0xFF, 0xFF, 0xFB])
        #expect(throws: ProtocolError.invalid("records has length -5")) { try negative.readNullableKafkaBytes("records") }
        var null = buffer([0xFF, 0xFF, 0xFF, 0xFF])
        #expect(throws: ProtocolError.invalid("metadata is null")) { try null.readKafkaBytes("metadata") }
    }

    @Test func multiByteUTF8RoundTrips() throws {
        for text in ["", "héllo", "トピック", "🦀-topic"] {
            var out = ByteBuffer()
            out.writeKafkaString(text)
            #expect(out.getInteger(at: 0, as: Int16.self) == Int16(text.utf8.count))
            #expect(try out.readKafkaString("name") == text)
            out.clear()
            out.writeCompactString(text)
            #expect(try out.readCompactString("name") == text)
        }
    }

    @Test func malformedUTF8IsRejected() {
        for bad: [UInt8] in [[0xFF], [0x61, 0xC3], [0xE3, 0x83], [0xF0, 0x9F, 0xA6], [0xC0, 0xAF], [0xED, 0xA0, 0x80]] {
            var plain = buffer([0x00, UInt8(bad.count)] + bad)
            #expect(throws: ProtocolError.invalid("name is not valid UTF-8")) { try plain.readNullableKafkaString("name") }
            var compact = buffer([UInt8(bad.count + 1)] + bad)
            #expect(throws: ProtocolError.invalid("name is not valid UTF-8")) { try compact.readCompactNullableString("name") }
        }
    }

    /// Repairing malformed UTF-8 would triple the size of a name the broker echoes back (an unknown
    /// or invalid topic in a Metadata response), past what an int16 length holds.
    @Test func echoedNamesAlwaysFitTheirLength() throws {
        var hostile = ByteBuffer()
        hostile.writeInt32(1)
        hostile.writeInt16(20_000)
        hostile.writeBytes([UInt8](repeating: 0xFF, count: 20_000))
        #expect(throws: ProtocolError.invalid("topics.name is not valid UTF-8")) { try MetadataRequest(from: &hostile, version: 1) }
        let longest = String(repeating: "é", count: Int(Int16.max) / 2)
        var valid = MetadataRequest(topics: [.init(name: longest)]).encoded(version: 1)
        let request = try MetadataRequest(from: &valid, version: 1)
        let response = MetadataResponse(brokers: [], clusterId: nil, controllerId: 1,
                                        topics: request.topics!.map { .init(errorCode: 17, name: $0.name, partitions: []) })
        var echoed = response.encoded(version: 1)
        #expect(try MetadataResponse(from: &echoed, version: 1).topics.first?.name == longest)
    }

    @Test func taggedFieldsLongerThanTheBufferAreRejected() {
        var tagged = buffer([0x01, 0x00, 0x7F, 0x01])
        #expect(throws: ProtocolError.truncated("tagged fields")) { try tagged.skipTaggedFields() }
        var many = buffer([0xFF, 0xFF, 0xFF, 0xFF, 0x0F])
        #expect(throws: ProtocolError.self) { try many.skipTaggedFields() }
    }
}
