import NIOCore
@testable import KafkaProtocol

/// A message type with, for every version it supports, a sample whose every field that exists at
/// that version holds a non-default value, so that a missing or misplaced version gate breaks the
/// round trip.
struct CodecCase: Sendable {
    let name: String
    let apiKey: ApiKey
    let isRequest: Bool
    let versions: ClosedRange<Int16>
    let roundTrip: @Sendable (Int16) throws -> Bool
    let encode: @Sendable (Int16) -> ByteBuffer
    let decode: @Sendable (inout ByteBuffer, Int16) throws -> Void

    init<M: KafkaMessage & Equatable>(_ type: M.Type, _ versions: ClosedRange<Int16>, _ sample: @escaping @Sendable (Int16) -> M) {
        name = "\(M.self)"
        apiKey = M.apiKey
        isRequest = name.hasSuffix("Request")
        self.versions = versions
        roundTrip = { version in
            var buffer = sample(version).encoded(version: version)
            let decoded = try M(from: &buffer, version: version)
            return decoded == sample(version) && buffer.readableBytes == 0
        }
        encode = { sample($0).encoded(version: $0) }
        decode = { buffer, version in _ = try M(from: &buffer, version: version) }
    }
}

func records(_ text: String) -> ByteBuffer {
    RecordBatchBuilder().build([.init(key: ByteBuffer(string: "k"), value: ByteBuffer(string: text), timestampMs: 1_700_000_000_000)])
}

let codecCases: [CodecCase] = [
    CodecCase(ApiVersionsRequest.self, 0...3) { v in
        v >= 3 ? ApiVersionsRequest(clientSoftwareName: "samsa", clientSoftwareVersion: "1.0") : ApiVersionsRequest()
    },
    CodecCase(ApiVersionsResponse.self, 0...3) { v in
        ApiVersionsResponse(errorCode: 35, apiKeys: [.init(apiKey: 0, minVersion: 0, maxVersion: 8), .init(apiKey: 18, minVersion: 0, maxVersion: 3)],
                            throttleTimeMs: v >= 1 ? 7 : 0)
    },
    CodecCase(ProduceRequest.self, 0...8) { v in
        ProduceRequest(transactionalId: v >= 3 ? "tx" : nil, acks: -1, timeoutMs: 1500,
                       topics: [.init(name: "orders", partitions: [.init(index: 2, records: records("a")), .init(index: 3, records: nil)])])
    },
    CodecCase(ProduceResponse.self, 0...8) { v in
        var partition = ProduceResponse.PartitionResponse(index: 1, errorCode: 19, baseOffset: 42)
        if v >= 2 { partition.logAppendTimeMs = 99 }
        if v >= 5 { partition.logStartOffset = 3 }
        if v >= 8 {
            partition.recordErrors = [.init(batchIndex: 0, message: "bad")]
            partition.errorMessage = "not enough replicas"
        }
        return ProduceResponse(responses: [.init(name: "orders", partitions: [partition])], throttleTimeMs: v >= 1 ? 5 : 0)
    },
    CodecCase(FetchRequest.self, 0...11) { v in
        FetchRequest(replicaId: 2, maxWaitMs: 500, minBytes: 1, maxBytes: v >= 3 ? 1 << 20 : Int32.max, isolationLevel: v >= 4 ? 1 : 0,
                     sessionId: v >= 7 ? 9 : 0, sessionEpoch: v >= 7 ? 4 : -1,
                     topics: [.init(topic: "orders", partitions: [.init(partition: 1, currentLeaderEpoch: v >= 9 ? 6 : -1, fetchOffset: 77,
                                                                         logStartOffset: v >= 5 ? 2 : -1, partitionMaxBytes: 4096)])],
                     forgottenTopics: v >= 7 ? [.init(topic: "old", partitions: [0, 1])] : [], rackId: v >= 11 ? "rack-a" : "")
    },
    CodecCase(FetchResponse.self, 0...11) { v in
        FetchResponse(throttleTimeMs: v >= 1 ? 3 : 0, errorCode: v >= 7 ? 70 : 0, sessionId: v >= 7 ? 12 : 0, responses: [
            .init(topic: "orders", partitions: [.init(partitionIndex: 1, errorCode: 1, highWatermark: 10, lastStableOffset: v >= 4 ? 10 : -1,
                                                      logStartOffset: v >= 5 ? 1 : -1,
                                                      abortedTransactions: v >= 4 ? [.init(producerId: 5, firstOffset: 6)] : nil,
                                                      preferredReadReplica: v >= 11 ? 2 : -1, records: records("r"))]),
        ])
    },
    CodecCase(MetadataRequest.self, 0...8) { v in
        MetadataRequest(topics: [.init(name: "a"), .init(name: "b")], allowAutoTopicCreation: v >= 4 ? false : true,
                        includeClusterAuthorizedOperations: v >= 8, includeTopicAuthorizedOperations: v >= 8)
    },
    CodecCase(MetadataResponse.self, 0...8) { v in
        MetadataResponse(throttleTimeMs: v >= 3 ? 4 : 0, brokers: [.init(nodeId: 1, host: "h", port: 9092, rack: v >= 1 ? "r1" : nil)],
                         clusterId: v >= 2 ? "cid" : nil, controllerId: v >= 1 ? 1 : -1,
                         topics: [.init(errorCode: 9, name: "orders", isInternal: v >= 1, partitions: [
                            .init(errorCode: 5, partitionIndex: 3, leaderId: 1, leaderEpoch: v >= 7 ? 5 : -1, replicaNodes: [1, 2], isrNodes: [1],
                                  offlineReplicas: v >= 5 ? [2] : []),
                         ], topicAuthorizedOperations: v >= 8 ? 8 : Int32.min)],
                         clusterAuthorizedOperations: v >= 8 ? 16 : Int32.min)
    },
    CodecCase(ListOffsetsRequest.self, 0...5) { v in
        ListOffsetsRequest(replicaId: 3, isolationLevel: v >= 2 ? 1 : 0, topics: [
            .init(name: "orders", partitions: [.init(partitionIndex: 0, currentLeaderEpoch: v >= 4 ? 3 : -1, timestamp: -2, maxNumOffsets: v == 0 ? 5 : 1)]),
        ])
    },
    CodecCase(ListOffsetsResponse.self, 0...5) { v in
        ListOffsetsResponse(throttleTimeMs: v >= 2 ? 1 : 0, topics: [
            .init(name: "orders", partitions: [.init(partitionIndex: 4, errorCode: 6, oldStyleOffsets: v == 0 ? [7, 3] : [],
                                                     timestamp: v >= 1 ? 100 : -1, offset: v >= 1 ? 7 : -1, leaderEpoch: v >= 4 ? 2 : -1)]),
        ])
    },
    CodecCase(CreateTopicsRequest.self, 0...7) { v in
        CreateTopicsRequest(topics: [.init(name: "t", numPartitions: 3, replicationFactor: 2, assignments: [.init(partitionIndex: 0, brokerIds: [1, 2])],
                                           configs: [.init(name: "retention.ms", value: "1000"), .init(name: "x", value: nil)])],
                            timeoutMs: 5000, validateOnly: v >= 1)
    },
    CodecCase(CreateTopicsResponse.self, 0...7) { v in
        CreateTopicsResponse(throttleTimeMs: v >= 2 ? 2 : 0, topics: [
            .init(name: "t", topicId: v >= 7 ? KafkaUuid(high: 0x0102, low: 0xFEDC) : .zero, errorCode: 36, errorMessage: v >= 1 ? "exists" : nil,
                  numPartitions: v >= 5 ? 3 : -1, replicationFactor: v >= 5 ? 2 : -1,
                  configs: v >= 5 ? [.init(name: "retention.ms", value: "1000", readOnly: true, configSource: 1, isSensitive: true),
                                     .init(name: "x", value: nil)] : nil),
            .init(name: "u", errorCode: 0, configs: v >= 5 ? [] : nil),
        ])
    },
    CodecCase(DeleteTopicsRequest.self, 0...6) { v in
        v >= 6 ? DeleteTopicsRequest(topics: [.init(name: "a"), .init(name: nil, topicId: KafkaUuid(high: 7, low: 9))], timeoutMs: 3000)
            : DeleteTopicsRequest(topicNames: ["a", "b"], timeoutMs: 3000)
    },
    CodecCase(DeleteTopicsResponse.self, 0...6) { v in
        DeleteTopicsResponse(throttleTimeMs: v >= 1 ? 1 : 0, responses: [
            .init(name: "a", errorCode: 3, errorMessage: v >= 5 ? "unknown" : nil),
            .init(name: v >= 6 ? nil : "b", topicId: v >= 6 ? KafkaUuid(high: 7, low: 9) : .zero, errorCode: v >= 6 ? 100 : 0),
        ])
    },
    CodecCase(DescribeConfigsRequest.self, 0...4) { v in
        DescribeConfigsRequest(resources: [.init(resourceType: 2, resourceName: "t", configurationKeys: ["retention.ms"]),
                                           .init(resourceType: 4, resourceName: "1", configurationKeys: nil)],
                               includeSynonyms: v >= 1, includeDocumentation: v >= 3)
    },
    CodecCase(DescribeConfigsResponse.self, 0...4) { v in
        DescribeConfigsResponse(throttleTimeMs: 2, results: [.init(errorCode: 40, errorMessage: "bad", resourceType: 2, resourceName: "t", configs: [
            .init(name: "retention.ms", value: "1000", readOnly: true, isDefault: v == 0, configSource: v >= 1 ? 1 : -1, isSensitive: true,
                  synonyms: v >= 1 ? [.init(name: "log.retention.ms", value: nil, source: 5)] : [], configType: v >= 3 ? 5 : 0,
                  documentation: v >= 3 ? "doc" : nil),
        ])])
    },
    CodecCase(InitProducerIdRequest.self, 0...4) { v in
        InitProducerIdRequest(transactionalId: "tx", transactionTimeoutMs: 1234, producerId: v >= 3 ? 4000 : -1, producerEpoch: v >= 3 ? 2 : -1)
    },
    CodecCase(InitProducerIdResponse.self, 0...4) { _ in InitProducerIdResponse(throttleTimeMs: 1, errorCode: 15, producerId: 4000, producerEpoch: 2) },
    CodecCase(AddPartitionsToTxnRequest.self, 0...2) { _ in
        AddPartitionsToTxnRequest(transactionalId: "tx", producerId: 4000, producerEpoch: 3, topics: [.init(name: "t", partitions: [0, 2]), .init(name: "u", partitions: [1])])
    },
    CodecCase(AddPartitionsToTxnResponse.self, 0...2) { _ in
        AddPartitionsToTxnResponse(throttleTimeMs: 1, results: [.init(name: "t", partitions: [.init(partitionIndex: 2, errorCode: 51)])])
    },
    CodecCase(AddOffsetsToTxnRequest.self, 0...2) { _ in AddOffsetsToTxnRequest(transactionalId: "tx", producerId: 4000, producerEpoch: 3, groupId: "g") },
    CodecCase(AddOffsetsToTxnResponse.self, 0...2) { _ in AddOffsetsToTxnResponse(throttleTimeMs: 1, errorCode: 90) },
    CodecCase(EndTxnRequest.self, 0...2) { v in EndTxnRequest(transactionalId: "tx", producerId: 4000, producerEpoch: 3, committed: v % 2 == 0) },
    CodecCase(EndTxnResponse.self, 0...2) { _ in EndTxnResponse(throttleTimeMs: 1, errorCode: 48) },
    CodecCase(WriteTxnMarkersRequest.self, 0...0) { _ in
        WriteTxnMarkersRequest(markers: [.init(producerId: 4000, producerEpoch: 3, transactionResult: true, topics: [.init(name: "t", partitions: [0, 1])], coordinatorEpoch: 7),
                                         .init(producerId: 4001, producerEpoch: 0, transactionResult: false, topics: [], coordinatorEpoch: 7)])
    },
    CodecCase(WriteTxnMarkersResponse.self, 0...0) { _ in
        WriteTxnMarkersResponse(markers: [.init(producerId: 4000, topics: [.init(name: "t", partitions: [.init(partitionIndex: 1, errorCode: 6)])])])
    },
    CodecCase(TxnOffsetCommitRequest.self, 0...3) { v in
        TxnOffsetCommitRequest(transactionalId: "tx", groupId: "g", producerId: 4000, producerEpoch: 3, generationId: v >= 3 ? 7 : -1,
                               memberId: v >= 3 ? "member-1" : "", groupInstanceId: v >= 3 ? "instance-1" : nil, topics: [
            .init(name: "t", partitions: [.init(partitionIndex: 1, committedOffset: 42, committedLeaderEpoch: v >= 2 ? 5 : -1, committedMetadata: "m"),
                                          .init(partitionIndex: 2, committedOffset: 7)]),
        ])
    },
    CodecCase(TxnOffsetCommitResponse.self, 0...3) { _ in
        TxnOffsetCommitResponse(throttleTimeMs: 1, topics: [.init(name: "t", partitions: [.init(partitionIndex: 1, errorCode: 16)])])
    },
    CodecCase(OffsetForLeaderEpochRequest.self, 0...3) { v in
        OffsetForLeaderEpochRequest(replicaId: v >= 3 ? 2 : -2, topics: [.init(topic: "t", partitions: [.init(partition: 1, currentLeaderEpoch: v >= 2 ? 4 : -1, leaderEpoch: 3)])])
    },
    CodecCase(OffsetForLeaderEpochResponse.self, 0...3) { v in
        OffsetForLeaderEpochResponse(throttleTimeMs: v >= 2 ? 1 : 0, topics: [.init(topic: "t", partitions: [.init(errorCode: 74, partition: 1, leaderEpoch: v >= 1 ? 3 : -1, endOffset: 99)])])
    },
    CodecCase(LeaderAndIsrRequest.self, 0...3) { v in
        func state(_ index: Int32) -> LeaderAndIsrRequest.PartitionState {
            .init(partitionIndex: index, controllerEpoch: 4, leader: 2, leaderEpoch: 9, isr: [2, 3], zkVersion: 11, replicas: [1, 2, 3],
                  addingReplicas: v >= 3 ? [3] : [], removingReplicas: v >= 3 ? [1] : [], isNew: v >= 1)
        }
        return LeaderAndIsrRequest(controllerId: 1, controllerEpoch: 4, brokerEpoch: v >= 2 ? 77 : -1,
                                   topicStates: [.init(topicName: "t", partitionStates: [state(0), state(1)]), .init(topicName: "u", partitionStates: [state(0)])],
                                   liveLeaders: [.init(brokerId: 2, hostName: "h", port: 9093)])
    },
    CodecCase(LeaderAndIsrResponse.self, 0...3) { _ in
        LeaderAndIsrResponse(PartitionErrorsResponse(errorCode: 11, partitionErrors: [.init(topicName: "t", partitionIndex: 4, errorCode: 56)]))
    },
    CodecCase(UpdateMetadataRequest.self, 0...5) { v in
        func state(_ index: Int32) -> UpdateMetadataRequest.PartitionState {
            .init(partitionIndex: index, controllerEpoch: 4, leader: -2, leaderEpoch: 9, isr: [2], zkVersion: 3, replicas: [1, 2],
                  offlineReplicas: v >= 4 ? [1] : [])
        }
        // v0 has one PLAINTEXT host and port; v1–2 name each listener after its security protocol.
        let endpoints: [UpdateMetadataRequest.Endpoint] = switch v {
        case 0: [.init(port: 9093, host: "h")]
        case 1...2: [.init(port: 9093, host: "h"), .init(port: 9094, host: "h2", listener: "SSL", securityProtocol: 1)]
        default: [.init(port: 9093, host: "h", listener: "INTERNAL"), .init(port: 9094, host: "h2", listener: "EXTERNAL", securityProtocol: 2)]
        }
        return UpdateMetadataRequest(controllerId: 1, controllerEpoch: 4, brokerEpoch: v >= 5 ? 8 : -1,
                                     topicStates: [.init(topicName: "t", partitionStates: [state(0), state(1)]), .init(topicName: "u", partitionStates: [state(2)])],
                                     liveBrokers: [.init(id: 2, endpoints: endpoints, rack: v >= 2 ? "r" : nil), .init(id: 3, endpoints: endpoints)])
    },
    CodecCase(UpdateMetadataResponse.self, 0...5) { _ in UpdateMetadataResponse(errorCode: 11) },
    CodecCase(StopReplicaRequest.self, 0...1) { v in
        StopReplicaRequest(controllerId: 1, controllerEpoch: 2, brokerEpoch: v >= 1 ? 3 : -1, deletePartitions: true,
                           topics: [.init(name: "t", partitionIndexes: [0, 2]), .init(name: "u", partitionIndexes: [1])])
    },
    CodecCase(StopReplicaResponse.self, 0...1) { _ in
        StopReplicaResponse(PartitionErrorsResponse(errorCode: 11, partitionErrors: [.init(topicName: "t", partitionIndex: 2, errorCode: 3)]))
    },
    CodecCase(ControlledShutdownRequest.self, 1...2) { v in ControlledShutdownRequest(brokerId: 3, brokerEpoch: v >= 2 ? 40 : -1) },
    CodecCase(ControlledShutdownResponse.self, 1...2) { _ in
        ControlledShutdownResponse(errorCode: 41, remainingPartitions: [.init(topicName: "t", partitionIndex: 5)])
    },
    CodecCase(FindCoordinatorRequest.self, 0...2) { v in FindCoordinatorRequest(key: "g", keyType: v >= 1 ? 1 : 0) },
    CodecCase(FindCoordinatorResponse.self, 0...2) { v in
        FindCoordinatorResponse(throttleTimeMs: v >= 1 ? 2 : 0, errorCode: 15, errorMessage: v >= 1 ? "loading" : nil, nodeId: 3, host: "h", port: 9094)
    },
    CodecCase(JoinGroupRequest.self, 0...5) { v in
        JoinGroupRequest(groupId: "g", sessionTimeoutMs: 10000, rebalanceTimeoutMs: v >= 1 ? 30000 : 10000, memberId: "m",
                         groupInstanceId: v >= 5 ? "i" : nil, protocolType: "consumer",
                         protocols: [.init(name: "range", metadata: ByteBuffer(bytes: [0, 1, 2]))])
    },
    CodecCase(JoinGroupResponse.self, 0...5) { v in
        JoinGroupResponse(throttleTimeMs: v >= 2 ? 1 : 0, errorCode: 79, generationId: 4, protocolName: "range", leader: "m1", memberId: "m2",
                          members: [.init(memberId: "m1", groupInstanceId: v >= 5 ? "i1" : nil, metadata: ByteBuffer(bytes: [9]))])
    },
    CodecCase(SyncGroupRequest.self, 0...3) { v in
        SyncGroupRequest(groupId: "g", generationId: 4, memberId: "m1", groupInstanceId: v >= 3 ? "i" : nil,
                         assignments: [.init(memberId: "m1", assignment: ByteBuffer(bytes: [1]))])
    },
    CodecCase(SyncGroupResponse.self, 0...3) { v in SyncGroupResponse(throttleTimeMs: v >= 1 ? 1 : 0, errorCode: 27, assignment: ByteBuffer(bytes: [7, 7])) },
    CodecCase(HeartbeatRequest.self, 0...3) { v in HeartbeatRequest(groupId: "g", generationId: 2, memberId: "m", groupInstanceId: v >= 3 ? "i" : nil) },
    CodecCase(HeartbeatResponse.self, 0...3) { v in HeartbeatResponse(throttleTimeMs: v >= 1 ? 1 : 0, errorCode: 22) },
    CodecCase(LeaveGroupRequest.self, 0...3) { v in
        LeaveGroupRequest(groupId: "g", members: v >= 3 ? [.init(memberId: "a", groupInstanceId: "i"), .init(memberId: "b")] : [.init(memberId: "a")])
    },
    CodecCase(LeaveGroupResponse.self, 0...3) { v in
        LeaveGroupResponse(throttleTimeMs: v >= 1 ? 1 : 0, errorCode: 16, members: v >= 3 ? [.init(memberId: "a", errorCode: 25)] : [])
    },
    CodecCase(OffsetCommitRequest.self, 0...7) { v in
        OffsetCommitRequest(groupId: "g", generationId: v >= 1 ? 3 : -1, memberId: v >= 1 ? "m" : "", groupInstanceId: v >= 7 ? "i" : nil,
                            retentionTimeMs: (2...4).contains(v) ? 1000 : -1,
                            topics: [.init(name: "t", partitions: [.init(partitionIndex: 1, committedOffset: 42, committedLeaderEpoch: v >= 6 ? 5 : -1,
                                                                         commitTimestamp: v == 1 ? 99 : -1, committedMetadata: "meta")])])
    },
    CodecCase(OffsetCommitResponse.self, 0...7) { v in
        OffsetCommitResponse(throttleTimeMs: v >= 3 ? 1 : 0, topics: [.init(name: "t", partitions: [.init(partitionIndex: 1, errorCode: 16)])])
    },
    CodecCase(OffsetFetchRequest.self, 0...5) { v in
        // A null topic list (every committed partition) exists from v2; alternate it with a list.
        OffsetFetchRequest(groupId: "g", topics: v == 2 || v == 4 ? nil : [.init(name: "t", partitionIndexes: [0, 1])])
    },
    CodecCase(OffsetFetchResponse.self, 0...5) { v in
        OffsetFetchResponse(throttleTimeMs: v >= 3 ? 1 : 0, topics: [.init(name: "t", partitions: [
            .init(partitionIndex: 2, committedOffset: 10, committedLeaderEpoch: v >= 5 ? 2 : -1, metadata: "m", errorCode: 3),
        ])], errorCode: v >= 2 ? 14 : 0)
    },
    CodecCase(DescribeGroupsRequest.self, 0...4) { v in DescribeGroupsRequest(groups: ["a", "b"], includeAuthorizedOperations: v >= 3) },
    CodecCase(DescribeGroupsResponse.self, 0...4) { v in
        DescribeGroupsResponse(throttleTimeMs: v >= 1 ? 1 : 0, groups: [.init(errorCode: 16, groupId: "g", groupState: "Stable", protocolType: "consumer",
            protocolData: "range", members: [.init(memberId: "m", groupInstanceId: v >= 4 ? "i" : nil, clientId: "c", clientHost: "/127.0.0.1",
                                                   memberMetadata: ByteBuffer(bytes: [1]), memberAssignment: ByteBuffer(bytes: [2]))],
            authorizedOperations: v >= 3 ? 5 : Int32.min)])
    },
    CodecCase(ListGroupsRequest.self, 0...2) { _ in ListGroupsRequest() },
    CodecCase(ListGroupsResponse.self, 0...2) { v in ListGroupsResponse(throttleTimeMs: v >= 1 ? 1 : 0, errorCode: 15, groups: [.init(groupId: "g", protocolType: "consumer")]) },
    CodecCase(DeleteGroupsRequest.self, 0...1) { _ in DeleteGroupsRequest(groupsNames: ["g"]) },
    CodecCase(DeleteGroupsResponse.self, 0...1) { _ in DeleteGroupsResponse(throttleTimeMs: 1, results: [.init(groupId: "g", errorCode: 68)]) },
    // Cluster administration.
    CodecCase(CreatePartitionsRequest.self, 0...3) { _ in
        CreatePartitionsRequest(topics: [.init(name: "orders", count: 5, assignments: [[1, 2], [2, 3]]), .init(name: "logs", count: 2)],
                                timeoutMs: 3000, validateOnly: true)
    },
    CodecCase(CreatePartitionsResponse.self, 0...3) { _ in
        CreatePartitionsResponse(throttleTimeMs: 3, results: [.init(name: "orders", errorCode: 37, errorMessage: "too few"), .init(name: "logs", errorCode: 0)])
    },
    CodecCase(DescribeClusterRequest.self, 0...1) { v in
        DescribeClusterRequest(includeClusterAuthorizedOperations: true, endpointType: v >= 1 ? 2 : 1)
    },
    CodecCase(DescribeClusterResponse.self, 0...1) { v in
        DescribeClusterResponse(throttleTimeMs: 4, errorCode: 35, errorMessage: "no", endpointType: v >= 1 ? 2 : 1, clusterId: "cid", controllerId: 2,
                                brokers: [.init(brokerId: 1, host: "h1", port: 9092, rack: "r1"), .init(brokerId: 2, host: "h2", port: 9093)],
                                clusterAuthorizedOperations: 12)
    },
    CodecCase(AlterConfigsRequest.self, 0...2) { _ in
        AlterConfigsRequest(resources: [.init(resourceType: 2, resourceName: "t", configs: [.init(name: "retention.ms", value: "1000"),
                                                                                           .init(name: "cleanup.policy", value: nil)])],
                            validateOnly: true)
    },
    CodecCase(AlterConfigsResponse.self, 0...2) { _ in
        AlterConfigsResponse(throttleTimeMs: 5, responses: [.init(errorCode: 40, errorMessage: "bad", resourceType: 2, resourceName: "t")])
    },
    CodecCase(IncrementalAlterConfigsRequest.self, 0...1) { _ in
        IncrementalAlterConfigsRequest(resources: [.init(resourceType: 2, resourceName: "t", configs: [.init(name: "retention.ms", operation: 0, value: "1000"),
                                                                                                      .init(name: "segment.ms", operation: 1, value: nil)])],
                                       validateOnly: true)
    },
    CodecCase(IncrementalAlterConfigsResponse.self, 0...1) { _ in
        IncrementalAlterConfigsResponse(throttleTimeMs: 6, responses: [.init(errorCode: 0, errorMessage: nil, resourceType: 2, resourceName: "t"),
                                                                       .init(errorCode: 40, errorMessage: "bad", resourceType: 4, resourceName: "1")])
    },
    CodecCase(DeleteRecordsRequest.self, 0...2) { _ in
        DeleteRecordsRequest(topics: [.init(name: "t", partitions: [.init(partitionIndex: 1, offset: 42), .init(partitionIndex: 2, offset: -1)])], timeoutMs: 3000)
    },
    CodecCase(DeleteRecordsResponse.self, 0...2) { _ in
        DeleteRecordsResponse(throttleTimeMs: 7, topics: [.init(name: "t", partitions: [.init(partitionIndex: 1, lowWatermark: 42, errorCode: 0),
                                                                                        .init(partitionIndex: 2, lowWatermark: -1, errorCode: 1)])])
    },
    CodecCase(ElectLeadersRequest.self, 0...2) { v in
        ElectLeadersRequest(electionType: v >= 1 ? 1 : 0, topicPartitions: [.init(topic: "t", partitions: [0, 2])], timeoutMs: 3000)
    },
    CodecCase(ElectLeadersResponse.self, 0...2) { v in
        ElectLeadersResponse(throttleTimeMs: 8, errorCode: v >= 1 ? 41 : 0, results: [.init(topic: "t", partitions: [
            .init(partitionId: 0, errorCode: 84, errorMessage: "not needed"), .init(partitionId: 2, errorCode: 0)])])
    },
    CodecCase(DescribeLogDirsRequest.self, 0...4) { _ in DescribeLogDirsRequest(topics: [.init(topic: "t", partitions: [0, 3])]) },
    CodecCase(DescribeLogDirsResponse.self, 0...4) { v in
        DescribeLogDirsResponse(throttleTimeMs: 9, errorCode: v >= 3 ? 56 : 0, results: [.init(errorCode: 0, logDir: "/data", topics: [
            .init(name: "t", partitions: [.init(partitionIndex: 0, partitionSize: 4096, offsetLag: 2, isFutureKey: true)])],
            totalBytes: v >= 4 ? 1 << 40 : -1, usableBytes: v >= 4 ? 1 << 30 : -1)])
    },
    CodecCase(AlterPartitionReassignmentsRequest.self, 0...1) { v in
        AlterPartitionReassignmentsRequest(timeoutMs: 30_000, allowReplicationFactorChange: v == 0, topics: [
            .init(name: "orders", partitions: [.init(partitionIndex: 0, replicas: [2, 3, 1]), .init(partitionIndex: 1, replicas: nil)]),
        ])
    },
    CodecCase(AlterPartitionReassignmentsResponse.self, 0...1) { v in
        AlterPartitionReassignmentsResponse(throttleTimeMs: 3, allowReplicationFactorChange: v == 0, errorCode: 0, errorMessage: nil, responses: [
            .init(name: "orders", partitions: [.init(partitionIndex: 0, errorCode: 0), .init(partitionIndex: 1, errorCode: 85, errorMessage: "none")]),
        ])
    },
    CodecCase(ListPartitionReassignmentsRequest.self, 0...0) { _ in
        ListPartitionReassignmentsRequest(timeoutMs: 30_000, topics: [.init(name: "orders", partitionIndexes: [0, 2])])
    },
    CodecCase(ListPartitionReassignmentsResponse.self, 0...0) { _ in
        ListPartitionReassignmentsResponse(throttleTimeMs: 1, errorCode: 41, errorMessage: "not the controller", topics: [
            .init(name: "orders", partitions: [.init(partitionIndex: 0, replicas: [2, 3, 1], addingReplicas: [3], removingReplicas: [1])]),
        ])
    },
    CodecCase(DescribeTransactionsRequest.self, 0...0) { _ in DescribeTransactionsRequest(transactionalIds: ["txn-a", "txn-b"]) },
    CodecCase(DescribeTransactionsResponse.self, 0...0) { _ in
        DescribeTransactionsResponse(throttleTimeMs: 10, transactionStates: [
            .init(errorCode: 0, transactionalId: "txn-a", transactionState: "Ongoing", transactionTimeoutMs: 60_000,
                  transactionStartTimeMs: 1_700_000_000_000, producerId: 4001, producerEpoch: 3,
                  topics: [.init(name: "orders", partitionIndexes: [0, 2]), .init(name: "__consumer_offsets", partitionIndexes: [17])]),
            .init(errorCode: 105, transactionalId: "txn-b"),
        ])
    },
    CodecCase(ListTransactionsRequest.self, 0...1) { v in
        ListTransactionsRequest(stateFilters: ["Ongoing", "PrepareCommit"], producerIdFilters: [4001, 4002], durationFilterMs: v >= 1 ? 30_000 : -1)
    },
    CodecCase(ListTransactionsResponse.self, 0...1) { _ in
        ListTransactionsResponse(throttleTimeMs: 11, errorCode: 14, unknownStateFilters: ["Bogus"],
                                 transactionStates: [.init(transactionalId: "txn-a", producerId: 4001, transactionState: "Ongoing")])
    },
]
