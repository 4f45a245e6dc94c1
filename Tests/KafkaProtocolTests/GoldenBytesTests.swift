import NIOCore
import Testing
@testable import KafkaProtocol

/// Encodings checked against bytes written out field by field from the protocol guide's BNF, not
/// derived from our encoder.
@Suite struct GoldenBytesTests {
    func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

    @Test func requestHeaderV1AndV2() throws {
        var v1 = ByteBuffer()
        RequestHeader(apiKey: 3, apiVersion: 8, correlationId: 7, clientId: "ab").encode(into: &v1, headerVersion: 1)
        #expect(bytes(v1) == [0x00, 0x03, 0x00, 0x08, 0x00, 0x00, 0x00, 0x07, 0x00, 0x02, 0x61, 0x62])
        var v2 = ByteBuffer()
        RequestHeader(apiKey: 18, apiVersion: 3, correlationId: 1, clientId: nil).encode(into: &v2, headerVersion: 2)
        // client id stays an int16-length (nullable) string in v2; then an empty tagged-field section.
        #expect(bytes(v2) == [0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0xFF, 0xFF, 0x00])
        var parsed = v2
        #expect(try RequestHeader(from: &parsed, headerVersion: 2) == RequestHeader(apiKey: 18, apiVersion: 3, correlationId: 1, clientId: nil))
    }

    @Test func apiVersionsV3RequestIsCompact() throws {
        let request = ApiVersionsRequest(clientSoftwareName: "rk", clientSoftwareVersion: "2")
        // compact strings: unsigned varint length + 1, then the bytes; empty tagged fields.
        #expect(bytes(request.encoded(version: 3)) == [0x03, 0x72, 0x6B, 0x02, 0x32, 0x00])
    }

    @Test func apiVersionsV0Response() {
        let response = ApiVersionsResponse(errorCode: 35, apiKeys: [.init(apiKey: 18, minVersion: 0, maxVersion: 3)])
        #expect(bytes(response.encoded(version: 0)) == [0x00, 0x23, 0x00, 0x00, 0x00, 0x01, 0x00, 0x12, 0x00, 0x00, 0x00, 0x03])
    }

    @Test func apiVersionsV3Response() {
        let response = ApiVersionsResponse(errorCode: 0, apiKeys: [.init(apiKey: 0, minVersion: 0, maxVersion: 8)], throttleTimeMs: 0)
        #expect(bytes(response.encoded(version: 3)) == [0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00])
    }

    @Test func metadataV0RequestAndResponse() throws {
        #expect(bytes(MetadataRequest(topics: [.init(name: "t")]).encoded(version: 0)) == [0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74])
        #expect(bytes(MetadataRequest(topics: nil).encoded(version: 1)) == [0xFF, 0xFF, 0xFF, 0xFF])
        let golden: [UInt8] = [
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x68, 0x00, 0x00, 0x23, 0x84, // brokers [1 "h" 9092]
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x74, // topics [error 0, "t"
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, //  partition [err 0, idx 0, leader 1
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, // replicas [1], isr [1]
        ]
        var buffer = ByteBuffer(bytes: golden)
        let decoded = try MetadataResponse(from: &buffer, version: 0)
        #expect(decoded.brokers == [.init(nodeId: 1, host: "h", port: 9092)])
        #expect(decoded.topics.first?.partitions.first?.leaderId == 1)
        #expect(bytes(decoded.encoded(version: 0)) == golden)
    }

    @Test func produceV3RequestFraming() {
        var batch = ByteBuffer(bytes: [0xAA, 0xBB])
        let request = ProduceRequest(transactionalId: nil, acks: -1, timeoutMs: 1000, topics: [.init(name: "t", partitions: [.init(index: 0, records: batch)])])
        batch.moveReaderIndex(to: 0)
        #expect(bytes(request.encoded(version: 3)) == [
            0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x03, 0xE8, // transactional_id null, acks -1, timeout 1000
            0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74, // topic_data [ "t"
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xAA, 0xBB, // [0, bytes(2)]
        ])
    }

    @Test func fetchV4Request() {
        let request = FetchRequest(replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 52_428_800, isolationLevel: 0,
                                   topics: [.init(topic: "t", partitions: [.init(partition: 0, fetchOffset: 5, partitionMaxBytes: 1_048_576)])])
        #expect(bytes(request.encoded(version: 4)) == [
            0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x01, 0xF4, 0x00, 0x00, 0x00, 0x01, 0x03, 0x20, 0x00, 0x00, 0x00, // replica, wait, min, max, isolation
            0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74, 0x00, 0x00, 0x00, 0x01, // topics ["t", partitions [
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x10, 0x00, 0x00, // 0, offset 5, 1 MiB
        ])
    }

    @Test func emptyFetchRecordsAreZeroLengthNotNull() {
        let response = FetchResponse(responses: [.init(topic: "t", partitions: [.init(partitionIndex: 0, errorCode: 0, highWatermark: 0)])])
        let encoded = bytes(response.encoded(version: 4))
        #expect(Array(encoded.suffix(4)) == [0, 0, 0, 0])
    }
}
