import KafkaProtocol
import NIOCore

extension GroupCoordinator {
    /// TxnOffsetCommit: the offsets wait, per producer, until the transaction's marker reaches the
    /// group's `__consumer_offsets` partition; a commit then stores them as ordinary commits, an
    /// abort drops them. They are held in memory: a broker restart between the offsets and the
    /// commit loses them (Kafka writes them to the log as transactional records).
    func transactionalCommit(_ request: TxnOffsetCommitRequest, knownTopics: Set<String>) -> TxnOffsetCommitResponse {
        func answer(_ code: (TopicPartition) -> ErrorCode) -> TxnOffsetCommitResponse {
            TxnOffsetCommitResponse(topics: request.topics.map { topic in
                .init(name: topic.name, partitions: topic.partitions.map {
                    .init(partitionIndex: $0.partitionIndex, errorCode: code(TopicPartition(topic.name, $0.partitionIndex)).rawValue)
                })
            })
        }
        if let error = ownership(of: request.groupId) { return answer { _ in error } }
        if request.groupId.isEmpty { return answer { _ in .invalidGroupId } }
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
        state.withLockedValue { state in
            state.transactionalOffsets[request.producerId, default: [:]][request.groupId, default: [:]].merge(accepted) { _, new in new }
        }
        return answer { errors[$0] ?? .none }
    }

    /// The marker of `producerId`'s transaction is in `__consumer_offsets` partition
    /// `offsetsPartition`: applies (commit) or drops (abort) its pending offsets for the groups
    /// there. Answers NONE, or the write's error with the offsets kept for a retry.
    func completeTransaction(producerId: Int64, committed: Bool, offsetsPartition: Int32) async -> ErrorCode {
        let pending = state.withLockedValue { state in
            (state.transactionalOffsets[producerId] ?? [:]).filter { partition(for: $0.key) == offsetsPartition }
        }
        for (group, offsets) in pending.sorted(by: { $0.key < $1.key }) {
            if committed && !offsets.isEmpty {
                let records = offsets.sorted { $0.key < $1.key }.map {
                    (key: OffsetsTopic.offsetKey(group: group, partition: $0.key), value: Optional(OffsetsTopic.offsetValue($0.value)))
                }
                let stored = await append(records, group: group)
                guard stored == .none else { return stored }
            }
            state.withLockedValue { state in
                if committed {
                    for (tp, offset) in offsets { state.offsets[group, default: [:]][tp] = offset }
                }
                state.transactionalOffsets[producerId]?[group] = nil
                if state.transactionalOffsets[producerId]?.isEmpty == true { state.transactionalOffsets[producerId] = nil }
            }
        }
        return .none
    }
}
