import KafkaProtocol
import NIOCore
import Testing
@testable import Replication

/// KIP-227 fetch sessions: the broker's cache and the client's builder, with time injected.
@Suite struct FetchSessionCacheTests {
    func tp(_ partition: Int32, _ topic: String = "t") -> TopicPartition { TopicPartition(topic, partition) }

    func at(_ offset: Int64, epoch: Int32 = 3) -> FetchPartitionRequest {
        FetchPartitionRequest(fetchOffset: offset, logStartOffset: 0, maxBytes: 1_048_576, currentLeaderEpoch: epoch)
    }

    /// Ids 1, 2, 3, … so that tests can name sessions.
    func cache(slots: Int = 10, evictionMs: Int64 = 120_000) -> FetchSessionCache {
        let counter = Counter()
        return FetchSessionCache(maxSlots: slots, evictionMs: evictionMs) { counter.next() }
    }

    final class Counter: @unchecked Sendable {
        // Only used from the test's own thread.
        private var value: Int32 = 0
        func next() -> Int32 { value += 1; return value }
    }

    func response(_ partitions: [(Int32, hw: Int64, records: Int)], topic: String = "t") -> FetchResponse {
        FetchResponse(responses: [.init(topic: topic, partitions: partitions.map { index, hw, records in
            var bytes = ByteBuffer()
            bytes.writeRepeatingByte(1, count: records)
            return .init(partitionIndex: index, errorCode: 0, highWatermark: hw, lastStableOffset: hw, logStartOffset: 0, records: bytes)
        })])
    }

    func answered(_ response: FetchResponse) -> [Int32] { response.responses.flatMap { $0.partitions.map(\.partitionIndex) } }

    @Test func sessionlessFetchKeepsNoSession() {
        var sessions = cache()
        let resolution = sessions.resolve(sessionId: 0, epoch: -1, privileged: true, partitions: [(tp(0), at(5))], forgotten: [], nowMs: 0)
        #expect(resolution == .init(errorCode: .none, sessionId: 0, incremental: false, partitions: [(tp(0), at(5))]))
        #expect(sessions.count == 0)
        let answer = sessions.answer(response([(0, 5, 0)]), for: resolution)
        #expect(answer.sessionId == 0)
        #expect(answered(answer) == [0], "a sessionless answer names every partition")
    }

    @Test func fullFetchOpensSessionAndIncrementalReadsAllOfIt() {
        var sessions = cache()
        let full = sessions.resolve(sessionId: 0, epoch: 0, privileged: true, partitions: [(tp(0), at(5)), (tp(1), at(7))], forgotten: [], nowMs: 0)
        #expect(full.sessionId == 1 && !full.incremental)
        #expect(answered(sessions.answer(response([(0, 5, 0), (1, 7, 0)]), for: full)) == [0, 1], "a full answer names every partition")
        let next = sessions.resolve(sessionId: 1, epoch: 1, privileged: true, partitions: [(tp(1), at(9))], forgotten: [], nowMs: 10)
        #expect(next.incremental)
        #expect(next.partitions.map(\.0) == [tp(0), tp(1)], "an incremental fetch reads the whole session")
        #expect(next.partitions.map(\.1.fetchOffset) == [5, 9], "with the changed offset taken in")
    }

    @Test func incrementalAnswerCarriesOnlyPartitionsWithNews() {
        var sessions = cache()
        let full = sessions.resolve(sessionId: 0, epoch: 0, privileged: true, partitions: [(tp(0), at(5)), (tp(1), at(7)), (tp(2), at(1))], forgotten: [], nowMs: 0)
        _ = sessions.answer(response([(0, 5, 0), (1, 7, 0), (2, 1, 0)]), for: full)
        let quiet = sessions.resolve(sessionId: 1, epoch: 1, privileged: true, partitions: [], forgotten: [], nowMs: 1)
        #expect(answered(sessions.answer(response([(0, 5, 0), (1, 7, 0), (2, 1, 0)]), for: quiet)) == [], "nothing changed")
        let busy = sessions.resolve(sessionId: 1, epoch: 2, privileged: true, partitions: [], forgotten: [], nowMs: 2)
        let answer = sessions.answer(response([(0, 6, 0), (1, 7, 40), (2, 1, 0)]), for: busy)
        #expect(answered(answer) == [0, 1], "a moved HW and new records are news; partition 2 had none")
        #expect(answer.sessionId == 1)
        let after = sessions.resolve(sessionId: 1, epoch: 3, privileged: true, partitions: [], forgotten: [], nowMs: 3)
        #expect(after.partitions.map(\.0) == [tp(0), tp(2), tp(1)], "the partition that got records went to the back")
    }

    @Test func errorsAreAlwaysNews() {
        var sessions = cache()
        let full = sessions.resolve(sessionId: 0, epoch: 0, privileged: false, partitions: [(tp(0), at(5))], forgotten: [], nowMs: 0)
        _ = sessions.answer(response([(0, 5, 0)]), for: full)
        let next = sessions.resolve(sessionId: 1, epoch: 1, privileged: false, partitions: [], forgotten: [], nowMs: 1)
        var failing = response([(0, 5, 0)])
        failing.responses[0].partitions[0].errorCode = ErrorCode.notLeaderOrFollower.rawValue
        #expect(answered(sessions.answer(failing, for: next)) == [0])
    }

    @Test func forgottenPartitionsLeaveTheSessionAndNewOnesJoinIt() {
        var sessions = cache()
        _ = sessions.resolve(sessionId: 0, epoch: 0, privileged: true, partitions: [(tp(0), at(5)), (tp(1), at(7))], forgotten: [], nowMs: 0)
        let next = sessions.resolve(sessionId: 1, epoch: 1, privileged: true, partitions: [(tp(0, "u"), at(0))], forgotten: [tp(0)], nowMs: 1)
        #expect(next.partitions.map(\.0) == [tp(1), tp(0, "u")])
        #expect(sessions.partitions(of: 1) == [tp(1), tp(0, "u")])
    }

    @Test func unknownSessionAndWrongEpochAreRefused() {
        var sessions = cache()
        #expect(sessions.resolve(sessionId: 42, epoch: 1, privileged: true, partitions: [], forgotten: [], nowMs: 0).errorCode == .fetchSessionIdNotFound)
        _ = sessions.resolve(sessionId: 0, epoch: 0, privileged: true, partitions: [(tp(0), at(5))], forgotten: [], nowMs: 0)
        #expect(sessions.resolve(sessionId: 1, epoch: 2, privileged: true, partitions: [], forgotten: [], nowMs: 1).errorCode == .invalidFetchSessionEpoch)
        #expect(sessions.resolve(sessionId: 1, epoch: 1, privileged: true, partitions: [], forgotten: [], nowMs: 1).errorCode == .none,
                "a refused epoch does not advance the session")
        #expect(sessions.resolve(sessionId: 1, epoch: 1, privileged: true, partitions: [], forgotten: [], nowMs: 2).errorCode == .invalidFetchSessionEpoch,
                "an epoch is good once")
    }

    @Test func fullFetchWithForgottenPartitionsIsInvalid() {
        var sessions = cache()
        let resolution = sessions.resolve(sessionId: 0, epoch: 0, privileged: true, partitions: [(tp(0), at(5))], forgotten: [tp(1)], nowMs: 0)
        #expect(resolution.errorCode == .invalidRequest)
        #expect(sessions.count == 0)
    }

    @Test func finalEpochClosesTheSessionAndInitialReplacesIt() {
        var sessions = cache()
        _ = sessions.resolve(sessionId: 0, epoch: 0, privileged: true, partitions: [(tp(0), at(5))], forgotten: [], nowMs: 0)
        let closing = sessions.resolve(sessionId: 1, epoch: -1, privileged: true, partitions: [(tp(0), at(5))], forgotten: [], nowMs: 1)
        #expect(closing.sessionId == 0 && !sessions.contains(1))
        _ = sessions.resolve(sessionId: 0, epoch: 0, privileged: true, partitions: [(tp(0), at(5))], forgotten: [], nowMs: 2)
        let replaced = sessions.resolve(sessionId: 2, epoch: 0, privileged: true, partitions: [(tp(1), at(5))], forgotten: [], nowMs: 3)
        #expect(replaced.sessionId == 3 && !sessions.contains(2) && sessions.partitions(of: 3) == [tp(1)])
    }

    @Test func fullCacheEvictsStaleSessionFirst() {
        var sessions = cache(slots: 2, evictionMs: 1000)
        _ = sessions.resolve(sessionId: 0, epoch: 0, privileged: true, partitions: [(tp(0), at(0)), (tp(1), at(0))], forgotten: [], nowMs: 0)
        _ = sessions.resolve(sessionId: 0, epoch: 0, privileged: true, partitions: [(tp(2), at(0)), (tp(3), at(0))], forgotten: [], nowMs: 500)
        #expect(sessions.resolve(sessionId: 0, epoch: 0, privileged: false, partitions: [(tp(4), at(0))], forgotten: [], nowMs: 900).sessionId == 0,
                "a small consumer session evicts neither follower session while they are fresh")
        let later = sessions.resolve(sessionId: 0, epoch: 0, privileged: false, partitions: [(tp(4), at(0))], forgotten: [], nowMs: 1001)
        #expect(later.sessionId == 3, "session 1, unused for more than the eviction time, made room")
        #expect(!sessions.contains(1) && sessions.contains(2))
    }

    @Test func followerOrLargerSessionEvictsLeastValuable() {
        var sessions = cache(slots: 2)
        _ = sessions.resolve(sessionId: 0, epoch: 0, privileged: false, partitions: [(tp(0), at(0))], forgotten: [], nowMs: 0)
        _ = sessions.resolve(sessionId: 0, epoch: 0, privileged: false, partitions: [(tp(1), at(0)), (tp(2), at(0)), (tp(3), at(0))], forgotten: [], nowMs: 0)
        #expect(sessions.resolve(sessionId: 0, epoch: 0, privileged: false, partitions: [(tp(4), at(0))], forgotten: [], nowMs: 1).sessionId == 0,
                "a consumer session no larger than the smallest one does not evict it")
        let larger = sessions.resolve(sessionId: 0, epoch: 0, privileged: false, partitions: [(tp(4), at(0)), (tp(5), at(0))], forgotten: [], nowMs: 2)
        #expect(larger.sessionId != 0 && !sessions.contains(1), "a larger consumer session evicts the smallest")
        let follower = sessions.resolve(sessionId: 0, epoch: 0, privileged: true, partitions: [(tp(6), at(0))], forgotten: [], nowMs: 3)
        #expect(follower.sessionId != 0 && sessions.count == 2, "a follower evicts a consumer whatever the sizes")
        #expect(!sessions.contains(larger.sessionId) && sessions.contains(2))
        let consumer = sessions.resolve(sessionId: 0, epoch: 0, privileged: false, partitions: (10...20).map { (tp($0), at(0)) }, forgotten: [], nowMs: 4)
        #expect(consumer.sessionId != 0 && !sessions.contains(2), "a larger consumer session evicts the other consumer's")
        #expect(sessions.contains(follower.sessionId), "a consumer never evicts a fresh follower session")
    }

    @Test func zeroSlotsKeepsNoSessions() {
        var sessions = cache(slots: 0)
        #expect(sessions.resolve(sessionId: 0, epoch: 0, privileged: true, partitions: [(tp(0), at(0))], forgotten: [], nowMs: 0).sessionId == 0)
        #expect(sessions.count == 0)
    }

    @Test func epochWrapsPastMaximumToOne() {
        #expect(FetchSessionEpoch.next(0) == 1)
        #expect(FetchSessionEpoch.next(Int32.max) == 1)
        #expect(FetchSessionEpoch.next(-1) == 0)
    }
}

/// The client's half: what each next fetch names.
@Suite struct FetchSessionBuilderTests {
    func tp(_ partition: Int32) -> TopicPartition { TopicPartition("t", partition) }
    func at(_ offset: Int64) -> FetchPartitionRequest { FetchPartitionRequest(fetchOffset: offset, logStartOffset: 0, maxBytes: 100, currentLeaderEpoch: 1) }

    @Test func firstFetchIsFullThenOnlyChangesAreNamed() {
        var builder = FetchSessionBuilder()
        let first = builder.plan([tp(0): at(5), tp(1): at(7)])
        #expect(first.isFull && first.sessionId == 0 && first.partitions.count == 2)
        builder.received(first, errorCode: 0, sessionId: 9)
        let idle = builder.plan([tp(0): at(5), tp(1): at(7)])
        #expect(idle == .init(sessionId: 9, epoch: 1, partitions: [:], forgotten: []), "an idle follower names nothing")
        builder.received(idle, errorCode: 0, sessionId: 9)
        let moved = builder.plan([tp(0): at(5), tp(1): at(8), tp(2): at(0)])
        #expect(moved == .init(sessionId: 9, epoch: 2, partitions: [tp(1): at(8), tp(2): at(0)], forgotten: []))
        builder.received(moved, errorCode: 0, sessionId: 9)
        let dropped = builder.plan([tp(1): at(8), tp(2): at(0)])
        #expect(dropped == .init(sessionId: 9, epoch: 3, partitions: [:], forgotten: [tp(0)]))
    }

    @Test func sessionErrorsStartOver() {
        var builder = FetchSessionBuilder()
        let first = builder.plan([tp(0): at(5)])
        builder.received(first, errorCode: 0, sessionId: 9)
        let next = builder.plan([tp(0): at(5)])
        builder.received(next, errorCode: ErrorCode.invalidFetchSessionEpoch.rawValue, sessionId: 0)
        #expect(builder.plan([tp(0): at(5)]) == .init(sessionId: 9, epoch: 0, partitions: [tp(0): at(5)], forgotten: []),
                "a full fetch that replaces session 9")
        builder.received(builder.plan([tp(0): at(5)]), errorCode: 0, sessionId: 11)
        let again = builder.plan([tp(0): at(5)])
        builder.received(again, errorCode: ErrorCode.fetchSessionIdNotFound.rawValue, sessionId: 0)
        #expect(builder.plan([tp(0): at(5)]) == .init(sessionId: 0, epoch: 0, partitions: [tp(0): at(5)], forgotten: []),
                "a forgotten session is asked for anew")
    }

    @Test func answerWithoutSessionKeepsFetchingFull() {
        var builder = FetchSessionBuilder()
        let first = builder.plan([tp(0): at(5)])
        builder.received(first, errorCode: 0, sessionId: 0)
        #expect(builder.plan([tp(0): at(5)]).isFull)
    }

    @Test func failedExchangeStartsOver() {
        var builder = FetchSessionBuilder()
        builder.received(builder.plan([tp(0): at(5)]), errorCode: 0, sessionId: 9)
        builder.failed()
        #expect(builder.plan([tp(0): at(5)]) == .init(sessionId: 9, epoch: 0, partitions: [tp(0): at(5)], forgotten: []))
    }
}
