import KafkaProtocol
import Replication
import Testing

@Suite struct MarkerRoutingTests {
    let a0 = TopicPartition("a", 0)
    let a1 = TopicPartition("a", 1)
    let b0 = TopicPartition("b", 0)
    let offsets = TopicPartition("__consumer_offsets", 3)
    let deleted = TopicPartition("gone", 0)

    func leaders(_ table: [TopicPartition: Int32]) -> (TopicPartition) -> MarkerRouting.Leadership {
        { tp in table[tp].map { $0 >= 0 ? .leader($0) : .leaderless } ?? .unknown }
    }

    @Test func partitionsGoToTheirLeadersWithTheLocalOnesAppendedHere() {
        let plan = MarkerRouting.plan([b0, a1, a0, offsets, deleted], brokerId: 1,
                                      leadership: leaders([a0: 1, a1: 2, b0: 2, offsets: -1]))
        #expect(plan.local == [a0])
        #expect(plan.remote == [2: [a1, b0]])
        #expect(plan.leaderless == [offsets])
        #expect(plan.gone == [deleted])
    }

    @Test func aStandaloneBrokerWritesEverythingLocally() {
        let plan = MarkerRouting.plan([a0, a1, b0], brokerId: 7, leadership: leaders([a0: 7, a1: 7, b0: 7]))
        #expect(plan.local == [a0, a1, b0])
        #expect(plan.remote.isEmpty && plan.leaderless.isEmpty && plan.gone.isEmpty)
    }

    @Test func failedPartitionsAreRetriedAndWrittenOnesAreNot() {
        let results: [TopicPartition: ErrorCode] = [a0: .none, a1: .notLeaderOrFollower, b0: .networkException, offsets: .notEnoughReplicas]
        #expect(MarkerRouting.unfinished(results, leadership: leaders([a0: 1, a1: 2, b0: 3, offsets: 1])) == [offsets, a1, b0])
        #expect(MarkerRouting.unfinished([a0: .none], leadership: leaders([a0: 1])).isEmpty)
    }

    @Test func unknownPartitionIsDoneOnlyOnceTheMetadataForgotItsTopic() {
        // A broker that is not (yet) the partition's replica answers UNKNOWN_TOPIC_OR_PARTITION too.
        let results: [TopicPartition: ErrorCode] = [a0: .unknownTopicOrPartition, deleted: .unknownTopicOrPartition]
        #expect(MarkerRouting.unfinished(results, leadership: leaders([a0: 2])) == [a0])
        #expect(MarkerRouting.unfinished(results, leadership: leaders([:])).isEmpty)
    }

    @Test func backoffDoublesUpToItsBound() {
        #expect(MarkerRouting.backoffMs(attempt: 0) == 0)
        #expect((1...5).map { MarkerRouting.backoffMs(attempt: $0) } == [100, 200, 400, 800, 1000])
        #expect(MarkerRouting.backoffMs(attempt: 10_000) == 1000)
        #expect(MarkerRouting.backoffMs(attempt: 3, baseMs: 50, maxMs: 10_000) == 200)
    }
}
