import NIOCore
import Testing
@testable import KafkaProtocol

/// `FetchResponse.encodedParts`: the buffers a broker writes one after another must be exactly the
/// bytes of `encode`, with large records left as buffers of their own.
@Suite struct FetchResponsePartsTests {
    func records(_ count: Int, _ byte: UInt8) -> ByteBuffer { ByteBuffer(bytes: Array(repeating: byte, count: count)) }

    func response() -> FetchResponse {
        let large = FetchResponse.separateRecordsBytes
        return FetchResponse(throttleTimeMs: 1, errorCode: 0, sessionId: 0, responses: [
            .init(topic: "a", partitions: [
                .init(partitionIndex: 0, errorCode: 0, highWatermark: 9, lastStableOffset: 9, logStartOffset: 0,
                      abortedTransactions: [.init(producerId: 4, firstOffset: 2)], records: records(large, 1)),
                .init(partitionIndex: 1, errorCode: 0, highWatermark: 3, records: records(10, 2)),
                .init(partitionIndex: 2, errorCode: 1),
            ]),
            .init(topic: "b", partitions: [.init(partitionIndex: 0, errorCode: 0, highWatermark: 5, records: records(large + 3, 3))]),
        ])
    }

    @Test(arguments: [Int16(5), 7, 11])
    func thePartsConcatenatedAreTheEncodedBytes(version: Int16) throws {
        let head = ByteBuffer(bytes: [9, 9, 9])
        var whole = head
        response().encode(into: &whole, version: version)
        let parts = response().encodedParts(after: head, version: version)
        var joined = ByteBuffer()
        for var part in parts { joined.writeBuffer(&part) }
        #expect(joined == whole)
        // Both large record sets travel as their own buffers; the small one is copied in.
        #expect(parts.filter { $0.readableBytes >= FetchResponse.separateRecordsBytes }.count == 2)
        #expect(parts.count == 4)
        var decoded = joined
        decoded.moveReaderIndex(forwardBy: 3)
        #expect(try FetchResponse(from: &decoded, version: version) == response())
    }

    @Test func aResponseWithoutLargeRecordsIsOnePart() {
        let small = FetchResponse(responses: [.init(topic: "t", partitions: [.init(partitionIndex: 0, errorCode: 0, records: records(5, 7))])])
        var whole = ByteBuffer()
        small.encode(into: &whole, version: 11)
        #expect(small.encodedParts(after: ByteBuffer(), version: 11) == [whole])
    }
}
