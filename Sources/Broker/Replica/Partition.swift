import KafkaProtocol
import Logging
import LogStore
import NIOConcurrencyHelpers
import NIOCore
import Replication

/// One partition hosted by this broker: its log, its replication state, and the requests waiting on
/// it (acks=all produces waiting for the HW, fetches waiting for data).
///
/// Owner: `lock` guards `log`, `state`, `config` and `waiters`. Every public method takes the lock
/// for a short, bounded piece of work (an append or a read of at most one fetch's bytes) and never
/// calls out while holding it: directives and waiter wake-ups run after it is released, directives in
/// the order the state produced them (`undelivered`, one thread handing them over at a time). Methods that
/// touch the log's files run on the storage threads (`StorageIO`), never on an event loop: they
/// assert it in debug builds.
public final class Partition: @unchecked Sendable {
    public let topicPartition: TopicPartition
    private let lock = NIOLock()
    private var log: PartitionLog
    private var state: PartitionReplicaState
    private var config: TopicConfig
    private var producers = ProducerStateTable()
    /// Open and aborted transactions and the LSO; rebuilt with `producers` from the log.
    private var transactions = PartitionTransactions()
    private var waiters: [Int: @Sendable () -> Void] = [:]
    private var nextWaiterId = 0
    /// Directives the state produced and the broker has not been handed yet, in the order they were
    /// produced: the events they turn into (became_leader, isr_shrink…) must follow the state's own
    /// order even when two threads change it one right after the other.
    private var undelivered = HandoffQueue<ReplicaDirective>()
    private let directiveHandler: @Sendable (Partition, [ReplicaDirective]) -> Void
    /// Deliberate bugs for testing the lab's checks (`SeededBug`); empty in real use.
    let seededBugs: SeededBugs

    init(topicPartition: TopicPartition, log: PartitionLog, brokerId: Int32, config: TopicConfig, lagTimeMaxMs: Int64,
         seededBugs: SeededBugs = [], directiveHandler: @escaping @Sendable (Partition, [ReplicaDirective]) -> Void) {
        self.topicPartition = topicPartition
        self.log = log
        self.config = config
        self.directiveHandler = directiveHandler
        self.seededBugs = seededBugs
        let leo = log.logEndOffset
        var state = PartitionReplicaState(brokerId: brokerId, highWatermark: 0, logEndOffset: leo,
                                          minInsyncReplicas: config.minInsyncReplicas, lagTimeMaxMs: lagTimeMaxMs)
        state.seededBugs = seededBugs
        state.restoreHighWatermark(log.checkpointedHighWatermark)
        self.state = state
        rebuildProducerState()
    }

    /// Rebuilds the idempotent-producer table from the log after a truncation.
    func rebuildProducers() {
        lock.withLock { rebuildProducerState() }
    }

    /// Replays fetched batches into the idempotent-producer table; caller holds the lock (`withLog`).
    func replayProducers(_ records: ByteBuffer) {
        for batch in (try? RecordBatches.split(records).batches) ?? [] {
            producers.replay(batch.header)
            transactions.replay(batch.header, marker: batch.header.isControl ? (try? TransactionMarker.decode(batch: batch.bytes)) : nil)
        }
    }

    /// Replays every stored batch into the idempotent-producer table (at open and after truncation).
    /// Caller holds the lock, or the object is not yet shared.
    private func rebuildProducerState() {
        producers.removeAll()
        var table = ProducerStateTable()
        var replayed = PartitionTransactions()
        try? log.forEachBatchHeader { header in
            table.replay(header)
            guard header.isControl && header.isTransactional else { return replayed.replay(header, marker: nil) }
            // A marker carries its type in its record: read the control batch back.
            let read = try? log.read(from: header.baseOffset, maxBytes: header.totalSize, maxOffset: header.nextOffset, minOneBatch: true)
            replayed.replay(header, marker: read.flatMap { try? TransactionMarker.decode(batch: $0.records) })
        }
        producers = table
        transactions = replayed
    }

    // MARK: Snapshots

    public struct Status: Sendable, Equatable {
        public var role: PartitionReplicaState.Role
        public var leaderEpoch: Int32
        public var isr: [Int32]
        public var replicas: [Int32]
        public var highWatermark: Int64
        public var logEndOffset: Int64
        public var logStartOffset: Int64
        public var fenced: Bool
        public var minInsyncReplicas: Int
    }

    public var status: Status {
        lock.withLock {
            Status(role: state.role, leaderEpoch: state.leaderEpoch, isr: state.isr, replicas: state.replicas,
                   highWatermark: state.highWatermark, logEndOffset: log.logEndOffset, logStartOffset: log.logStartOffset,
                   fenced: state.fenced, minInsyncReplicas: state.minInsyncReplicas)
        }
    }

    public var replicaState: PartitionReplicaState { lock.withLock { state } }
    public var topicConfig: TopicConfig { lock.withLock { config } }

    // MARK: Role changes

    func becomeLeader(_ leadership: PartitionLeadership, nowMs: Int64) {
        var epochCacheError: String?
        let directives: [ReplicaDirective] = lock.withLock {
            // The epoch cache only matters for followers truncating against this log later; a
            // failure to persist it is reported, and leadership proceeds as Kafka's would.
            do { try log.assignLeaderEpoch(leadership.leaderEpoch, startOffset: log.logEndOffset) } catch {
                epochCacheError = "\(error)"
            }
            return queued(state.becomeLeader(epoch: leadership.leaderEpoch, isr: leadership.isr, replicas: leadership.replicas,
                                             stateVersion: leadership.stateVersion, nowMs: nowMs))
        }
        if let epochCacheError { directiveHandler(self, [.storageError("cannot persist the leader epoch: \(epochCacheError)")]) }
        finish(directives)
    }

    func becomeFollower(_ leadership: PartitionLeadership) {
        let directives = lock.withLock {
            queued(state.becomeFollower(leader: leadership.leader, epoch: leadership.leaderEpoch, isr: leadership.isr,
                                        replicas: leadership.replicas, stateVersion: leadership.stateVersion))
        }
        finish(directives)
    }

    func updateConfig(_ config: TopicConfig) {
        lock.withLock {
            self.config = config
            state.minInsyncReplicas = config.minInsyncReplicas
            log.config = config.log
        }
        wakeWaiters()
    }

    // MARK: Produce

    public enum AppendOutcome: Sendable, Equatable {
        case appended(firstOffset: Int64, lastOffset: Int64, logAppendTimeMs: Int64, logStartOffset: Int64)
        case rejected(ErrorCode, String?)
    }

    /// Appends validated batches as leader. Checks leadership and, for acks=all, min.insync.replicas
    /// before writing anything.
    public func appendAsLeader(_ batches: [ByteBuffer], requiredAcks: Int16, nowMs: Int64) -> AppendOutcome {
        StorageIO.assertOffEventLoop("an append to \(topicPartition)")
        var directives: [ReplicaDirective] = []
        let outcome: AppendOutcome = lock.withLock {
            switch state.appendCheck(requiredAcks: requiredAcks) {
            case .reject(.notLeaderOrFollower): return .rejected(.notLeaderOrFollower, nil)
            case .reject(.notEnoughReplicas):
                return .rejected(.notEnoughReplicas, "ISR \(state.isr) is smaller than min.insync.replicas=\(state.minInsyncReplicas)")
            case .allowed: break
            }
            for batch in batches where batch.readableBytes > Int(config.maxMessageBytes) {
                return .rejected(.messageTooLarge, "batch of \(batch.readableBytes) bytes exceeds max.message.bytes=\(config.maxMessageBytes)")
            }
            // Idempotent producers: a retry of a batch already in the log gets its original offsets;
            // a gap or an old epoch is refused (Kafka sends one batch per partition per request).
            var toAppend: [ByteBuffer] = []
            var duplicate: (Int64, Int64)?
            for batch in batches {
                guard let header = RecordBatchHeader(batch, at: batch.readerIndex) else {
                    return .rejected(.corruptMessage, "a batch of \(batch.readableBytes) bytes is shorter than its header")
                }
                if header.isTransactional, case .reject(let code, let message) = transactions.check(producerId: header.producerId, epoch: header.producerEpoch) {
                    return .rejected(code, message)
                }
                guard header.hasProducerId, header.baseSequence >= 0 else { toAppend.append(batch); continue }
                switch producers.check(producerId: header.producerId, epoch: header.producerEpoch,
                                       firstSequence: header.baseSequence, lastSequence: header.lastSequence, seededBugs: seededBugs) {
                case .append: toAppend.append(batch)
                case .duplicate(let first, let last): duplicate = (first, last)
                case .reject(let code, let message): return .rejected(code, message)
                }
            }
            if toAppend.isEmpty, let (first, last) = duplicate {
                return .appended(firstOffset: first, lastOffset: last, logAppendTimeMs: -1, logStartOffset: log.logStartOffset)
            }
            let appendTime: Int64? = config.logAppendTime ? nowMs : nil
            do {
                let startOffset = log.logEndOffset
                let info = try log.appendAsLeader(toAppend, leaderEpoch: state.leaderEpoch, logAppendTimeMs: appendTime)
                var next = startOffset
                for batch in toAppend {
                    // Every batch has a header: the loop above checked each.
                    guard var header = RecordBatchHeader(batch, at: batch.readerIndex) else { continue }
                    header.baseOffset = next
                    producers.replay(header)
                    transactions.replay(header, marker: nil)
                    next = header.nextOffset
                }
                directives = queued(state.onLocalAppend(logEndOffset: log.logEndOffset))
                return .appended(firstOffset: info.firstOffset, lastOffset: info.lastOffset,
                                 logAppendTimeMs: appendTime ?? -1, logStartOffset: log.logStartOffset)
            } catch let failure as AppendFailure where !failure.rolledBack {
                // Part of the write may still be in the file: the outcome is unknown, which clients
                // learn from a timeout, never from an error that says nothing was written.
                return .rejected(.requestTimedOut, "\(failure)")
            } catch {
                return .rejected(.kafkaStorageError, "\(error)")
            }
        }
        var appended = false
        if case .appended = outcome { appended = true }
        finish(directives, wake: appended)
        return outcome
    }

    /// Appends a transaction marker (a control batch) as leader, ending `producerId`'s transaction
    /// here; a marker with a bumped epoch also fences the producer's older epochs. A marker from a
    /// coordinator epoch older than the last one seen for the producer is refused
    /// (TRANSACTION_COORDINATOR_FENCED): it comes from a zombie coordinator.
    public func appendMarker(producerId: Int64, producerEpoch: Int16, committed: Bool, coordinatorEpoch: Int32, nowMs: Int64) -> AppendOutcome {
        StorageIO.assertOffEventLoop("a marker append to \(topicPartition)")
        let marker = TransactionMarker(type: committed ? .commit : .abort, coordinatorEpoch: coordinatorEpoch)
        let batch = marker.batch(producerId: producerId, producerEpoch: producerEpoch, timestampMs: nowMs)
        var directives: [ReplicaDirective] = []
        let outcome: AppendOutcome = lock.withLock {
            guard state.isLeader else { return .rejected(.notLeaderOrFollower, nil) }
            if case .reject(let code, let message) = transactions.checkMarker(producerId: producerId, coordinatorEpoch: coordinatorEpoch) {
                return .rejected(code, message)
            }
            do {
                let info = try log.appendAsLeader([batch], leaderEpoch: state.leaderEpoch, logAppendTimeMs: nil)
                transactions.recordMarker(producerId: producerId, epoch: producerEpoch, coordinatorEpoch: coordinatorEpoch,
                                          committed: committed, offset: info.firstOffset)
                directives = queued(state.onLocalAppend(logEndOffset: log.logEndOffset))
                return .appended(firstOffset: info.firstOffset, lastOffset: info.lastOffset, logAppendTimeMs: -1, logStartOffset: log.logStartOffset)
            } catch let failure as AppendFailure where !failure.rolledBack {
                return .rejected(.requestTimedOut, "\(failure)")
            } catch {
                return .rejected(.kafkaStorageError, "\(error)")
            }
        }
        var appended = false
        if case .appended = outcome { appended = true }
        finish(directives, wake: appended)
        return outcome
    }

    /// The last stable offset: where read_committed consumers stop.
    public var lastStableOffset: Int64 { lock.withLock { transactions.lastStableOffset(highWatermark: state.highWatermark) } }

    /// Whether an acks=all produce that needs `requiredOffset` (its last offset + 1) is done.
    public func produceCompletion(requiredOffset: Int64) -> ErrorCode? {
        lock.withLock {
            guard state.isLeader else { return .notLeaderOrFollower }
            // Seeded bug ack-before-replication: the leader's own log end stands in for the HW.
            let replicated = seededBugs.contains(.ackBeforeReplication) ? log.logEndOffset : state.highWatermark
            if replicated >= requiredOffset { return ErrorCode.none }
            if state.isrBelowMinimum { return .notEnoughReplicasAfterAppend }
            return nil
        }
    }

    // MARK: DeleteRecords

    /// DeleteRecords on the leader: moves the log start up (whole segments below it go); followers
    /// copy it from the log start offset in the leader's fetch answers. Returns the new log start
    /// (Kafka's low watermark on this replica) or the error.
    public func deleteRecords(before offset: Int64) -> (lowWatermark: Int64, errorCode: ErrorCode) {
        StorageIO.assertOffEventLoop("DeleteRecords on \(topicPartition)")
        return lock.withLock {
            switch state.deleteRecordsDecision(offset) {
            case .refuse(let code):
                return (-1, code)
            case .advance(let target):
                do { try log.advanceLogStart(to: target) } catch { return (-1, .kafkaStorageError) }
                return (log.logStartOffset, .none)
            }
        }
    }

    // MARK: Fetch

    public struct ReadResult: Sendable {
        public var errorCode: ErrorCode
        public var highWatermark: Int64
        public var logStartOffset: Int64
        public var records: ByteBuffer
        public var leaderEpoch: Int32
        /// The LSO, and for a read_committed read the aborted transactions in the range read.
        public var lastStableOffset: Int64 = -1
        public var abortedTransactions: [PartitionTransactions.Aborted]?
    }

    /// Reads for a consumer (`replicaId` < 0, up to the HW) or a follower (up to the LEO; its fetch
    /// offset is its LEO and updates the leader's view of it).
    public func read(fetchOffset: Int64, maxBytes: Int, replicaId: Int32, currentLeaderEpoch: Int32, minOneBatch: Bool,
                     recordFollowerFetch: Bool = true, readCommitted: Bool = false, nowMs: Int64) -> ReadResult {
        StorageIO.assertOffEventLoop("a read of \(topicPartition)")
        var directives: [ReplicaDirective] = []
        let result: ReadResult = lock.withLock {
            func failure(_ code: ErrorCode) -> ReadResult {
                ReadResult(errorCode: code, highWatermark: state.highWatermark, logStartOffset: log.logStartOffset,
                           records: ByteBuffer(), leaderEpoch: state.leaderEpoch)
            }
            if let error = state.leaderRequestError(currentLeaderEpoch: currentLeaderEpoch) { return failure(error) }
            let isFollower = replicaId >= 0
            if isFollower {
                guard state.replicas.contains(replicaId) else { return failure(.notLeaderOrFollower) }
                // A delayed fetch re-reads several times; only the arrival of the request says
                // where the follower is, as in Kafka.
                if recordFollowerFetch {
                    directives = queued(state.onFollowerFetch(replica: replicaId, fetchOffset: fetchOffset, nowMs: nowMs))
                }
            }
            // Seeded bug fetch-above-hw: the broker takes the LEO for the HW when it bounds a
            // consumer's read, in either isolation level (the LSO is bounded by that HW too).
            let consumerBound = seededBugs.contains(.fetchAboveHighWatermark) ? log.logEndOffset : state.highWatermark
            // Seeded bug lso-ignored: read_committed reads run to that bound as read_uncommitted ones
            // do, and list no aborted transactions.
            let ignoreLso = seededBugs.contains(.lsoIgnored)
            let lastStable = ignoreLso ? consumerBound : transactions.lastStableOffset(highWatermark: consumerBound)
            var maxOffset = isFollower ? log.logEndOffset : consumerBound
            // read_committed stops at the LSO and lists the aborted transactions it may meet.
            let committedOnly = readCommitted && !isFollower
            if committedOnly { maxOffset = min(maxOffset, lastStable) }
            let aborted = committedOnly ? (ignoreLso ? [] : transactions.abortedTransactions(from: fetchOffset, upTo: maxOffset)) : nil
            if fetchOffset < log.logStartOffset || fetchOffset > log.logEndOffset { return failure(.offsetOutOfRange) }
            if fetchOffset >= maxOffset {
                return ReadResult(errorCode: .none, highWatermark: state.highWatermark, logStartOffset: log.logStartOffset,
                                  records: ByteBuffer(), leaderEpoch: state.leaderEpoch, lastStableOffset: lastStable, abortedTransactions: aborted)
            }
            do {
                let read = try log.read(from: fetchOffset, maxBytes: maxBytes, maxOffset: maxOffset, minOneBatch: minOneBatch)
                return ReadResult(errorCode: .none, highWatermark: state.highWatermark, logStartOffset: log.logStartOffset,
                                  records: read.records, leaderEpoch: state.leaderEpoch, lastStableOffset: lastStable, abortedTransactions: aborted)
            } catch LogError.corrupt {
                // Kafka answers a read that meets a corrupt batch with CORRUPT_MESSAGE; the log has
                // logged and counted the damage where it found it.
                return failure(.corruptMessage)
            } catch {
                log.health.count { $0.readErrors += 1 }  // the log cannot tell an I/O error from others
                return failure(.kafkaStorageError)
            }
        }
        finish(directives)
        return result
    }

    // MARK: ListOffsets

    public enum OffsetLookup: Sendable, Equatable {
        case found(offset: Int64, timestamp: Int64, leaderEpoch: Int32)
        case notFound(leaderEpoch: Int32)
        case error(ErrorCode)
    }

    /// Kafka's ListOffsets for a client: -2 earliest, -1 latest (the HW), otherwise the first offset
    /// whose timestamp is at or after `timestamp`, among offsets below the HW.
    public func lookupOffset(timestamp: Int64, currentLeaderEpoch: Int32) -> OffsetLookup {
        lock.withLock {
            if let error = state.leaderRequestError(currentLeaderEpoch: currentLeaderEpoch) { return .error(error) }
            switch timestamp {
            case -2: return .found(offset: log.logStartOffset, timestamp: -1, leaderEpoch: state.leaderEpoch)
            case -1: return .found(offset: state.highWatermark, timestamp: -1, leaderEpoch: state.leaderEpoch)
            default:
                guard let hit = log.offsetForTimestamp(timestamp), hit.offset < state.highWatermark else {
                    return .notFound(leaderEpoch: state.leaderEpoch)
                }
                return .found(offset: max(hit.offset, log.logStartOffset), timestamp: hit.timestamp, leaderEpoch: state.leaderEpoch)
            }
        }
    }

    // MARK: Waiters

    /// Registers a callback run (outside the lock) whenever the log, the HW, the ISR or the role
    /// changes. Returns an id for `removeWaiter`.
    public func addWaiter(_ wake: @escaping @Sendable () -> Void) -> Int {
        lock.withLock {
            nextWaiterId += 1
            waiters[nextWaiterId] = wake
            return nextWaiterId
        }
    }

    public func removeWaiter(_ id: Int) {
        lock.withLock { _ = waiters.removeValue(forKey: id) }
    }

    /// Waiters registered now (for tests).
    var waiterCount: Int { lock.withLock { waiters.count } }

    func wakeWaiters() {
        let callbacks = lock.withLock { Array(waiters.values) }
        for callback in callbacks { callback() }
    }

    // MARK: ISR writes

    func isrCommitted(_ isr: [Int32], newVersion: Int32) {
        finish(lock.withLock {
            let directives = state.onIsrCommitted(isr, newVersion: newVersion)
            // Seeded bug hw-regression: an ISR change re-initialises the HW as a fresh leader's, at the
            // log start; the next follower fetch moves it up again, unless the ISR is under min.
            if seededBugs.contains(.highWatermarkRegression), state.isLeader { state.restoreHighWatermark(log.logStartOffset) }
            return queued(directives)
        })
    }

    func isrRejected(currentVersion: Int32?) {
        finish(lock.withLock { queued(state.onIsrRejected(currentVersion: currentVersion)) })
    }

    func isrWriteAbandoned() {
        lock.withLock { state.onIsrWriteAbandoned() }
    }

    func tick(nowMs: Int64) {
        finish(lock.withLock { queued(state.onTick(nowMs: nowMs)) })
    }

    // MARK: Maintenance

    func checkpointHighWatermark() {
        StorageIO.assertOffEventLoop("a HW checkpoint of \(topicPartition)")
        lock.withLock { try? log.checkpointHighWatermark(state.highWatermark) }
    }

    func applyRetention(nowMs: Int64) -> Int {
        StorageIO.assertOffEventLoop("retention of \(topicPartition)")
        return lock.withLock {
            let deleted = (try? log.deleteSegments(nowMs: nowMs, highWatermark: state.highWatermark).count) ?? 0
            if deleted > 0 { transactions.advanceLogStart(to: log.logStartOffset) }
            return deleted
        }
    }

    func maybeFlush(nowMs: Int64) {
        StorageIO.assertOffEventLoop("a flush of \(topicPartition)")
        lock.withLock { try? log.maybeFlush(nowMs: nowMs) }
    }

    func close() {
        StorageIO.assertOffEventLoop("closing \(topicPartition)")
        lock.withLock {
            try? log.checkpointHighWatermark(state.highWatermark)
            try? log.close()
            state.stopReplica()
        }
        wakeWaiters()
    }

    /// Runs `body` with the log under the lock; for the follower fetcher and tests.
    func withLog<T>(_ body: (inout PartitionLog, inout PartitionReplicaState) throws -> T) rethrows -> T {
        try lock.withLock { try body(&log, &state) }
    }

    /// Queues directives the state just produced, for `finish` to hand over in order; the caller
    /// holds the lock (inside `withLock` or `withLog`) and passes the directives on to `finish`.
    func queued(_ directives: [ReplicaDirective]) -> [ReplicaDirective] {
        if !directives.isEmpty { undelivered.add(directives) }
        return directives
    }

    /// Hands queued directives to the broker and wakes waiters; always called after the lock is released.
    func notify(_ directives: [ReplicaDirective], wake: Bool) { finish(directives, wake: wake) }

    /// Hands every queued directive to the broker, oldest first, unless another thread is doing so
    /// (it hands over these too, after the ones it has); then wakes waiters when anything changed.
    private func finish(_ directives: [ReplicaDirective], wake: Bool = false) {
        if !directives.isEmpty {
            var batch = lock.withLock { undelivered.claim() }
            while let claimed = batch {
                directiveHandler(self, claimed)
                batch = lock.withLock { undelivered.next() }
            }
        }
        if wake || !directives.isEmpty { wakeWaiters() }
    }
}
