import Foundation
import Testing
@testable import Verification

private func offsets(_ timeMs: Int64, hw: Int64, leader: Int32? = 1, epoch: Int32? = 3) -> TimelineRecord {
    TimelineRecord(timeNs: timeMs * 1_000_000, .offsets(OffsetsSample(topic: "t", partition: 0, hw: hw, leo: hw + 5, logStart: 0,
                                                                      leader: leader, leaderEpoch: epoch)))
}

private func hwCheck(_ records: [TimelineRecord]) -> CheckResult<HighWatermarkRegression> {
    HighWatermarkChecker.check(Timeline(records: records), limit: 100)
}

@Suite struct HighWatermarkTests {
    @Test func growingHighWatermarkIsValid() {
        #expect(hwCheck([offsets(0, hw: 10), offsets(200, hw: 10), offsets(400, hw: 25)]).verdict == .valid)
    }

    @Test func highWatermarkGoingBackWithinAnEpochIsInvalid() {
        let result = hwCheck([offsets(0, hw: 10), offsets(200, hw: 40), offsets(400, hw: 31), offsets(600, hw: 45)])
        #expect(result.verdict == .invalid)
        #expect(result.count == 1)
        let regression = result.anomalies[0]
        #expect(regression.leader == 1)
        #expect(regression.leaderEpoch == 3)
        #expect(regression.earlierHw == 40)
        #expect(regression.earlierNs == 200_000_000)
        #expect(regression.laterHw == 31)
        #expect(regression.laterNs == 400_000_000)
    }

    @Test func newLeaderLaggingTheOldHighWatermarkIsValid() {
        let result = hwCheck([offsets(0, hw: 40, leader: 1, epoch: 3), offsets(200, hw: 31, leader: 2, epoch: 4), offsets(400, hw: 41, leader: 2, epoch: 4)])
        #expect(result.verdict == .valid)
    }

    @Test func deposedLeaderReturningInItsOldEpochIsStillJudgedByItsOwnPeak() {
        let result = hwCheck([offsets(0, hw: 40, leader: 1, epoch: 3), offsets(200, hw: 41, leader: 2, epoch: 4), offsets(400, hw: 35, leader: 1, epoch: 3)])
        #expect(result.verdict == .invalid)
    }

    @Test func samplesWithoutEpochsAreUnknown() {
        let result = hwCheck([offsets(0, hw: 10, leader: nil, epoch: nil), offsets(200, hw: 5, leader: nil, epoch: nil)])
        #expect(result.verdict == .unknown)
        #expect(result.notes.contains { $0.contains("no leader or leader epoch") })
    }

    @Test func noSamplesIsUnknown() {
        #expect(hwCheck([]).verdict == .unknown)
    }

    @Test func offsetsSampleKeepsLeaderAndEpochThroughJSON() throws {
        let line = #"{"time_ns": 5, "kind": "offsets", "topic": "t", "partition": 0, "hw": 10, "leo": 12, "leader": 2, "leader_epoch": 7}"#
        let record = try JSONDecoder().decode(TimelineRecord.self, from: Data(line.utf8))
        guard case .offsets(let sample) = record.body else { Issue.record("not an offsets sample"); return }
        #expect(sample.leader == 2)
        #expect(sample.leaderEpoch == 7)
    }

    @Test func censusRecordRoundTrips() throws {
        let census = LeadershipCensus(phase: .end, attempt: 2, method: "list_offsets", partitions: [
            PartitionCensus(topic: "t", partition: 1, answers: [
                CensusAnswer(broker: 1, status: .leader, leaderEpoch: 4, hw: 99),
                CensusAnswer(broker: 2, status: .notLeader, error: "NOT_LEADER_OR_FOLLOWER"),
            ]),
        ])
        let record = TimelineRecord(timeNs: 42, observer: "census", .leadershipCensus(census))
        let decoded = try JSONDecoder().decode(TimelineRecord.self, from: try JSONEncoder().encode(record))
        #expect(decoded == record)
        #expect(String(decoding: try JSONEncoder().encode(record), as: UTF8.self).contains(#""kind":"leadership_census""#))
    }
}

@Suite struct ConsumerHighWatermarkTests {
    func poll(_ h: inout HistoryBuilder, _ process: String, hw: Int64) {
        h.line(process, .invoke, .poll)
        h.line(process, .ok, .poll, .poll(PollValue(records: [], hw: [PartitionHighWatermark(topic: "t", partition: 0, hw: hw)])))
    }

    func leader(_ timeNs: Int64, epoch: Int32) -> TimelineRecord {
        TimelineRecord(timeNs: timeNs, .brokerEvent(BrokerEvent(broker: 1, event: .becameLeader, topic: "t", partition: 0, leaderEpoch: epoch)))
    }

    @Test func aConsumersHighWatermarkGoingBackWithoutALeaderChangeIsInvalid() {
        var h = HistoryBuilder()
        h.timeNs = 5_000_000_000  // well after the partition's first leader took office
        h.stepNs = 100_000_000  // 100 ms per line
        poll(&h, "consumer-1", hw: 10)
        poll(&h, "consumer-1", hw: 40)
        poll(&h, "consumer-1", hw: 31)
        poll(&h, "consumer-1", hw: 45)
        let result = HighWatermarkChecker.check(Timeline(records: [leader(0, epoch: 0)]), history: h.history, limit: 10)
        #expect(result.verdict == .invalid)
        #expect(result.count == 1)
        #expect(result.anomalies.first?.process == "consumer-1")
        #expect(result.anomalies.first?.earlierHw == 40)
        #expect(result.anomalies.first?.laterHw == 31)
    }

    @Test func aDropAcrossALeaderChangeIsExplained() {
        var h = HistoryBuilder()
        h.stepNs = 2_000_000_000  // 2 s per line: the change must fall inside the window, not near it
        poll(&h, "consumer-1", hw: 40)   // ok at 4 s
        poll(&h, "consumer-1", hw: 31)   // ok at 8 s
        let change = leader(7_000_000_000, epoch: 1)
        let result = HighWatermarkChecker.check(Timeline(records: [leader(0, epoch: 0), change]), history: h.history, limit: 10)
        #expect(result.count == 0)
        #expect(result.notes.contains { $0.contains("1 drop(s) explained by a leader change") })
        let unexplained = HighWatermarkChecker.check(Timeline(records: [leader(0, epoch: 0), leader(20_000_000_000, epoch: 1)]),
                                                     history: h.history, limit: 10)
        #expect(unexplained.verdict == .invalid)
    }

    @Test func anAssignmentStartsTheConsumersViewAfresh() {
        var h = HistoryBuilder()
        h.stepNs = 100_000_000
        poll(&h, "consumer-1", hw: 40)
        h.assign("consumer-1", [0])
        poll(&h, "consumer-1", hw: 31)
        #expect(HighWatermarkChecker.check(Timeline(records: []), history: h.history, limit: 10).count == 0)
    }
}

@Suite struct HighWatermarkRestartTests {
    private func offsets(_ timeMs: Int64, hw: Int64) -> TimelineRecord {
        TimelineRecord(timeNs: timeMs * 1_000_000, .offsets(OffsetsSample(topic: "t", partition: 0, hw: hw, leo: hw, logStart: 0,
                                                                          leader: 1, leaderEpoch: 1)))
    }

    @Test func aLeaderRestartedAtTheSameEpochStartsFromItsCheckpoint() {
        // Every broker crashed and came back; the controller kept broker 1 as leader at epoch 1, and
        // its HW restarted from the checkpoint, below what it had served before.
        let restart = TimelineRecord(timeNs: 500_000_000, .process(ProcessRecord(name: "broker-1", state: .started, pid: 9)))
        let result = HighWatermarkChecker.check(Timeline(records: [offsets(0, hw: 1262), restart, offsets(1000, hw: 1188)]), limit: 10)
        #expect(result.verdict == .valid)
        #expect(result.notes.contains { $0.contains("measured afresh after their broker restarted") })
        let withoutRestart = HighWatermarkChecker.check(Timeline(records: [offsets(0, hw: 1262), offsets(1000, hw: 1188)]), limit: 10)
        #expect(withoutRestart.verdict == .invalid)
    }
}
