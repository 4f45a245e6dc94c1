import KafkaProtocol
import Testing
@testable import Replication

@Suite struct TransactionCoordinatorStateTests {
    let t0 = TopicPartition("t", 0)
    let t1 = TopicPartition("t", 1)

    /// A coordinator whose producer ids count up from 1000.
    struct Harness {
        var state = TransactionCoordinatorState()
        var nextId: Int64 = 1000

        /// Decides, then applies the record as the owner does once it is durable.
        mutating func run(_ decide: (TransactionCoordinatorState, () -> Int64?) -> TransactionDecision) -> TransactionDecision {
            var allocated = nextId
            let decision = decide(state) { defer { allocated += 1 }; return allocated }
            nextId = allocated
            if let record = decision.record { state.apply(record) }
            return decision
        }

        mutating func initProducer(_ id: String, timeoutMs: Int32 = 60_000, now: Int64 = 0) -> TransactionDecision {
            run { $0.initProducerId(transactionalId: id, transactionTimeoutMs: timeoutMs, nowMs: now, newProducerId: $1) }
        }

        mutating func add(_ id: String, _ pid: Int64, _ epoch: Int16, _ partitions: Set<TopicPartition>, now: Int64 = 1) -> TransactionDecision {
            run { state, _ in state.addPartitions(transactionalId: id, producerId: pid, producerEpoch: epoch, partitions: partitions, nowMs: now) }
        }

        mutating func end(_ id: String, _ pid: Int64, _ epoch: Int16, commit: Bool, now: Int64 = 2) -> TransactionDecision {
            run { state, _ in state.endTransaction(transactionalId: id, producerId: pid, producerEpoch: epoch, commit: commit, nowMs: now) }
        }

        mutating func complete(_ id: String, now: Int64 = 3) {
            if let record = state.completion(of: id, nowMs: now) { state.apply(record) }
        }
    }

    @Test func newTransactionalIdGetsANewProducerAtEpochZero() {
        var h = Harness()
        let decision = h.initProducer("tx")
        #expect(decision.error == .none && decision.record?.state == .empty)
        #expect(h.state.producer(of: "tx")! == (1000, 0))
    }

    @Test func reinitialisingBumpsTheEpochAndKeepsTheProducerId() {
        var h = Harness()
        _ = h.initProducer("tx")
        let again = h.initProducer("tx")
        #expect(again.error == .none)
        #expect(h.state.producer(of: "tx")! == (1000, 1))
        #expect(h.state.transactions["tx"]?.lastProducerEpoch == -1, "a bump that names no epoch keeps none for a retry, as in Kafka")
    }

    @Test func exhaustedEpochGetsANewProducerId() {
        var h = Harness()
        _ = h.initProducer("tx")
        var record = h.state.transactions["tx"]!
        record.producerEpoch = Int16.max - 1
        h.state.apply(record)
        _ = h.initProducer("tx")
        #expect(h.state.producer(of: "tx")! == (1001, 0))
    }

    @Test func commitGoesThroughPrepareCommitToCompleteCommitWithMarkers() {
        var h = Harness()
        _ = h.initProducer("tx")
        #expect(h.add("tx", 1000, 0, [t0]).record?.state == .ongoing)
        #expect(h.add("tx", 1000, 0, [t1]).record?.partitions == [t0, t1])
        #expect(h.add("tx", 1000, 0, [t0]).record == nil, "a partition already in the transaction needs no record")
        let end = h.end("tx", 1000, 0, commit: true)
        #expect(end.error == .none && end.record?.state == .prepareCommit)
        #expect(end.markers == TransactionMarkers(transactionalId: "tx", producerId: 1000, producerEpoch: 0, committed: true, partitions: [t0, t1]))
        #expect(h.state.pendingMarkers(of: "tx")?.committed == true)
        h.complete("tx")
        let done = h.state.transactions["tx"]!
        #expect(done.state == .completeCommit && done.partitions.isEmpty && done.transactionStartMs == -1)
        #expect(h.state.pendingMarkers(of: "tx") == nil)
    }

    @Test func requestsWhileMarkersAreBeingWrittenGetConcurrentTransactions() {
        var h = Harness()
        _ = h.initProducer("tx")
        _ = h.add("tx", 1000, 0, [t0])
        _ = h.end("tx", 1000, 0, commit: false)
        #expect(h.add("tx", 1000, 0, [t1]).error == .concurrentTransactions)
        #expect(h.initProducer("tx").error == .concurrentTransactions)
        #expect(h.end("tx", 1000, 0, commit: false).error == .concurrentTransactions)
        #expect(h.end("tx", 1000, 0, commit: true).error == .invalidTxnState)
    }

    @Test func endTxnRetriesAndWrongOutcomes() {
        var h = Harness()
        _ = h.initProducer("tx")
        #expect(h.end("tx", 1000, 0, commit: true).error == .invalidTxnState, "nothing to commit in Empty")
        _ = h.add("tx", 1000, 0, [t0])
        _ = h.end("tx", 1000, 0, commit: true)
        h.complete("tx")
        let retry = h.end("tx", 1000, 0, commit: true)
        #expect(retry.error == .none && retry.record == nil && retry.markers == nil)
        #expect(h.end("tx", 1000, 0, commit: false).error == .invalidTxnState)
    }

    @Test func nextTransactionStartsAfterACompletedOne() {
        var h = Harness()
        _ = h.initProducer("tx")
        _ = h.add("tx", 1000, 0, [t0])
        _ = h.end("tx", 1000, 0, commit: false)
        h.complete("tx")
        #expect(h.state.transactions["tx"]?.state == .completeAbort)
        let next = h.add("tx", 1000, 0, [t1], now: 50)
        #expect(next.record?.state == .ongoing && next.record?.partitions == [t1] && next.record?.transactionStartMs == 50)
    }

    @Test func initProducerIdAbortsTheOpenTransactionWithABumpedEpoch() {
        var h = Harness()
        _ = h.initProducer("tx")
        _ = h.add("tx", 1000, 0, [t0, t1])
        let fencing = h.initProducer("tx")
        #expect(fencing.error == .concurrentTransactions, "the new producer retries once the abort completes")
        #expect(fencing.record?.state == .prepareAbort && fencing.record?.producerEpoch == 1)
        #expect(fencing.markers == TransactionMarkers(transactionalId: "tx", producerId: 1000, producerEpoch: 1, committed: false, partitions: [t0, t1]))
        // The zombie is fenced from here on.
        #expect(h.end("tx", 1000, 0, commit: true).error == .producerFenced)
        h.complete("tx")
        let retried = h.initProducer("tx")
        #expect(retried.error == .none)
        #expect(h.state.producer(of: "tx")! == (1000, 2))
        #expect(h.add("tx", 1000, 1, [t0]).error == .producerFenced)
        #expect(h.add("tx", 1000, 2, [t0]).error == .none)
    }

    /// The seeded bug `fencing-ignored`: the zombie at epoch 0 commits its replacement's transaction.
    @Test func seededFencingIgnoredLetsAZombieEndTheReplacementsTransaction() {
        var h = Harness(state: TransactionCoordinatorState(seededBugs: [.fencingIgnored]))
        _ = h.initProducer("tx")
        _ = h.initProducer("tx")
        #expect(h.add("tx", 1000, 1, [t0]).error == .none)
        let zombie = h.end("tx", 1000, 0, commit: true)
        #expect(zombie.error == .none && zombie.record?.state == .prepareCommit)
        #expect(h.end("tx", 1000, 2, commit: true).error == .invalidProducerEpoch, "a newer epoch than the current is still refused")
    }

    @Test func fencingAndMappingErrors() {
        var h = Harness()
        #expect(h.add("unknown", 1, 0, [t0]).error == .invalidProducerIdMapping)
        _ = h.initProducer("tx")
        #expect(h.add("tx", 999, 0, [t0]).error == .invalidProducerIdMapping)
        #expect(h.add("tx", 1000, 5, [t0]).error == .invalidProducerEpoch, "an epoch from the future is not a fenced one")
        _ = h.initProducer("tx")
        #expect(h.end("tx", 1000, 0, commit: false).error == .producerFenced)
    }

    @Test func invalidInitRequests() {
        var h = Harness()
        #expect(h.initProducer("").error == .invalidRequest)
        #expect(h.initProducer("tx", timeoutMs: 0).error == .invalidTransactionTimeout)
        #expect(h.initProducer("tx", timeoutMs: 900_001).error == .invalidTransactionTimeout)
        #expect(h.state.transactions.isEmpty)
        let failed = h.state.initProducerId(transactionalId: "tx", transactionTimeoutMs: 1000, nowMs: 0) { nil }
        #expect(failed.error == .coordinatorNotAvailable && failed.record == nil)
    }

    @Test func kip360RetryAndFencingByExpectedEpoch() {
        var h = Harness()
        _ = h.initProducer("tx")
        let bump = h.run { $0.initProducerId(transactionalId: "tx", transactionTimeoutMs: 1000, expected: (1000, 0), nowMs: 1, newProducerId: $1) }
        #expect(bump.error == .none && h.state.producer(of: "tx")! == (1000, 1))
        let retry = h.run { $0.initProducerId(transactionalId: "tx", transactionTimeoutMs: 1000, expected: (1000, 0), nowMs: 2, newProducerId: $1) }
        #expect(retry.error == .none && retry.record == nil && h.state.producer(of: "tx")! == (1000, 1))
        let stale = h.run { $0.initProducerId(transactionalId: "tx", transactionTimeoutMs: 1000, expected: (1000, 7), nowMs: 3, newProducerId: $1) }
        #expect(stale.error == .producerFenced)
    }

    /// Kafka's prepareIncrementProducerEpoch after an epoch fence: the coordinator aborted the
    /// transaction with a bumped epoch and kept no previous one, so the old producer's KIP-360 bump
    /// with its old epoch is PRODUCER_FENCED instead of being answered the new epoch as a retry.
    @Test func aBumpWithTheEpochACoordinatorAbortFencedIsProducerFenced() {
        var h = Harness()
        _ = h.initProducer("slow", timeoutMs: 1000)
        let bump = h.run { $0.initProducerId(transactionalId: "slow", transactionTimeoutMs: 1000, expected: (1000, 0), nowMs: 1, newProducerId: $1) }
        #expect(bump.error == .none && h.state.producer(of: "slow")! == (1000, 1))
        _ = h.add("slow", 1000, 1, [t0], now: 10)
        _ = h.run { state, _ in state.abortExpired(transactionalId: "slow", nowMs: 1011) }
        h.complete("slow")
        #expect(h.state.producer(of: "slow")! == (1000, 2))
        for old: Int16 in [1, 0] {
            let zombie = h.run { $0.initProducerId(transactionalId: "slow", transactionTimeoutMs: 1000, expected: (1000, old), nowMs: 1100, newProducerId: $1) }
            #expect(zombie.error == .producerFenced && zombie.record == nil, "epoch \(old)")
        }
        #expect(h.state.producer(of: "slow")! == (1000, 2))
        // The fence left no previous epoch: a bump from the current one works, and its retry is answered again.
        let current = h.run { $0.initProducerId(transactionalId: "slow", transactionTimeoutMs: 1000, expected: (1000, 2), nowMs: 1200, newProducerId: $1) }
        #expect(current.error == .none && h.state.producer(of: "slow")! == (1000, 3))
        let retry = h.run { $0.initProducerId(transactionalId: "slow", transactionTimeoutMs: 1000, expected: (1000, 2), nowMs: 1201, newProducerId: $1) }
        #expect(retry.error == .none && retry.record == nil && h.state.producer(of: "slow")! == (1000, 3))
        // A new producer (no epoch named) taking the id over between transactions keeps no previous
        // epoch either: the old producer's bump from epoch 3 is fenced, not answered epoch 4.
        #expect(h.initProducer("slow", now: 1300).error == .none && h.state.producer(of: "slow")! == (1000, 4))
        let fenced = h.run { $0.initProducerId(transactionalId: "slow", transactionTimeoutMs: 1000, expected: (1000, 3), nowMs: 1301, newProducerId: $1) }
        #expect(fenced.error == .producerFenced && h.state.producer(of: "slow")! == (1000, 4))
    }

    @Test func timedOutTransactionIsAbortedAndItsProducerFenced() {
        var h = Harness()
        _ = h.initProducer("slow", timeoutMs: 1000)
        _ = h.initProducer("fast", timeoutMs: 60_000)
        _ = h.add("slow", 1000, 0, [t0], now: 10)
        _ = h.add("fast", 1001, 0, [t1], now: 10)
        #expect(h.state.expiredTransactions(nowMs: 1010).isEmpty)
        #expect(h.state.expiredTransactions(nowMs: 1011) == ["slow"])
        let abort = h.run { state, _ in state.abortExpired(transactionalId: "slow", nowMs: 1011) }
        #expect(abort.error == .none && abort.record?.state == .prepareAbort && abort.record?.producerEpoch == 1)
        #expect(abort.markers?.committed == false && abort.markers?.producerEpoch == 1)
        h.complete("slow")
        #expect(h.end("slow", 1000, 0, commit: true).error == .producerFenced)
        #expect(h.state.expiredTransactions(nowMs: 1_000_000) == ["fast"])
    }

    @Test func deadRecordRemovesTheIdAndReplayRebuildsTheState() {
        var h = Harness()
        _ = h.initProducer("tx")
        _ = h.add("tx", 1000, 0, [t0])
        var replayed = TransactionCoordinatorState()
        for record in [h.state.transactions["tx"]!] { replayed.apply(record) }
        #expect(replayed == h.state)
        var dead = h.state.transactions["tx"]!
        dead.state = .dead
        replayed.apply(dead)
        #expect(replayed.transactions.isEmpty)
    }
}
