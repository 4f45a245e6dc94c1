import NIOCore
import Testing
@testable import KafkaProtocol

/// The admin APIs' flexible versions, against bytes written out field by field from Kafka's JSON
/// message schemas: compact strings and arrays (length + 1 as an unsigned varint, 0 for null), a
/// tagged-field section (0x00 when empty) after every struct and after the message, and UUIDs as
/// 16 raw bytes.
@Suite struct FlexibleAdminGoldenBytesTests {
    func check<M: KafkaMessage & Equatable>(_ value: M, version: Int16, _ golden: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(Array(value.encoded(version: version).readableBytesView) == golden, "encode", sourceLocation: sourceLocation)
        var buffer = ByteBuffer(bytes: golden)
        #expect(try M(from: &buffer, version: version) == value, "decode", sourceLocation: sourceLocation)
        #expect(buffer.readableBytes == 0, "left over", sourceLocation: sourceLocation)
    }

    let timeout1000: [UInt8] = [0x00, 0x00, 0x03, 0xE8]
    let idOne: [UInt8] = [UInt8](repeating: 0, count: 15) + [0x01]
    let t: [UInt8] = [0x02, 0x74] // compact "t"

    /// The flexible versions start where the schemas say, and with them request header v2 and
    /// response header v1.
    @Test func headerVersionsFollowTheSchemas() {
        let firstFlexible: [ApiKey: Int16] = [.createTopics: 5, .deleteTopics: 4, .describeConfigs: 4, .createPartitions: 2, .alterConfigs: 2,
                                              .incrementalAlterConfigs: 1, .deleteRecords: 2, .electLeaders: 2, .describeLogDirs: 2]
        for (key, first) in firstFlexible {
            #expect(key.requestHeaderVersion(first - 1) == 1 && key.responseHeaderVersion(first - 1) == 0, "\(key) v\(first - 1)")
            #expect(key.requestHeaderVersion(first) == 2 && key.responseHeaderVersion(first) == 1, "\(key) v\(first)")
        }
    }

    @Test func createTopicsV5RequestAndV7Response() throws {
        let request = CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 3, replicationFactor: 1, configs: [.init(name: "a", value: nil)])],
                                          timeoutMs: 1000)
        try check(request, version: 5, [0x02] + t + [0, 0, 0, 3, 0, 1, 0x01] // [t, 3 partitions, rf 1, assignments []
                  + [0x02, 0x02, 0x61, 0x00, 0x00] // configs [a = null, tags]
                  + [0x00] + timeout1000 + [0x00, 0x00]) // topic tags], timeout, validate_only false, tags
        let response = CreateTopicsResponse(topics: [.init(name: "t", topicId: KafkaUuid(high: 0, low: 1), errorCode: 0, numPartitions: 3, replicationFactor: 1,
                                                           configs: [.init(name: "a", value: "1", readOnly: false, configSource: 5, isSensitive: false)])])
        let topicFields: [UInt8] = t + idOne + [0x00, 0x00, 0x00, 0, 0, 0, 3, 0, 1] // name, id, error 0, message null, 3, rf 1
            + [0x02, 0x02, 0x61, 0x02, 0x31, 0x00, 0x05, 0x00, 0x00] // configs [a = "1", read_only false, source 5, sensitive false, tags]
        try check(response, version: 7, [0, 0, 0, 0, 0x02] + topicFields + [0x00, 0x00])
        // TopicConfigErrorCode arrives as tagged field 0 and is skipped.
        var tagged = ByteBuffer(bytes: [0, 0, 0, 0, 0x02] + topicFields + [0x01, 0x00, 0x02, 0x00, 0x05, 0x00])
        #expect(try CreateTopicsResponse(from: &tagged, version: 7) == response)
        #expect(tagged.readableBytes == 0)
    }

    @Test func deleteTopicsV4AndV6() throws {
        try check(DeleteTopicsRequest(topicNames: ["t"], timeoutMs: 1000), version: 4, [0x02] + t + timeout1000 + [0x00])
        let byNameAndId = DeleteTopicsRequest(topics: [.init(name: "t"), .init(name: nil, topicId: KafkaUuid(high: 0, low: 1))], timeoutMs: 1000)
        try check(byNameAndId, version: 6, [0x03] + t + [UInt8](repeating: 0, count: 16) + [0x00] // [t with no id,
                  + [0x00] + idOne + [0x00] + timeout1000 + [0x00]) // null name with id 1], timeout, tags
        let response = DeleteTopicsResponse(responses: [.init(name: nil, topicId: KafkaUuid(high: 0, low: 1), errorCode: 100, errorMessage: "x")])
        try check(response, version: 6, [0, 0, 0, 0, 0x02, 0x00] + idOne + [0x00, 0x64, 0x02, 0x78, 0x00, 0x00])
    }

    @Test func describeConfigsV4() throws {
        try check(DescribeConfigsRequest(resources: [.init(resourceType: 2, resourceName: "t")], includeSynonyms: true), version: 4,
                  [0x02, 0x02] + t + [0x00, 0x00, 0x01, 0x00, 0x00]) // [topic t, keys null, tags], synonyms, no docs, tags
        let response = DescribeConfigsResponse(results: [.init(errorCode: 0, errorMessage: nil, resourceType: 2, resourceName: "t", configs: [
            .init(name: "a", value: "1", readOnly: false, isDefault: false, configSource: 5, isSensitive: false,
                  synonyms: [.init(name: "b", value: nil, source: 4)]),
        ])])
        try check(response, version: 4, [0, 0, 0, 0, 0x02, 0x00, 0x00, 0x00, 0x02] + t // [error 0, message null, topic t,
                  + [0x02, 0x02, 0x61, 0x02, 0x31, 0x00, 0x05, 0x00] // configs [a = "1", read_only false, source 5, sensitive false,
                  + [0x02, 0x02, 0x62, 0x00, 0x04, 0x00] // synonyms [b = null, source 4, tags],
                  + [0x00, 0x00, 0x00, 0x00, 0x00]) // type 0, documentation null, config tags], result tags], tags
    }

    @Test func createPartitionsV2() throws {
        let request = CreatePartitionsRequest(topics: [.init(name: "t", count: 4, assignments: [[1]])], timeoutMs: 1000, validateOnly: true)
        try check(request, version: 2, [0x02] + t + [0, 0, 0, 4, 0x02, 0x02, 0, 0, 0, 1, 0x00, 0x00] + timeout1000 + [0x01, 0x00])
        try check(CreatePartitionsResponse(results: [.init(name: "t", errorCode: 37, errorMessage: "x")]), version: 2,
                  [0, 0, 0, 0, 0x02] + t + [0x00, 0x25, 0x02, 0x78, 0x00, 0x00])
    }

    @Test func alterConfigsV2AndIncrementalAlterConfigsV1() throws {
        try check(AlterConfigsRequest(resources: [.init(resourceType: 2, resourceName: "t", configs: [.init(name: "a", value: nil)])]), version: 2,
                  [0x02, 0x02] + t + [0x02, 0x02, 0x61, 0x00, 0x00, 0x00, 0x00, 0x00])
        let incremental = IncrementalAlterConfigsRequest(resources: [.init(resourceType: 2, resourceName: "t", configs: [.init(name: "a", operation: 1, value: nil)])])
        try check(incremental, version: 1, [0x02, 0x02] + t + [0x02, 0x02, 0x61, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00])
        let result: [UInt8] = [0, 0, 0, 0, 0x02, 0x00, 0x00, 0x00, 0x02] + t + [0x00, 0x00] // [error 0, message null, topic t, tags], tags
        try check(AlterConfigsResponse(responses: [.init(errorCode: 0, errorMessage: nil, resourceType: 2, resourceName: "t")]), version: 2, result)
        try check(IncrementalAlterConfigsResponse(responses: [.init(errorCode: 0, errorMessage: nil, resourceType: 2, resourceName: "t")]), version: 1, result)
    }

    @Test func deleteRecordsV2() throws {
        try check(DeleteRecordsRequest(topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, offset: 5)])], timeoutMs: 1000), version: 2,
                  [0x02] + t + [0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0x00, 0x00] + timeout1000 + [0x00])
        try check(DeleteRecordsResponse(topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, lowWatermark: 5, errorCode: 0)])]), version: 2,
                  [0, 0, 0, 0, 0x02] + t + [0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0x00, 0x00, 0x00])
    }

    @Test func electLeadersV2() throws {
        try check(ElectLeadersRequest(topicPartitions: nil, timeoutMs: 1000), version: 2, [0x00, 0x00] + timeout1000 + [0x00])
        try check(ElectLeadersRequest(electionType: 1, topicPartitions: [.init(topic: "t", partitions: [0])], timeoutMs: 1000), version: 2,
                  [0x01, 0x02] + t + [0x02, 0, 0, 0, 0, 0x00] + timeout1000 + [0x00])
        try check(ElectLeadersResponse(results: [.init(topic: "t", partitions: [.init(partitionId: 0, errorCode: 84)])]), version: 2,
                  [0, 0, 0, 0, 0, 0, 0x02] + t + [0x02, 0, 0, 0, 0, 0x00, 0x54, 0x00, 0x00, 0x00, 0x00])
    }

    @Test func describeLogDirsV2AndV4() throws {
        try check(DescribeLogDirsRequest(topics: nil), version: 2, [0x00, 0x00])
        try check(DescribeLogDirsRequest(topics: [.init(topic: "t", partitions: [0])]), version: 4, [0x02] + t + [0x02, 0, 0, 0, 0, 0x00, 0x00])
        let response = DescribeLogDirsResponse(results: [.init(errorCode: 0, logDir: "/d", topics: [
            .init(name: "t", partitions: [.init(partitionIndex: 0, partitionSize: 16, offsetLag: 0)]),
        ], totalBytes: 256, usableBytes: 255)])
        let partitions: [UInt8] = [0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00] // [0, 16 bytes, lag 0, not future, tags]
        try check(response, version: 4, [0, 0, 0, 0, 0x00, 0x00, 0x02, 0x00, 0x00, 0x03, 0x2F, 0x64, 0x02] + t + partitions + [0x00] // ..., "/d", [t, [...]]
                  + [0, 0, 0, 0, 0, 0, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0x00, 0xFF, 0x00, 0x00]) // total 256, usable 255, tags], tags
        // v2 has neither the top-level error code nor the byte counts.
        var v2 = response
        v2.results[0].totalBytes = -1
        v2.results[0].usableBytes = -1
        try check(v2, version: 2, [0, 0, 0, 0, 0x02, 0x00, 0x00, 0x03, 0x2F, 0x64, 0x02] + t + partitions + [0x00, 0x00, 0x00])
    }
}
