import KafkaProtocol

extension TransactionState {
    /// The state Kafka names `name` (as ListTransactions' state filters spell it), nil for any other text.
    public init?(name: String) {
        guard let state = Self.allCases.first(where: { $0.description == name }) else { return nil }
        self = state
    }
}

/// DescribeTransactions and ListTransactions (KIP-664, KIP-994) answered from the ids this state
/// holds, as Kafka's `TransactionStateManager` answers them. Whether this coordinator owns an id's
/// partition, or is still loading one, is the owner's to check first.
extension TransactionCoordinatorState {
    /// One id's entry: TRANSACTIONAL_ID_NOT_FOUND when the id is unknown (or Dead), else its producer,
    /// state, timeout, start time and the partitions of its current transaction.
    public func describe(_ transactionalId: String) -> DescribeTransactionsResponse.State {
        guard let metadata = transactions[transactionalId], metadata.state != .dead else {
            return .init(errorCode: ErrorCode.transactionalIdNotFound.rawValue, transactionalId: transactionalId)
        }
        let byTopic = Dictionary(grouping: metadata.sortedPartitions, by: \.topic)
        return .init(errorCode: ErrorCode.none.rawValue, transactionalId: transactionalId, transactionState: metadata.state.description,
                     transactionTimeoutMs: metadata.transactionTimeoutMs, transactionStartTimeMs: metadata.transactionStartMs,
                     producerId: metadata.producerId, producerEpoch: metadata.producerEpoch,
                     topics: byTopic.keys.sorted().map { .init(name: $0, partitionIndexes: byTopic[$0]!.map(\.partition)) })
    }

    /// Every id that passes all three filters, sorted by id. An empty filter passes everything; a
    /// state filter that names no state matches nothing and is echoed in `unknownStateFilters`. The
    /// duration filter (>= 0) keeps transactions open for longer than that many milliseconds at
    /// `nowMs`; an id with no open transaction has no duration and fails it.
    public func list(_ request: ListTransactionsRequest, nowMs: Int64) -> ListTransactionsResponse {
        let states = Set(request.stateFilters.compactMap(TransactionState.init(name:)))
        let unknown = request.stateFilters.filter { TransactionState(name: $0) == nil }
        let producers = Set(request.producerIdFilters)
        let listed = transactions.values.filter { metadata in
            if metadata.state == .dead { return false }
            if !producers.isEmpty && !producers.contains(metadata.producerId) { return false }
            if !request.stateFilters.isEmpty && !states.contains(metadata.state) { return false }
            if request.durationFilterMs >= 0 {
                guard metadata.transactionStartMs >= 0, nowMs - metadata.transactionStartMs > request.durationFilterMs else { return false }
            }
            return true
        }
        return ListTransactionsResponse(unknownStateFilters: unknown, transactionStates: listed.sorted { $0.transactionalId < $1.transactionalId }.map {
            .init(transactionalId: $0.transactionalId, producerId: $0.producerId, transactionState: $0.state.description)
        })
    }
}
