import KafkaProtocol

/// The transaction coordinator's state machine (Kafka's `TransactionCoordinator` and
/// `TransactionStateManager`, KIP-98, KIP-360, KIP-588), doing no I/O.
///
/// Every request is decided by a non-mutating method that returns a `TransactionDecision`; the
/// owner writes `decision.record` to `__transaction_state`, and only once that write is durable
/// calls `apply` with it (loading the log replays the same records through `apply`). If markers are
/// due, the owner writes them to the data partitions and then asks `completion(of:)` for the
/// Complete* record. A write that fails leaves the state untouched, so the request can be retried.
///
/// Not thread-safe: owned by one coordinator, which decides and applies under one lock so no other
/// request sees the state between a decision and its record.
public struct TransactionCoordinatorState: Sendable, Equatable {
    /// Kafka's `transaction.max.timeout.ms` default: a producer may not ask for a longer timeout.
    public static let defaultMaxTransactionTimeoutMs: Int32 = 900_000

    public let maxTransactionTimeoutMs: Int32
    public private(set) var transactions: [String: TransactionMetadata] = [:]
    let seededBugs: SeededBugs

    public init(maxTransactionTimeoutMs: Int32 = defaultMaxTransactionTimeoutMs, seededBugs: SeededBugs = []) {
        self.maxTransactionTimeoutMs = maxTransactionTimeoutMs
        self.seededBugs = seededBugs
    }

    /// Makes a durable record the current state of its transactional id (after its write, or when
    /// loading `__transaction_state`). A Dead record removes the id.
    public mutating func apply(_ record: TransactionMetadata) {
        if record.state == .dead {
            transactions[record.transactionalId] = nil
        } else {
            transactions[record.transactionalId] = record
        }
    }

    public mutating func removeAll() { transactions = [:] }

    // MARK: InitProducerId

    /// InitProducerId with a transactional id. A new id gets a new producer id at epoch 0; a known
    /// one gets its epoch bumped (a new producer id when the epoch is exhausted), which fences every
    /// older producer with the same id. An open transaction is aborted first with the bumped epoch
    /// and the client told CONCURRENT_TRANSACTIONS, so it retries once the abort is complete.
    ///
    /// `expected` is KIP-360's producer id and epoch (InitProducerId v3+), -1/-1 when absent.
    /// `newProducerId` is called only when a new producer id is needed.
    public func initProducerId(transactionalId: String, transactionTimeoutMs: Int32, expected: (producerId: Int64, epoch: Int16) = (-1, -1),
                               nowMs: Int64, newProducerId: () -> Int64?) -> TransactionDecision {
        guard !transactionalId.isEmpty else { return .reject(.invalidRequest) }
        guard transactionTimeoutMs > 0, transactionTimeoutMs <= maxTransactionTimeoutMs else { return .reject(.invalidTransactionTimeout) }
        guard var metadata = transactions[transactionalId] else {
            guard let id = newProducerId() else { return .reject(.coordinatorNotAvailable) }
            return TransactionDecision(record: TransactionMetadata(transactionalId: transactionalId, producerId: id, producerEpoch: 0,
                                                                   transactionTimeoutMs: transactionTimeoutMs, state: .empty, lastUpdateMs: nowMs))
        }
        if expected.producerId >= 0 {
            let isCurrent = expected.producerId == metadata.producerId && expected.epoch == metadata.producerEpoch
            let isRetry = expected.producerId == metadata.lastProducerId && expected.epoch == metadata.lastProducerEpoch
            if isRetry, !metadata.state.isCompleting {
                // The bump this producer asked for already happened: answer it again.
                return TransactionDecision()
            }
            if !isCurrent && !isRetry { return .reject(.producerFenced) }
        }
        switch metadata.state {
        case .prepareCommit, .prepareAbort, .prepareEpochFence, .dead:
            return .reject(.concurrentTransactions)
        case .ongoing:
            return fenceAndAbort(metadata, nowMs: nowMs, answer: .concurrentTransactions)
        case .empty, .completeCommit, .completeAbort:
            // As Kafka records it: the epoch this bump replaced, which a retry of the same bump
            // names, only when the producer named it; a bump without it (a new session) and a
            // fence (`fenceAndAbort`) leave none, so a producer still on the old epoch is fenced.
            metadata.lastProducerId = metadata.producerId
            metadata.lastProducerEpoch = expected.producerId >= 0 ? metadata.producerEpoch : -1
            if metadata.producerEpoch >= Int16.max - 1 {
                guard let id = newProducerId() else { return .reject(.coordinatorNotAvailable) }
                metadata.producerId = id
                metadata.producerEpoch = 0
            } else {
                metadata.producerEpoch += 1
            }
            metadata.transactionTimeoutMs = transactionTimeoutMs
            metadata.state = .empty
            metadata.partitions = []
            metadata.transactionStartMs = -1
            metadata.lastUpdateMs = nowMs
            return TransactionDecision(record: metadata)
        }
    }

    /// The producer id and epoch the client receives after an InitProducerId decision was applied.
    public func producer(of transactionalId: String) -> (producerId: Int64, epoch: Int16)? {
        transactions[transactionalId].map { ($0.producerId, $0.producerEpoch) }
    }

    // MARK: AddPartitionsToTxn, AddOffsetsToTxn

    /// AddPartitionsToTxn (and AddOffsetsToTxn with the group's `__consumer_offsets` partition):
    /// the first partition opens the transaction; partitions already in it need no record.
    public func addPartitions(transactionalId: String, producerId: Int64, producerEpoch: Int16,
                              partitions: Set<TopicPartition>, nowMs: Int64) -> TransactionDecision {
        var metadata: TransactionMetadata
        switch validate(transactionalId, producerId: producerId, producerEpoch: producerEpoch) {
        case .failure(let error): return .reject(error)
        case .success(let found): metadata = found
        }
        switch metadata.state {
        case .prepareCommit, .prepareAbort:
            return .reject(.concurrentTransactions)
        case .dead, .prepareEpochFence:
            return .reject(.invalidTxnState)
        case .ongoing where partitions.isSubset(of: metadata.partitions):
            return TransactionDecision()
        case .empty, .completeCommit, .completeAbort, .ongoing:
            if metadata.state != .ongoing {
                metadata.partitions = []
                metadata.transactionStartMs = nowMs
            }
            metadata.state = .ongoing
            metadata.partitions.formUnion(partitions)
            metadata.lastUpdateMs = nowMs
            return TransactionDecision(record: metadata)
        }
    }

    // MARK: EndTxn

    /// EndTxn from the client: an open transaction moves to PrepareCommit or PrepareAbort and its
    /// markers are due. A retry of the same outcome succeeds; the other outcome is INVALID_TXN_STATE.
    public func endTransaction(transactionalId: String, producerId: Int64, producerEpoch: Int16, commit: Bool, nowMs: Int64) -> TransactionDecision {
        let metadata: TransactionMetadata
        switch validate(transactionalId, producerId: producerId, producerEpoch: producerEpoch) {
        case .failure(let error): return .reject(error)
        case .success(let found): metadata = found
        }
        switch (metadata.state, commit) {
        case (.ongoing, _):
            return prepareEnd(metadata, commit: commit, nowMs: nowMs)
        case (.completeCommit, true), (.completeAbort, false):
            return TransactionDecision()
        case (.prepareCommit, true), (.prepareAbort, false):
            return .reject(.concurrentTransactions)
        case (.empty, _), (.completeCommit, false), (.completeAbort, true), (.prepareCommit, false), (.prepareAbort, true),
             (.dead, _), (.prepareEpochFence, _):
            return .reject(.invalidTxnState)
        }
    }

    // MARK: Markers and timeouts

    /// After every marker of a Prepare* transaction is written: the Complete* record, which closes
    /// the transaction. Nil when the id is not completing (already completed, or moved on).
    public func completion(of transactionalId: String, nowMs: Int64) -> TransactionMetadata? {
        guard var metadata = transactions[transactionalId], metadata.state.isCompleting else { return nil }
        metadata.state = metadata.state == .prepareCommit ? .completeCommit : .completeAbort
        metadata.partitions = []
        metadata.transactionStartMs = -1
        metadata.lastUpdateMs = nowMs
        return metadata
    }

    /// The markers a completing transaction still needs (after a coordinator restart, for instance).
    public func pendingMarkers(of transactionalId: String) -> TransactionMarkers? {
        guard let metadata = transactions[transactionalId], metadata.state.isCompleting else { return nil }
        return markers(metadata)
    }

    /// Open transactions older than their `transaction.timeout.ms`, oldest first.
    public func expiredTransactions(nowMs: Int64) -> [String] {
        transactions.values
            .filter { $0.state == .ongoing && $0.transactionStartMs >= 0 && nowMs - $0.transactionStartMs > Int64($0.transactionTimeoutMs) }
            .sorted { ($0.transactionStartMs, $0.transactionalId) < ($1.transactionStartMs, $1.transactionalId) }
            .map(\.transactionalId)
    }

    /// Aborts a timed-out transaction as Kafka does: the epoch is bumped, so the producer that let
    /// it expire is fenced (PRODUCER_FENCED on its next request) and its late records are refused.
    public func abortExpired(transactionalId: String, nowMs: Int64) -> TransactionDecision {
        guard let metadata = transactions[transactionalId], metadata.state == .ongoing else { return .reject(.invalidTxnState) }
        return fenceAndAbort(metadata, nowMs: nowMs, answer: .none)
    }

    // MARK: Helpers

    /// Kafka's checks before AddPartitions, AddOffsets and EndTxn: the id is known, the producer id
    /// is its current one, and the epoch is not stale (a stale epoch is a fenced producer).
    enum Validation { case success(TransactionMetadata), failure(ErrorCode) }

    func validate(_ transactionalId: String, producerId: Int64, producerEpoch: Int16) -> Validation {
        guard let metadata = transactions[transactionalId], metadata.producerId == producerId else {
            return .failure(.invalidProducerIdMapping)
        }
        guard producerEpoch == metadata.producerEpoch || (seededBugs.contains(.fencingIgnored) && producerEpoch < metadata.producerEpoch) else {
            return .failure(producerEpoch < metadata.producerEpoch ? .producerFenced : .invalidProducerEpoch)
        }
        return .success(metadata)
    }

    private func prepareEnd(_ metadata: TransactionMetadata, commit: Bool, nowMs: Int64) -> TransactionDecision {
        var next = metadata
        next.state = commit ? .prepareCommit : .prepareAbort
        next.lastUpdateMs = nowMs
        return TransactionDecision(record: next, markers: markers(next))
    }

    /// Kafka's epoch fence (an InitProducerId during an open transaction, or its timeout): the
    /// epoch is bumped and the transaction aborted with it. No previous epoch is kept, so the fenced
    /// producer's KIP-360 bump with its old epoch is PRODUCER_FENCED, not taken for a retry.
    private func fenceAndAbort(_ metadata: TransactionMetadata, nowMs: Int64, answer: ErrorCode) -> TransactionDecision {
        var next = metadata
        if next.producerEpoch < Int16.max - 1 {
            next.lastProducerId = next.producerId
            next.lastProducerEpoch = -1
            next.producerEpoch += 1
        }
        var decision = prepareEnd(next, commit: false, nowMs: nowMs)
        decision.error = answer
        return decision
    }

    private func markers(_ metadata: TransactionMetadata) -> TransactionMarkers {
        TransactionMarkers(transactionalId: metadata.transactionalId, producerId: metadata.producerId, producerEpoch: metadata.producerEpoch,
                           committed: metadata.state == .prepareCommit, partitions: metadata.sortedPartitions)
    }
}
