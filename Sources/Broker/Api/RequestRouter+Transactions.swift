import KafkaProtocol
import NIOCore
import Replication

extension RequestRouter {
    /// AddPartitionsToTxn, AddOffsetsToTxn, EndTxn, DescribeTransactions and ListTransactions go to
    /// the transaction coordinator, TxnOffsetCommit to the group coordinator, WriteTxnMarkers (from a
    /// coordinator on another broker of the cluster) to the marker writer, which answers per
    /// partition as leader.
    func handleTransactionRequest(_ context: RequestContext, body: inout ByteBuffer) throws -> EventLoopFuture<(any KafkaMessage)?> {
        let version = context.version
        let loop = context.eventLoop
        // A promise is made only once the request decoded and is answered by a task: one left
        // uncompleted would never answer the client.
        func answer(_ body: @escaping @Sendable () async -> (any KafkaMessage)?) -> EventLoopFuture<(any KafkaMessage)?> {
            let promise = loop.makePromise(of: (any KafkaMessage)?.self)
            promise.completeWithTask(body)
            return promise.futureResult
        }
        let coordinator = broker.transactions
        switch context.apiKey {
        case .addPartitionsToTxn:
            let request = try AddPartitionsToTxnRequest(from: &body, version: version)
            let known = Set(broker.metadata.snapshot.topicNames)
            return answer { await Self.addPartitions(request, known: known, coordinator: coordinator, version: version) }
        case .addOffsetsToTxn:
            let request = try AddOffsetsToTxnRequest(from: &body, version: version)
            let offsets = TopicPartition(OffsetsTopic.name, broker.groups.partition(for: request.groupId))
            return answer {
                let error = await coordinator.addPartitions(transactionalId: request.transactionalId, producerId: request.producerId,
                                                            producerEpoch: request.producerEpoch, partitions: [offsets])
                return AddOffsetsToTxnResponse(errorCode: Self.fencing(error, version: version).rawValue)
            }
        case .endTxn:
            let request = try EndTxnRequest(from: &body, version: version)
            return answer {
                let error = await coordinator.endTransaction(transactionalId: request.transactionalId, producerId: request.producerId,
                                                             producerEpoch: request.producerEpoch, commit: request.committed)
                return EndTxnResponse(errorCode: Self.fencing(error, version: version).rawValue)
            }
        case .txnOffsetCommit:
            let request = try TxnOffsetCommitRequest(from: &body, version: version)
            let known = Set(broker.metadata.snapshot.topicNames)
            let groups = broker.groups
            return answer { await groups.transactionalCommit(request, knownTopics: known) }
        case .writeTxnMarkers:
            let request = try WriteTxnMarkersRequest(from: &body, version: version)
            let writer = broker.markerWriter
            return answer {
                var answers: [WriteTxnMarkersResponse.Marker] = []
                for marker in request.markers {
                    let partitions = marker.topics.flatMap { topic in topic.partitions.map { TopicPartition(topic.name, $0) } }
                    let results = await writer.write(producerId: marker.producerId, producerEpoch: marker.producerEpoch, committed: marker.transactionResult,
                                                     coordinatorEpoch: marker.coordinatorEpoch, partitions: partitions)
                    answers.append(.init(producerId: marker.producerId, topics: marker.topics.map { topic in
                        .init(name: topic.name, partitions: topic.partitions.map {
                            .init(partitionIndex: $0, errorCode: (results[TopicPartition(topic.name, $0)] ?? .none).rawValue)
                        })
                    }))
                }
                return WriteTxnMarkersResponse(markers: answers)
            }
        case .describeTransactions:
            let request = try DescribeTransactionsRequest(from: &body, version: version)
            return answer { await coordinator.describe(request.transactionalIds) }
        case .listTransactions:
            let request = try ListTransactionsRequest(from: &body, version: version)
            return answer { await coordinator.list(request) }
        default:
            throw ProtocolError.unsupportedVersion(apiKey: context.apiKey.rawValue, version: version)
        }
    }

    /// Kafka's AddPartitionsToTxn: an unknown partition fails the request before the coordinator
    /// sees it (UNKNOWN_TOPIC_OR_PARTITION for it, OPERATION_NOT_ATTEMPTED for the others).
    static func addPartitions(_ request: AddPartitionsToTxnRequest, known: Set<String>, coordinator: TransactionCoordinator,
                              version: Int16) async -> AddPartitionsToTxnResponse {
        let unknown = Set(request.topics.filter { !known.contains($0.name) }.map(\.name))
        let error: ErrorCode? = unknown.isEmpty ? nil : .operationNotAttempted
        var outcome = error ?? .none
        if error == nil {
            let partitions = Set(request.topics.flatMap { topic in topic.partitions.map { TopicPartition(topic.name, $0) } })
            outcome = fencing(await coordinator.addPartitions(transactionalId: request.transactionalId, producerId: request.producerId,
                                                              producerEpoch: request.producerEpoch, partitions: partitions), version: version)
        }
        return AddPartitionsToTxnResponse(results: request.topics.map { topic in
            .init(name: topic.name, partitions: topic.partitions.map {
                .init(partitionIndex: $0, errorCode: (unknown.contains(topic.name) ? .unknownTopicOrPartition : outcome).rawValue)
            })
        })
    }

    /// PRODUCER_FENCED exists from the versions of KIP-588 (AddPartitionsToTxn, AddOffsetsToTxn and
    /// EndTxn v2); older clients get INVALID_PRODUCER_EPOCH, which they also treat as fencing.
    static func fencing(_ error: ErrorCode, version: Int16, firstVersion: Int16 = 2) -> ErrorCode {
        error == .producerFenced && version < firstVersion ? .invalidProducerEpoch : error
    }
}
