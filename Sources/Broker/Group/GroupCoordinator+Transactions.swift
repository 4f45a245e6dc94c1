import KafkaProtocol
import NIOCore
import Replication

extension GroupCoordinator {
    /// TxnOffsetCommit: a v3 request that names the consumer's generation and member is first
    /// checked against the group, so a zombie consumer's producer is fenced (KIP-447). The offsets
    /// are then written to the group's `__consumer_offsets` partition as a transactional batch of
    /// the producer (replicated as acks=all before the answer, as Kafka does) and wait, per
    /// producer, until the transaction's marker reaches that partition; a commit then makes them the
    /// group's offsets, an abort drops them. A coordinator that loads the partition (after a restart
    /// or a move of its leadership) finds them in the log, pending or resolved by the marker that
    /// follows them.
    func transactionalCommit(_ request: TxnOffsetCommitRequest, knownTopics: Set<String>) async -> TxnOffsetCommitResponse {
        func answer(_ code: (TopicPartition) -> ErrorCode) -> TxnOffsetCommitResponse {
            TxnOffsetCommitResponse(topics: request.topics.map { topic in
                .init(name: topic.name, partitions: topic.partitions.map {
                    .init(partitionIndex: $0.partitionIndex, errorCode: code(TopicPartition(topic.name, $0.partitionIndex)).rawValue)
                })
            })
        }
        if let error = ownership(of: request.groupId) { return answer { _ in error } }
        if request.groupId.isEmpty { return answer { _ in .invalidGroupId } }
        let check = state.withLockedValue { state -> ErrorCode in
            let group = state.groups[request.groupId] ?? GroupState(groupId: request.groupId, nowMs: 0)
            return machine.transactionalCommitCheck(group, memberId: request.memberId, groupInstanceId: request.groupInstanceId,
                                                    generationId: request.generationId)
        }
        guard check == .none else { return answer { _ in check } }
        let now = BrokerClock.wallMs()
        var errors: [TopicPartition: ErrorCode] = [:]
        var accepted: [TopicPartition: OffsetsTopic.CommittedOffset] = [:]
        for topic in request.topics {
            for partition in topic.partitions {
                let tp = TopicPartition(topic.name, partition.partitionIndex)
                guard knownTopics.contains(topic.name) else { errors[tp] = .unknownTopicOrPartition; continue }
                if let metadata = partition.committedMetadata, metadata.utf8.count > 4096 { errors[tp] = .offsetMetadataTooLarge; continue }
                accepted[tp] = OffsetsTopic.CommittedOffset(offset: partition.committedOffset, leaderEpoch: partition.committedLeaderEpoch,
                                                            metadata: partition.committedMetadata ?? "", commitTimestampMs: now)
            }
        }
        if !accepted.isEmpty {
            let records = accepted.sorted { $0.key < $1.key }.map {
                (key: OffsetsTopic.offsetKey(group: request.groupId, partition: $0.key), value: Optional(OffsetsTopic.offsetValue($0.value)))
            }
            let stored = await append(records, group: request.groupId, transactional: (request.producerId, request.producerEpoch))
            guard stored == .none else { return answer { errors[$0] ?? stored } }
        }
        state.withLockedValue { state in
            state.transactionalOffsets[request.producerId, default: [:]][request.groupId, default: [:]].merge(accepted) { _, new in new }
        }
        return answer { errors[$0] ?? .none }
    }

    /// The marker of `producerId`'s transaction is written (and replicated) in `__consumer_offsets`
    /// partition `offsetsPartition`: applies (commit) or drops (abort) its pending offsets for the
    /// groups there. The marker itself makes them durable: a load replays them from the log. While
    /// the partition is loading it answers COORDINATOR_LOAD_IN_PROGRESS, because the load may not
    /// have read the marker: the transaction coordinator retries it once the load is done.
    func completeTransaction(producerId: Int64, committed: Bool, offsetsPartition: Int32) async -> ErrorCode {
        state.withLockedValue { state in
            if state.partitions[offsetsPartition] == .loading { return .coordinatorLoadInProgress }
            for group in (state.transactionalOffsets[producerId] ?? [:]).keys where partition(for: group) == offsetsPartition {
                if committed, let offsets = state.transactionalOffsets[producerId]?[group] {
                    for (tp, offset) in offsets { state.offsets[group, default: [:]][tp] = offset }
                }
                state.transactionalOffsets[producerId]?[group] = nil
            }
            if state.transactionalOffsets[producerId]?.isEmpty == true { state.transactionalOffsets[producerId] = nil }
            return .none
        }
    }
}
