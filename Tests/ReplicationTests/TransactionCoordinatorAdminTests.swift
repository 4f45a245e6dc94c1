import KafkaProtocol
import Testing
@testable import Replication

/// DescribeTransactions and ListTransactions answered from the coordinator's state.
@Suite struct TransactionCoordinatorAdminTests {
    /// "open" (producer 1000) has an Ongoing transaction on t-1 and t-0 since 100; "done" (1001)
    /// committed one; "idle" (1002) was only initialised.
    func state() -> TransactionCoordinatorState {
        var state = TransactionCoordinatorState()
        state.apply(TransactionMetadata(transactionalId: "open", producerId: 1000, producerEpoch: 2, transactionTimeoutMs: 60_000, state: .ongoing,
                                        partitions: [TopicPartition("t", 1), TopicPartition("t", 0), TopicPartition("a", 3)],
                                        transactionStartMs: 100, lastUpdateMs: 100))
        state.apply(TransactionMetadata(transactionalId: "done", producerId: 1001, producerEpoch: 0, transactionTimeoutMs: 30_000,
                                        state: .completeCommit, lastUpdateMs: 90))
        state.apply(TransactionMetadata(transactionalId: "idle", producerId: 1002, producerEpoch: 0, transactionTimeoutMs: 30_000,
                                        state: .empty, lastUpdateMs: 80))
        return state
    }

    @Test func stateNamesAreKafkasAndReadBack() {
        #expect(TransactionState.allCases.map(\.description) == ["Empty", "Ongoing", "PrepareCommit", "PrepareAbort", "CompleteCommit",
                                                                 "CompleteAbort", "Dead", "PrepareEpochFence"])
        for state in TransactionState.allCases { #expect(TransactionState(name: state.description) == state) }
        #expect(TransactionState(name: "ongoing") == nil)
    }

    @Test func describeGivesProducerTimeoutStartAndPartitionsByTopic() {
        let open = state().describe("open")
        #expect(open == .init(errorCode: 0, transactionalId: "open", transactionState: "Ongoing", transactionTimeoutMs: 60_000,
                              transactionStartTimeMs: 100, producerId: 1000, producerEpoch: 2,
                              topics: [.init(name: "a", partitionIndexes: [3]), .init(name: "t", partitionIndexes: [0, 1])]))
        let done = state().describe("done")
        #expect(done.transactionState == "CompleteCommit" && done.topics.isEmpty && done.transactionStartTimeMs == -1)
    }

    @Test func describeOfAnUnknownIdIsTransactionalIdNotFound() {
        #expect(state().describe("nope") == .init(errorCode: ErrorCode.transactionalIdNotFound.rawValue, transactionalId: "nope"))
    }

    @Test func listWithoutFiltersGivesEveryIdSorted() {
        let listed = state().list(ListTransactionsRequest(), nowMs: 200)
        #expect(listed.errorCode == 0 && listed.unknownStateFilters.isEmpty)
        #expect(listed.transactionStates == [.init(transactionalId: "done", producerId: 1001, transactionState: "CompleteCommit"),
                                             .init(transactionalId: "idle", producerId: 1002, transactionState: "Empty"),
                                             .init(transactionalId: "open", producerId: 1000, transactionState: "Ongoing")])
    }

    @Test func stateAndProducerFiltersCombine() {
        let s = state()
        #expect(s.list(ListTransactionsRequest(stateFilters: ["Ongoing", "Empty"]), nowMs: 200).transactionStates.map(\.transactionalId) == ["idle", "open"])
        #expect(s.list(ListTransactionsRequest(producerIdFilters: [1001, 9]), nowMs: 200).transactionStates.map(\.transactionalId) == ["done"])
        #expect(s.list(ListTransactionsRequest(stateFilters: ["Ongoing"], producerIdFilters: [1001]), nowMs: 200).transactionStates.isEmpty)
    }

    @Test func unknownStateFilterMatchesNothingAndIsEchoed() {
        let listed = state().list(ListTransactionsRequest(stateFilters: ["Bogus"]), nowMs: 200)
        #expect(listed.unknownStateFilters == ["Bogus"] && listed.transactionStates.isEmpty)
    }

    @Test func durationFilterKeepsOnlyTransactionsOpenLongerThanIt() {
        let s = state()
        #expect(s.list(ListTransactionsRequest(durationFilterMs: 50), nowMs: 200).transactionStates.map(\.transactionalId) == ["open"])
        #expect(s.list(ListTransactionsRequest(durationFilterMs: 100), nowMs: 200).transactionStates.isEmpty)
        #expect(s.list(ListTransactionsRequest(durationFilterMs: -1), nowMs: 200).transactionStates.count == 3)
    }
}
