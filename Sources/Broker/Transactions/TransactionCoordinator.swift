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
/// Markers go through `TransactionMarkerChannel`: appended here for the partitions this broker
/// leads, sent as WriteTxnMarkers to the other leaders of a cluster.
///
/// Leadership news arrives as unordered tasks (`becameLeader`, `resigned`), so each one checks the
/// replica's current role and leader epoch before acting: a partition is loaded once per leader
/// epoch, and a resignation that a newer leadership overtook is ignored.
actor TransactionCoordinator {
    enum Load: Equatable { case loading, loaded }

    let replicaManager: ReplicaManager
    let markers: TransactionMarkerChannel
    /// The loop the replication waits of state records are scheduled on.
    let loop: any EventLoop
    let allocateProducerId: @Sendable () async throws -> Int64
    /// The partition count of `__transaction_state`: the topic's once it exists, else the configured one.
    let partitionCountNow: @Sendable () -> Int32
    let replicationTimeoutMs: Int64
    let logger: Logger
    private(set) var state: TransactionCoordinatorState
    /// The state partitions this broker leads, with the leader epoch they were loaded at.
    private var partitions: [Int32: (load: Load, leaderEpoch: Int32)] = [:]
    private var busy: Set<String> = []
    /// Fixed once a partition is led: the topic exists then, and its partition count never changes.
    private var partitionCount: Int32

    init(replicaManager: ReplicaManager, markers: TransactionMarkerChannel, loop: any EventLoop, replicationTimeoutMs: Int64, logger: Logger,
         partitionCount: @escaping @Sendable () -> Int32, allocateProducerId: @escaping @Sendable () async throws -> Int64) {
        self.replicaManager = replicaManager
        self.markers = markers
        self.loop = loop
        self.replicationTimeoutMs = replicationTimeoutMs
        self.logger = logger
        self.partitionCountNow = partitionCount
        self.partitionCount = partitionCount()
        self.allocateProducerId = allocateProducerId
        self.state = TransactionCoordinatorState(seededBugs: replicaManager.config.seededBugs)
    }

    /// The `__transaction_state` partition of an id.
    func partition(of transactionalId: String) -> Int32 {
        TransactionStateTopic.partition(for: transactionalId, partitions: partitionCount)
    }

    private func statePartition(_ index: Int32) -> Partition? {
        replicaManager.partition(TopicPartition(TransactionStateTopic.name, index))
    }

    /// The leader epoch of the id's state partition: the coordinator epoch its markers carry.
    private func coordinatorEpoch(_ transactionalId: String) -> Int32 {
        statePartition(partition(of: transactionalId))?.replicaState.leaderEpoch ?? -1
    }

    /// NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS when this broker cannot serve the id now.
    func ownership(of transactionalId: String) -> ErrorCode? {
        switch partitions[partition(of: transactionalId)]?.load {
        case .loaded: return nil
        case .loading: return .coordinatorLoadInProgress
        case nil: return .notCoordinator
        }
    }

    /// Whether this broker leads any state partition: a FindCoordinator that finds no topic yet
    /// and an InitProducerId that finds no coordinator here use it to create the topic.
    var leadsAnyPartition: Bool { !partitions.isEmpty }

    // MARK: Leadership of __transaction_state partitions

    /// Loads the partition's ids from its log, once per leader epoch, then finishes the
    /// transactions the previous coordinator left between their Prepare and Complete records.
    func becameLeader(of index: Int32) async {
        guard let replica = statePartition(index), replica.replicaState.role == .leader else { return }
        let epoch = replica.replicaState.leaderEpoch
        if let current = partitions[index], current.leaderEpoch == epoch { return }
        // Led before at an older epoch: another coordinator may have written since; start over.
        if partitions[index] != nil { forget(index) }
        if partitions.isEmpty { partitionCount = partitionCountNow() }
        partitions[index] = (.loading, epoch)
        let records = await readPartition(index)
        guard partitions[index]?.load == .loading, partitions[index]?.leaderEpoch == epoch else { return }
        for record in records { state.apply(record) }
        partitions[index] = (.loaded, epoch)
        logger.info("loaded \(TransactionStateTopic.name)-\(index) at leader epoch \(epoch): \(records.count) record(s)")
        for (id, metadata) in state.transactions where metadata.state.isCompleting && partition(of: id) == index {
            await finishMarkers(id)
        }
    }

    /// Unloads the partition's ids, unless this broker leads it again by now.
    func resigned(from index: Int32) {
        if let replica = statePartition(index), replica.replicaState.role == .leader,
           replica.replicaState.leaderEpoch == partitions[index]?.leaderEpoch { return }
        forget(index)
    }

    private func forget(_ index: Int32) {
        guard partitions.removeValue(forKey: index) != nil else { return }
        logger.info("unloaded \(TransactionStateTopic.name)-\(index)")
        for id in state.transactions.keys where partition(of: id) == index {
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

    /// `expected` is the producer's current id and epoch from InitProducerId v3+ (KIP-360), -1/-1 when absent.
    func initProducerId(transactionalId: String, transactionTimeoutMs: Int32,
                        expected: (producerId: Int64, epoch: Int16) = (-1, -1)) async -> (ErrorCode, producerId: Int64, epoch: Int16) {
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
                state.initProducerId(transactionalId: transactionalId, transactionTimeoutMs: transactionTimeoutMs, expected: expected,
                                     nowMs: now) { fresh }
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
        let unfinished = state.transactions.values.filter {
            $0.state.isCompleting && !busy.contains($0.transactionalId) && ownership(of: $0.transactionalId) == nil
        }.prefix(limit)
        for metadata in unfinished { await finishMarkers(metadata.transactionalId) }
    }

    // MARK: DescribeTransactions, ListTransactions

    /// Each id as this coordinator holds it; NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS for an
    /// id whose partition it does not serve now, INVALID_REQUEST for an empty id (as Kafka answers).
    func describe(_ transactionalIds: [String]) -> DescribeTransactionsResponse {
        DescribeTransactionsResponse(transactionStates: transactionalIds.map { id in
            guard !id.isEmpty else { return .init(errorCode: ErrorCode.invalidRequest.rawValue, transactionalId: id) }
            if let error = ownership(of: id) { return .init(errorCode: error.rawValue, transactionalId: id) }
            return state.describe(id)
        })
    }

    /// The ids of every partition this broker coordinates (the client asks every broker), or
    /// COORDINATOR_LOAD_IN_PROGRESS while one of them is loading, since its ids would be missing.
    func list(_ request: ListTransactionsRequest) -> ListTransactionsResponse {
        if partitions.values.contains(where: { $0.load == .loading }) {
            return ListTransactionsResponse(errorCode: ErrorCode.coordinatorLoadInProgress.rawValue, transactionStates: [])
        }
        return state.list(request, nowMs: BrokerClock.wallMs())
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
            // The partition may have been unloaded during the write: its new leader reloads the record.
            guard ownership(of: transactionalId) == nil else { return .notCoordinator }
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
        let epoch = coordinatorEpoch(transactionalId)
        let failed = await markers.deliver(producerId: pending.producerId, producerEpoch: pending.producerEpoch, committed: pending.committed,
                                           coordinatorEpoch: epoch, partitions: pending.partitions)
        // The partition may have moved to another coordinator while the markers were out: its
        // records are that coordinator's to write now.
        guard ownership(of: transactionalId) == nil, coordinatorEpoch(transactionalId) == epoch else { return }
        guard failed.isEmpty else {
            logger.warning("markers of transaction \(transactionalId) not written yet: \(failed.map { "\($0.key): \($0.value.name)" }.sorted())")
            return
        }
        guard let complete = state.completion(of: transactionalId, nowMs: BrokerClock.wallMs()) else { return }
        if await write(complete) == .none, ownership(of: transactionalId) == nil { state.apply(complete) }
    }

    /// Appends a record to the id's state partition and waits until it is replicated.
    private func write(_ record: TransactionMetadata) async -> ErrorCode {
        let tp = TopicPartition(TransactionStateTopic.name, partition(of: record.transactionalId))
        guard let partition = replicaManager.partition(tp) else { return .notCoordinator }
        let now = BrokerClock.wallMs()
        let batch = RecordBatchBuilder().build([.init(key: TransactionStateTopic.key(record.transactionalId),
                                                      value: TransactionStateTopic.value(record), timestampMs: now)])
        let appended = try? await replicaManager.storage.run { partition.appendAsLeader([batch], requiredAcks: -1, nowMs: now) }
        switch appended ?? .rejected(.kafkaStorageError, "the storage threads are stopped") {
        case .rejected(let code, _):
            return code == .notLeaderOrFollower ? .notCoordinator : .coordinatorNotAvailable
        case .appended(_, let last, _, _):
            let outcome = try? await DelayedProduce.wait(for: [(partition, last + 1)], timeoutMs: replicationTimeoutMs, eventLoop: loop,
                                                             storage: replicaManager.storage).get()
            switch outcome?[tp] ?? .requestTimedOut {
            case .none: return .none
            case .notLeaderOrFollower: return .notCoordinator
            default: return .coordinatorNotAvailable
            }
        }
    }
}
