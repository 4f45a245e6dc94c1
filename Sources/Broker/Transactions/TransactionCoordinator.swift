import KafkaProtocol
import Logging
import NIOCore
import Replication

/// The transaction coordinator of this broker: the transactional ids whose `__transaction_state`
/// partition this broker leads. It loads a partition's ids from the log when it becomes leader
/// (COORDINATOR_LOAD_IN_PROGRESS meanwhile) and finishes any transaction the log left half-ended;
/// it decides each request with `TransactionCoordinatorState`, writes the decision's record to the
/// partition (replicated as acks=all) before applying and answering, then has the markers written
/// and records the transaction complete. A periodic tick aborts transactions past their timeout and
/// retries markers that failed.
///
/// Owner: the actor. A request for an id whose previous request is still writing is answered
/// CONCURRENT_TRANSACTIONS (Kafka's pending state), so a decision never races its own record.
///
/// Markers are written through `TransactionMarkerWriter` on this broker: a standalone broker leads
/// every partition. A cluster needs WriteTxnMarkers to other leaders and a replicated state topic;
/// the cluster broker does not serve transactions yet.
actor TransactionCoordinator {
    enum Load: Equatable { case loading, loaded }

    let replicaManager: ReplicaManager
    let markers: TransactionMarkerWriter
    let allocateProducerId: @Sendable () async throws -> Int64
    let replicationTimeoutMs: Int64
    let logger: Logger
    private(set) var state = TransactionCoordinatorState()
    private var partitions: [Int32: Load] = [:]
    private var busy: Set<String> = []

    init(replicaManager: ReplicaManager, markers: TransactionMarkerWriter, replicationTimeoutMs: Int64, logger: Logger,
         allocateProducerId: @escaping @Sendable () async throws -> Int64) {
        self.replicaManager = replicaManager
        self.markers = markers
        self.replicationTimeoutMs = replicationTimeoutMs
        self.logger = logger
        self.allocateProducerId = allocateProducerId
    }

    /// The leader epoch of the id's state partition: the coordinator epoch its markers carry.
    private func coordinatorEpoch(_ transactionalId: String) -> Int32 {
        replicaManager.partition(TopicPartition(TransactionStateTopic.name, TransactionStateTopic.partition(for: transactionalId)))?
            .replicaState.leaderEpoch ?? -1
    }

    /// NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS when this broker cannot serve the id now.
    func ownership(of transactionalId: String) -> ErrorCode? {
        switch partitions[TransactionStateTopic.partition(for: transactionalId)] {
        case .loaded: return nil
        case .loading: return .coordinatorLoadInProgress
        case nil: return .notCoordinator
        }
    }

    // MARK: Leadership of __transaction_state partitions

    func becameLeader(of index: Int32) async {
        guard partitions[index] == nil else { return }
        partitions[index] = .loading
        let records = await readPartition(index)
        guard partitions[index] == .loading else { return }
        for record in records { state.apply(record) }
        partitions[index] = .loaded
        logger.info("loaded \(TransactionStateTopic.name)-\(index): \(records.count) record(s)")
        // A transaction the log left between its Prepare record and its Complete record.
        for (id, metadata) in state.transactions where metadata.state.isCompleting && TransactionStateTopic.partition(for: id) == index {
            await finishMarkers(id)
        }
    }

    func resigned(from index: Int32) {
        partitions[index] = nil
        for id in state.transactions.keys where TransactionStateTopic.partition(for: id) == index {
            var dead = state.transactions[id]!
            dead.state = .dead
            state.apply(dead)
        }
    }

    private func readPartition(_ index: Int32) async -> [TransactionMetadata] {
        guard let partition = replicaManager.partition(TopicPartition(TransactionStateTopic.name, index)) else { return [] }
        var records: [TransactionMetadata] = []
        var position = partition.logStartOffset
        let end = partition.logEndOffset
        while position < end {
            let from = position
            let read: ByteBuffer? = try? await replicaManager.storage.run {
                partition.withLog { log, _ in try? log.read(from: from, maxBytes: 1 << 20, maxOffset: end, minOneBatch: true).records }
            }
            guard let bytes = read, bytes.readableBytes > 0, let split = try? RecordBatches.split(bytes), !split.batches.isEmpty else { break }
            for batch in split.batches {
                for record in (try? RecordBatches.records(of: batch)) ?? [] {
                    do {
                        records.append(try TransactionStateTopic.decode(key: record.key, value: record.value))
                    } catch {
                        logger.warning("skipping an unreadable \(TransactionStateTopic.name)-\(index) record at \(record.offset): \(error)")
                    }
                }
                position = batch.header.nextOffset
            }
        }
        return records
    }

    // MARK: Requests

    func initProducerId(transactionalId: String, transactionTimeoutMs: Int32) async -> (ErrorCode, producerId: Int64, epoch: Int16) {
        if let error = ownership(of: transactionalId) { return (error, -1, -1) }
        // An open transaction is aborted first; the retry then bumps the epoch again, as a client's
        // retry after CONCURRENT_TRANSACTIONS would.
        for _ in 0..<2 {
            let needsNewId = state.transactions[transactionalId].map { $0.producerEpoch >= Int16.max - 1 } ?? true
            var fresh: Int64?
            if needsNewId {
                guard let id = try? await allocateProducerId() else { return (.coordinatorNotAvailable, -1, -1) }
                fresh = id
            }
            let now = BrokerClock.wallMs()
            let error = await run(transactionalId) { state in
                state.initProducerId(transactionalId: transactionalId, transactionTimeoutMs: transactionTimeoutMs, nowMs: now) { fresh }
            }
            if error == .concurrentTransactions, state.transactions[transactionalId]?.state.isCompleting == false { continue }
            guard error == .none, let producer = state.producer(of: transactionalId) else { return (error, -1, -1) }
            return (.none, producer.producerId, producer.epoch)
        }
        return (.concurrentTransactions, -1, -1)
    }

    func addPartitions(transactionalId: String, producerId: Int64, producerEpoch: Int16, partitions: Set<TopicPartition>) async -> ErrorCode {
        if let error = ownership(of: transactionalId) { return error }
        let now = BrokerClock.wallMs()
        return await run(transactionalId) {
            $0.addPartitions(transactionalId: transactionalId, producerId: producerId, producerEpoch: producerEpoch, partitions: partitions, nowMs: now)
        }
    }

    func endTransaction(transactionalId: String, producerId: Int64, producerEpoch: Int16, commit: Bool) async -> ErrorCode {
        if let error = ownership(of: transactionalId) { return error }
        let now = BrokerClock.wallMs()
        return await run(transactionalId) {
            $0.endTransaction(transactionalId: transactionalId, producerId: producerId, producerEpoch: producerEpoch, commit: commit, nowMs: now)
        }
    }

    /// Aborts expired transactions and retries unfinished markers; at most `limit` ids a tick.
    func tick(limit: Int = 100) async {
        let now = BrokerClock.wallMs()
        for id in state.expiredTransactions(nowMs: now).prefix(limit) where !busy.contains(id) {
            logger.info("aborting transaction \(id): older than its transaction.timeout.ms")
            _ = await run(id) { $0.abortExpired(transactionalId: id, nowMs: now) }
        }
        let unfinished = state.transactions.values.filter { $0.state.isCompleting && !busy.contains($0.transactionalId) }.prefix(limit)
        for metadata in unfinished { await finishMarkers(metadata.transactionalId) }
    }

    // MARK: Carrying out decisions

    /// Decides for `transactionalId`, writes the record, applies it, then writes the markers and
    /// the Complete record. Answers the decision's error, or the coordinator error a failed write
    /// leaves. A marker failure leaves the transaction in Prepare*, for the tick to finish.
    private func run(_ transactionalId: String, _ decide: (TransactionCoordinatorState) -> TransactionDecision) async -> ErrorCode {
        guard busy.insert(transactionalId).inserted else { return .concurrentTransactions }
        defer { busy.remove(transactionalId) }
        let decision = decide(state)
        if let record = decision.record {
            let written = await write(record)
            guard written == .none else { return written }
            state.apply(record)
        }
        if decision.markers != nil { await finishMarkersHoldingId(transactionalId) }
        return decision.error
    }

    private func finishMarkers(_ transactionalId: String) async {
        guard busy.insert(transactionalId).inserted else { return }
        defer { busy.remove(transactionalId) }
        await finishMarkersHoldingId(transactionalId)
    }

    private func finishMarkersHoldingId(_ transactionalId: String) async {
        guard let pending = state.pendingMarkers(of: transactionalId) else { return }
        let results = await markers.write(producerId: pending.producerId, producerEpoch: pending.producerEpoch, committed: pending.committed,
                                          coordinatorEpoch: coordinatorEpoch(transactionalId), partitions: pending.partitions)
        let failed = results.filter { $0.value != .none && $0.value != .unknownTopicOrPartition }
        guard failed.isEmpty else {
            logger.warning("markers of transaction \(transactionalId) not written yet: \(failed.map { "\($0.key): \($0.value.name)" }.sorted())")
            return
        }
        guard let complete = state.completion(of: transactionalId, nowMs: BrokerClock.wallMs()) else { return }
        if await write(complete) == .none { state.apply(complete) }
    }

    /// Appends a record to the id's state partition and waits until it is replicated.
    private func write(_ record: TransactionMetadata) async -> ErrorCode {
        let tp = TopicPartition(TransactionStateTopic.name, TransactionStateTopic.partition(for: record.transactionalId))
        guard let partition = replicaManager.partition(tp) else { return .notCoordinator }
        let now = BrokerClock.wallMs()
        let batch = RecordBatchBuilder().build([.init(key: TransactionStateTopic.key(record.transactionalId),
                                                      value: TransactionStateTopic.value(record), timestampMs: now)])
        let appended = try? await replicaManager.storage.run { partition.appendAsLeader([batch], requiredAcks: -1, nowMs: now) }
        switch appended ?? .rejected(.kafkaStorageError, "the storage threads are stopped") {
        case .rejected(let code, _):
            return code == .notLeaderOrFollower ? .notCoordinator : .coordinatorNotAvailable
        case .appended(_, let last, _, _):
            let outcome = try? await DelayedProduce.wait(for: [(partition, last + 1)], timeoutMs: replicationTimeoutMs, eventLoop: markers.loop,
                                                             storage: replicaManager.storage).get()
            switch outcome?[tp] ?? .requestTimedOut {
            case .none: return .none
            case .notLeaderOrFollower: return .notCoordinator
            default: return .coordinatorNotAvailable
            }
        }
    }
}
