import Testing
@testable import Verification

private func metadata(_ timeMs: Int64, leader: Int32, epoch: Int32) -> TimelineRecord {
    TimelineRecord(timeNs: timeMs * 1_000_000, .metadata(MetadataSample(controller: 1, brokers: [1, 2, 3], partitions: [
        PartitionState(topic: "t", partition: 0, leader: leader, leaderEpoch: epoch, replicas: [1, 2, 3], isr: [1, 2, 3]),
    ])))
}

private func census(_ timeMs: Int64, _ answers: [CensusAnswer], phase: LeadershipCensus.Phase = .end, attempt: Int = 1) -> TimelineRecord {
    TimelineRecord(timeNs: timeMs * 1_000_000, .leadershipCensus(LeadershipCensus(
        phase: phase, attempt: attempt, method: "list_offsets", partitions: [PartitionCensus(topic: "t", partition: 0, answers: answers)])))
}

private func leads(_ broker: Int32, epoch: Int32) -> CensusAnswer {
    CensusAnswer(broker: broker, status: .leader, leaderEpoch: epoch, hw: 100)
}

private func follows(_ broker: Int32) -> CensusAnswer {
    CensusAnswer(broker: broker, status: .notLeader, error: "NOT_LEADER_OR_FOLLOWER")
}

private func staleLeader(_ records: [TimelineRecord]) -> CheckResult<StaleLeadership> {
    StaleLeaderChecker.check(Timeline(records: records), limit: 100)
}

@Suite struct StaleLeaderTests {
    @Test func oneLeaderInTheNewestEpochIsValid() {
        let result = staleLeader([metadata(0, leader: 2, epoch: 4), census(10, [follows(1), leads(2, epoch: 4), follows(3)])])
        #expect(result.verdict == .valid)
    }

    @Test func deposedLeaderStillAnsweringIsInvalid() {
        let result = staleLeader([metadata(0, leader: 2, epoch: 4), census(10, [leads(1, epoch: 3), leads(2, epoch: 4), follows(3)])])
        #expect(result.verdict == .invalid)
        let anomaly = result.anomalies[0]
        #expect(anomaly.kind == .severalLeaders)
        #expect(anomaly.staleBrokers == [1])
        #expect(anomaly.highestEpoch == 4)
        #expect(anomaly.leaders.map(\.broker) == [1, 2])
    }

    @Test func loneLeaderBehindTheNewestEpochIsInvalid() {
        // The controller moved leadership to broker 2 (epoch 5); broker 2 has not taken it, broker
        // 1 still answers as leader of epoch 4.
        let result = staleLeader([metadata(0, leader: 2, epoch: 5), census(10, [leads(1, epoch: 4), follows(2), follows(3)])])
        #expect(result.verdict == .invalid)
        #expect(result.anomalies[0].kind == .staleEpoch)
        #expect(result.anomalies[0].highestEpochSeenIn == "a metadata sample")
    }

    @Test func epochsFromBrokerEventsCountToo() {
        let event = TimelineRecord(timeNs: 5_000_000, .brokerEvent(BrokerEvent(broker: 3, event: .becameLeader, topic: "t", partition: 0, leaderEpoch: 6)))
        let result = staleLeader([metadata(0, leader: 1, epoch: 5), event, census(10, [leads(1, epoch: 5), follows(2), follows(3)])])
        #expect(result.verdict == .invalid)
        #expect(result.anomalies[0].highestEpoch == 6)
    }

    @Test func noCensusIsUnknown() {
        let result = staleLeader([metadata(0, leader: 1, epoch: 1)])
        #expect(result.verdict == .unknown)
        #expect(result.notes.contains("the run has no end-of-run leadership census"))
    }

    @Test func silentRunningBrokerIsUnknown() {
        let silent = CensusAnswer(broker: 3, status: .noAnswer, error: "timed out")
        let result = staleLeader([metadata(0, leader: 1, epoch: 1), census(10, [leads(1, epoch: 1), follows(2), silent])])
        #expect(result.verdict == .unknown)
        #expect(result.notes.contains { $0.contains("did not answer") })
    }

    @Test func stoppedBrokerServesNobody() {
        let stopped = CensusAnswer(broker: 3, status: .notRunning, error: "the broker is crashed")
        let result = staleLeader([metadata(0, leader: 1, epoch: 1), census(10, [leads(1, epoch: 1), follows(2), stopped])])
        #expect(result.verdict == .valid)
    }

    @Test func theLastCensusAttemptIsJudged() {
        let result = staleLeader([
            metadata(0, leader: 2, epoch: 4),
            census(10, [leads(1, epoch: 3), leads(2, epoch: 4), follows(3)], attempt: 1),
            census(1010, [follows(1), leads(2, epoch: 4), follows(3)], attempt: 2),
        ])
        #expect(result.verdict == .valid)
        #expect(result.notes.contains { $0.contains("census attempt 1 found 1 stale claim") })
    }

    @Test func periodicOverlapsAreMeasuredNotJudged() {
        let contested = census(100, [leads(1, epoch: 3), leads(2, epoch: 4)], phase: .periodic)
        let cleared = TimelineRecord(timeNs: 1_600_000_000, .leadershipCensus(LeadershipCensus(phase: .periodic, method: "metrics", partitions: [])))
        let result = staleLeader([metadata(0, leader: 2, epoch: 4), contested, cleared, census(2000, [follows(1), leads(2, epoch: 4), follows(3)])])
        #expect(result.verdict == .valid)
        #expect(result.notes.contains { $0.contains("1 window(s)") && $0.contains("1500 ms") })
    }
}
