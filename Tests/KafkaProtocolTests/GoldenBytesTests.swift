import NIOCore
import Testing
@testable import KafkaProtocol

/// Encodings checked against bytes written out field by field from the protocol guide and Kafka's
/// JSON message schemas, not derived from our encoder. Each is checked both ways: the value encodes
/// to the bytes, and the bytes decode to the value with nothing left over.
@Suite struct GoldenBytesTests {
    func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

    func check<M: KafkaMessage & Equatable>(_ value: M, version: Int16, _ golden: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(bytes(value.encoded(version: version)) == golden, "encode", sourceLocation: sourceLocation)
        var buffer = ByteBuffer(bytes: golden)
        #expect(try M(from: &buffer, version: version) == value, "decode", sourceLocation: sourceLocation)
        #expect(buffer.readableBytes == 0, "left over", sourceLocation: sourceLocation)
    }

    @Test func requestHeaderV1AndV2() throws {
        let v1Golden: [UInt8] = [0x00, 0x03, 0x00, 0x08, 0x00, 0x00, 0x00, 0x07, 0x00, 0x02, 0x61, 0x62] // key 3, v8, corr 7, "ab"
        var v1 = ByteBuffer()
        RequestHeader(apiKey: 3, apiVersion: 8, correlationId: 7, clientId: "ab").encode(into: &v1, headerVersion: 1)
        #expect(bytes(v1) == v1Golden)
        var parsedV1 = ByteBuffer(bytes: v1Golden)
        #expect(try RequestHeader(from: &parsedV1, headerVersion: 1) == RequestHeader(apiKey: 3, apiVersion: 8, correlationId: 7, clientId: "ab"))
        // The client id stays an int16-length (nullable) string in v2, then an empty tagged-field section.
        let v2Golden: [UInt8] = [0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0xFF, 0xFF, 0x00]
        var v2 = ByteBuffer()
        RequestHeader(apiKey: 18, apiVersion: 3, correlationId: 1, clientId: nil).encode(into: &v2, headerVersion: 2)
        #expect(bytes(v2) == v2Golden)
        // A client's tagged fields are skipped: one field, tag 0, 2 bytes.
        var parsed = ByteBuffer(bytes: [0x00, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x61, 0x01, 0x00, 0x02, 0xAA, 0xBB, 0x09])
        #expect(try RequestHeader(from: &parsed, headerVersion: 2) == RequestHeader(apiKey: 18, apiVersion: 3, correlationId: 1, clientId: "a"))
        #expect(bytes(parsed) == [0x09])
        let peeked = RequestHeader.peek(ByteBuffer(bytes: v1Golden))
        #expect(peeked?.apiKey == 3 && peeked?.apiVersion == 8 && peeked?.correlationId == 7)
        #expect(RequestHeader.peek(ByteBuffer(bytes: [0, 3, 0, 8, 0, 0, 0])) == nil)
    }

    @Test func responseHeaderV0AndV1() throws {
        var v0 = ByteBuffer()
        ResponseHeader(correlationId: 258).encode(into: &v0, headerVersion: 0)
        #expect(bytes(v0) == [0x00, 0x00, 0x01, 0x02])
        var v1 = ByteBuffer()
        ResponseHeader(correlationId: 258).encode(into: &v1, headerVersion: 1)
        #expect(bytes(v1) == [0x00, 0x00, 0x01, 0x02, 0x00])
    }

    @Test func apiVersionsRequests() throws {
        try check(ApiVersionsRequest(), version: 0, []) // v0–2 have an empty body
        // v3: compact strings (unsigned varint length + 1, then the bytes), empty tagged fields.
        try check(ApiVersionsRequest(clientSoftwareName: "rk", clientSoftwareVersion: "2"), version: 3, [0x03, 0x72, 0x6B, 0x02, 0x32, 0x00])
    }

    @Test func apiVersionsV0Response() throws {
        try check(ApiVersionsResponse(errorCode: 35, apiKeys: [.init(apiKey: 18, minVersion: 0, maxVersion: 3)]), version: 0, [
            0x00, 0x23, // error_code 35
            0x00, 0x00, 0x00, 0x01, 0x00, 0x12, 0x00, 0x00, 0x00, 0x03, // api_keys [18: 0–3]
        ])
    }

    @Test func apiVersionsV3Response() throws {
        let response = ApiVersionsResponse(errorCode: 0, apiKeys: [.init(apiKey: 0, minVersion: 0, maxVersion: 8), .init(apiKey: 3, minVersion: 1, maxVersion: 8)],
                                           throttleTimeMs: 258)
        try check(response, version: 3, [
            0x00, 0x00, // error_code
            0x03, // compact array: 2 + 1
            0x00, 0x00, 0x00, 0x00, 0x00, 0x08, 0x00, // 0: 0–8, no tagged fields
            0x00, 0x03, 0x00, 0x01, 0x00, 0x08, 0x00, // 3: 1–8, no tagged fields
            0x00, 0x00, 0x01, 0x02, // throttle_time_ms
            0x00, // tagged fields
        ])
    }

    @Test func metadataV0RequestAndResponse() throws {
        try check(MetadataRequest(topics: [.init(name: "t")]), version: 0, [0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74])
        try check(MetadataRequest(topics: nil), version: 1, [0xFF, 0xFF, 0xFF, 0xFF]) // v1+: null asks for all topics
        try check(MetadataRequest(topics: nil, allowAutoTopicCreation: false), version: 4, [0xFF, 0xFF, 0xFF, 0xFF, 0x00])
        let response = MetadataResponse(brokers: [.init(nodeId: 1, host: "h", port: 9092)], clusterId: nil, controllerId: -1, topics: [
            .init(errorCode: 0, name: "t", partitions: [.init(errorCode: 0, partitionIndex: 0, leaderId: 1, replicaNodes: [1], isrNodes: [1])]),
        ])
        try check(response, version: 0, [
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x68, 0x00, 0x00, 0x23, 0x84, // brokers [1 "h" 9092]
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x74, // topics [error 0, "t"
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, //  partitions [error 0, index 0, leader 1
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, // replicas [1], isr [1]
        ])
    }

    @Test func produceV3Request() throws {
        let request = ProduceRequest(transactionalId: nil, acks: -1, timeoutMs: 1000,
                                     topics: [.init(name: "t", partitions: [.init(index: 0, records: ByteBuffer(bytes: [0xAA, 0xBB]))])])
        try check(request, version: 3, [
            0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x03, 0xE8, // transactional_id null, acks -1, timeout 1000
            0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74, // topic_data [ "t"
            0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0xAA, 0xBB, // [0, records (2 bytes)]
        ])
    }

    @Test func fetchV4Request() throws {
        let request = FetchRequest(replicaId: -1, maxWaitMs: 500, minBytes: 1, maxBytes: 52_428_800, isolationLevel: 1,
                                   topics: [.init(topic: "t", partitions: [.init(partition: 0, fetchOffset: 5, partitionMaxBytes: 1_048_576)])])
        try check(request, version: 4, [
            0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x01, 0xF4, 0x00, 0x00, 0x00, 0x01, // replica -1, max_wait 500, min_bytes 1
            0x03, 0x20, 0x00, 0x00, 0x01, // max_bytes 50 MiB, isolation read_committed
            0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74, 0x00, 0x00, 0x00, 0x01, // topics ["t", partitions [
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x00, 0x10, 0x00, 0x00, // 0, offset 5, 1 MiB
        ])
    }

    @Test func emptyFetchRecordsAreZeroLengthNotNull() {
        let response = FetchResponse(responses: [.init(topic: "t", partitions: [.init(partitionIndex: 0, errorCode: 0, highWatermark: 0)])])
        #expect(Array(bytes(response.encoded(version: 4)).suffix(4)) == [0, 0, 0, 0])
    }

    /// v0 asks for up to `max_num_offsets` offsets and answers with an array of them.
    @Test func listOffsetsV0() throws {
        try check(ListOffsetsRequest(replicaId: -1, topics: [.init(name: "t", partitions: [.init(partitionIndex: 1, timestamp: -1, maxNumOffsets: 2)])]),
                  version: 0, [
                      0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74, 0x00, 0x00, 0x00, 0x01, // replica -1, topics ["t", [
                      0x00, 0x00, 0x00, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x02, // 1, latest, max 2
                  ])
        try check(ListOffsetsResponse(topics: [.init(name: "t", partitions: [.init(partitionIndex: 1, errorCode: 0, oldStyleOffsets: [9, 0])])]),
                  version: 0, [
                      0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, // ["t", [1, error 0
                      0x00, 0x00, 0x00, 0x02, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, // old_style_offsets [9, 0]
                  ])
        try check(ListOffsetsResponse(topics: [.init(name: "t", partitions: [.init(partitionIndex: 1, errorCode: 0, timestamp: -1, offset: 9)])]),
                  version: 1, [
                      0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, // ["t", [1, error 0
                      0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 9, // timestamp -1, offset 9
                  ])
    }

    /// v0 has no rebalance timeout (the session timeout stands in for it).
    @Test func joinGroupV0Request() throws {
        let request = JoinGroupRequest(groupId: "g", sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 10_000, memberId: "", protocolType: "consumer",
                                       protocols: [.init(name: "range", metadata: ByteBuffer(bytes: [0x00, 0x00]))])
        try check(request, version: 0, [
            0x00, 0x01, 0x67, 0x00, 0x00, 0x27, 0x10, 0x00, 0x00, // "g", session 10000, member ""
            0x00, 0x08, 0x63, 0x6F, 0x6E, 0x73, 0x75, 0x6D, 0x65, 0x72, // "consumer"
            0x00, 0x00, 0x00, 0x01, 0x00, 0x05, 0x72, 0x61, 0x6E, 0x67, 0x65, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, // ["range", bytes(2)]
        ])
    }

    /// v1 alone carries a commit timestamp per partition; v2–4 a retention time instead.
    @Test func offsetCommitV1AndV2() throws {
        let partition = OffsetCommitRequest.Partition(partitionIndex: 0, committedOffset: 5, commitTimestamp: 7, committedMetadata: nil)
        try check(OffsetCommitRequest(groupId: "g", generationId: 1, memberId: "m", topics: [.init(name: "t", partitions: [partition])]), version: 1, [
            0x00, 0x01, 0x67, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x6D, // "g", generation 1, "m"
            0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, // ["t", [0,
            0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 7, 0xFF, 0xFF, // offset 5, commit_timestamp 7, metadata null
        ])
        let v2 = OffsetCommitRequest(groupId: "g", generationId: 1, memberId: "m", retentionTimeMs: 60_000,
                                     topics: [.init(name: "t", partitions: [.init(partitionIndex: 0, committedOffset: 5, committedMetadata: "")])])
        try check(v2, version: 2, [
            0x00, 0x01, 0x67, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x6D, 0, 0, 0, 0, 0, 0, 0xEA, 0x60, // ..., retention 60000
            0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, // ["t", [0,
            0, 0, 0, 0, 0, 0, 0, 5, 0x00, 0x00, // offset 5, metadata ""
        ])
    }

    /// v0 of the config entry says whether the value is the default; v1+ says where it came from.
    @Test func describeConfigsV0Response() throws {
        let response = DescribeConfigsResponse(throttleTimeMs: 0, results: [.init(errorCode: 0, errorMessage: nil, resourceType: 2, resourceName: "t", configs: [
            .init(name: "a", value: "1", readOnly: false, isDefault: true, configSource: -1, isSensitive: false),
        ])])
        try check(response, version: 0, [
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, // throttle, results [
            0x00, 0x00, 0xFF, 0xFF, 0x02, 0x00, 0x01, 0x74, // error 0, message null, type topic, "t"
            0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x61, 0x00, 0x01, 0x31, 0x00, 0x01, 0x00, // ["a" = "1", read_only, is_default, is_sensitive]
        ])
    }

    /// v0 lists each partition state with its topic name and has no broker epoch or is_new.
    @Test func leaderAndIsrV0AndV2() throws {
        let state = LeaderAndIsrRequest.PartitionState(partitionIndex: 1, controllerEpoch: 2, leader: 3, leaderEpoch: 4, isr: [3], zkVersion: 5, replicas: [3])
        let request = LeaderAndIsrRequest(controllerId: 9, controllerEpoch: 2, topicStates: [.init(topicName: "t", partitionStates: [state])],
                                          liveLeaders: [.init(brokerId: 3, hostName: "h", port: 9092)])
        let partitionFields: [UInt8] = [
            0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, // index 1, controller epoch 2, leader 3, leader epoch 4
            0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 5, 0, 0, 0, 1, 0, 0, 0, 3, // isr [3], zk_version 5, replicas [3]
        ]
        let liveLeaders: [UInt8] = [0, 0, 0, 1, 0, 0, 0, 3, 0x00, 0x01, 0x68, 0x00, 0x00, 0x23, 0x84] // [3, "h", 9092]
        try check(request, version: 0, [0, 0, 0, 9, 0, 0, 0, 2] + [0, 0, 0, 1, 0x00, 0x01, 0x74] + partitionFields + liveLeaders)
        try check(request, version: 2, [0, 0, 0, 9, 0, 0, 0, 2] + [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] // broker epoch -1
                  + [0, 0, 0, 1, 0x00, 0x01, 0x74, 0, 0, 0, 1] + partitionFields + [0x00] + liveLeaders) // ["t", [state, is_new false]]
    }

    /// v0 gives each live broker a single host and port; v5 endpoints with listener names.
    @Test func updateMetadataV0AndV5() throws {
        let state = UpdateMetadataRequest.PartitionState(partitionIndex: 0, controllerEpoch: 1, leader: 2, leaderEpoch: 3, isr: [], zkVersion: 4, replicas: [])
        let request = UpdateMetadataRequest(controllerId: 2, controllerEpoch: 1, topicStates: [.init(topicName: "t", partitionStates: [state])],
                                            liveBrokers: [.init(id: 2, endpoints: [.init(port: 9092, host: "h")])])
        let stateFields: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0] // isr [], replicas []
        try check(request, version: 0, [0, 0, 0, 2, 0, 0, 0, 1] + [0, 0, 0, 1, 0x00, 0x01, 0x74] + stateFields
                  + [0, 0, 0, 1, 0, 0, 0, 2, 0x00, 0x01, 0x68, 0x00, 0x00, 0x23, 0x84]) // [2, "h", 9092]
        try check(request, version: 5, [0, 0, 0, 2, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] // broker epoch -1
                  + [0, 0, 0, 1, 0x00, 0x01, 0x74, 0, 0, 0, 1] + stateFields + [0, 0, 0, 0] // offline_replicas []
                  + [0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0x00, 0x00, 0x23, 0x84, 0x00, 0x01, 0x68] // [2, endpoints [9092, "h",
                  + [0x00, 0x09] + Array("PLAINTEXT".utf8) + [0x00, 0x00, 0xFF, 0xFF]) // "PLAINTEXT", protocol 0], rack null]
    }

    /// KIP-664's admin APIs, flexible at v0: compact arrays and strings, a tagged-field section per struct.
    @Test func transactionAdminApis() throws {
        try check(DescribeTransactionsRequest(transactionalIds: ["t"]), version: 0, [0x02, 0x02, 0x74, 0x00])
        let described = DescribeTransactionsResponse(throttleTimeMs: 0, transactionStates: [
            .init(errorCode: 0, transactionalId: "t", transactionState: "Ongoing", transactionTimeoutMs: 60_000, transactionStartTimeMs: 5,
                  producerId: 7, producerEpoch: 1, topics: [.init(name: "a", partitionIndexes: [2])])])
        try check(described, version: 0, [0, 0, 0, 0, 0x02, 0x00, 0x00, 0x02, 0x74, 0x08] + Array("Ongoing".utf8)
                  + [0x00, 0x00, 0xEA, 0x60, 0, 0, 0, 0, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 7, 0, 1] // timeout, start, producer id, epoch (int16)
                  + [0x02, 0x02, 0x61, 0x02, 0, 0, 0, 2, 0x00, 0x00, 0x00]) // topics [a: [2]], then the tags of topic, state, body
        // v1 adds duration_filter (int64) after the producer id filters.
        let list = ListTransactionsRequest(stateFilters: ["Ongoing"], producerIdFilters: [338], durationFilterMs: 30_000)
        try check(list, version: 1, [0x02, 0x08] + Array("Ongoing".utf8) + [0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x52, 0, 0, 0, 0, 0, 0, 0x75, 0x30, 0x00])
        try check(ListTransactionsRequest(stateFilters: ["Ongoing"], producerIdFilters: [338]), version: 0,
                  [0x02, 0x08] + Array("Ongoing".utf8) + [0x02, 0, 0, 0, 0, 0, 0, 0x01, 0x52, 0x00])
        let listed = ListTransactionsResponse(errorCode: 0, unknownStateFilters: ["bogus"],
                                              transactionStates: [.init(transactionalId: "tx-a", producerId: 338, transactionState: "Ongoing")])
        try check(listed, version: 0, [0, 0, 0, 0, 0x00, 0x00, 0x02, 0x06] + Array("bogus".utf8) + [0x02, 0x05] + Array("tx-a".utf8)
                  + [0, 0, 0, 0, 0, 0, 0x01, 0x52, 0x08] + Array("Ongoing".utf8) + [0x00, 0x00])
    }

    /// InitProducerId: v2 turns flexible (compact nullable string, tagged fields); v3 adds the current
    /// producer id (int64) and epoch (int16) of KIP-360's epoch bump.
    @Test func initProducerIdFlexibleAndKip360() throws {
        try check(InitProducerIdRequest(transactionalId: "tx", transactionTimeoutMs: 1234), version: 1,
                  [0x00, 0x02, 0x74, 0x78, 0x00, 0x00, 0x04, 0xD2])
        try check(InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: -1), version: 2,
                  [0x00, 0xFF, 0xFF, 0xFF, 0xFF, 0x00]) // null compact string, timeout -1, no tags
        try check(InitProducerIdRequest(transactionalId: "tx", transactionTimeoutMs: 1234, producerId: 4000, producerEpoch: 2), version: 4,
                  [0x03, 0x74, 0x78, 0x00, 0x00, 0x04, 0xD2, 0, 0, 0, 0, 0, 0, 0x0F, 0xA0, 0x00, 0x02, 0x00])
        try check(InitProducerIdRequest(transactionalId: nil, transactionTimeoutMs: 60_000), version: 3,
                  [0x00, 0x00, 0x00, 0xEA, 0x60, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00])
        let fenced = InitProducerIdResponse(throttleTimeMs: 0, errorCode: 90, producerId: -1, producerEpoch: -1)
        try check(fenced, version: 4, [0, 0, 0, 0, 0x00, 0x5A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x00])
        try check(fenced, version: 1, [0, 0, 0, 0, 0x00, 0x5A, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF])
    }

    /// TxnOffsetCommit v3 (KIP-447): flexible, with the generation (int32), member id (compact
    /// string) and group instance id (compact nullable string) after the producer epoch; every
    /// partition, topic and the body end in an empty tagged-field section.
    @Test func txnOffsetCommitV3CarriesTheGroupMetadata() throws {
        let request = TxnOffsetCommitRequest(transactionalId: "tx", groupId: "g", producerId: 4000, producerEpoch: 3, generationId: 5, memberId: "m",
                                             topics: [.init(name: "t", partitions: [.init(partitionIndex: 1, committedOffset: 42, committedLeaderEpoch: 5)])])
        try check(request, version: 3,
                  [0x03, 0x74, 0x78, 0x02, 0x67, 0, 0, 0, 0, 0, 0, 0x0F, 0xA0, 0x00, 0x03, // "tx", "g", producer 4000, epoch 3
                   0, 0, 0, 5, 0x02, 0x6D, 0x00, // generation 5, member "m", no instance id
                   0x02, 0x02, 0x74, 0x02, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x2A, 0, 0, 0, 5, 0x00, 0x00, 0x00, // t-1 at 42, epoch 5, null metadata
                   0x00])
        // The same commit at v2 has no group metadata and no tagged fields.
        var v2 = request
        v2.generationId = -1
        v2.memberId = ""
        try check(v2, version: 2,
                  [0x00, 0x02, 0x74, 0x78, 0x00, 0x01, 0x67, 0, 0, 0, 0, 0, 0, 0x0F, 0xA0, 0x00, 0x03,
                   0, 0, 0, 1, 0x00, 0x01, 0x74, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x2A, 0, 0, 0, 5, 0xFF, 0xFF])
        let response = TxnOffsetCommitResponse(topics: [.init(name: "t", partitions: [.init(partitionIndex: 1, errorCode: 22)])])
        try check(response, version: 3, [0, 0, 0, 0, 0x02, 0x02, 0x74, 0x02, 0, 0, 0, 1, 0x00, 0x16, 0x00, 0x00, 0x00])
    }
}
