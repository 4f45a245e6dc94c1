import Testing
@testable import Verification

private func leader(_ timeMs: Int64, broker: Int32, epoch: Int32, partition: Int32 = 0) -> TimelineRecord {
    TimelineRecord(
        timeNs: timeMs * 1_000_000,
        .brokerEvent(BrokerEvent(broker: broker, event: .becameLeader, topic: "t", partition: partition, leaderEpoch: epoch)))
}

private func follower(_ timeMs: Int64, broker: Int32, epoch: Int32) -> TimelineRecord {
    TimelineRecord(
        timeNs: timeMs * 1_000_000,
        .brokerEvent(BrokerEvent(broker: broker, event: .becameFollower, topic: "t", partition: 0, leaderEpoch: epoch)))
}

private func leadership(_ records: [TimelineRecord]) -> LeadershipAnalysis {
    SingleLeaderChecker.check(Timeline(records: records), limit: 100)
}

@Suite struct SingleLeaderTests {
    @Test func cleanHandOverIsValidWithoutOverlap() {
        let analysis = leadership([
            leader(0, broker: 1, epoch: 1), follower(100, broker: 1, epoch: 2), leader(120, broker: 2, epoch: 2),
        ])
        #expect(analysis.verdict.verdict == .valid)
        #expect(analysis.overlaps.isEmpty)
        #expect(analysis.windows.count == 2)
        #expect(analysis.windows[0].endedBy == "became_follower")
        #expect(analysis.windows[1].endedBy == "end of timeline")
    }

    @Test func twoLeadersInOneEpochAreInvalid() {
        let analysis = leadership([leader(0, broker: 1, epoch: 5), leader(10, broker: 2, epoch: 5)])
        #expect(analysis.verdict.verdict == .invalid)
        let violation = analysis.verdict.anomalies[0]
        #expect(violation.kind == .doubleLeader)
        #expect(violation.leaderEpoch == 5)
        #expect(violation.brokers == [1, 2])
        #expect(violation.timesNs == [0, 10_000_000])
    }

    @Test func sameBrokerRepeatingItsEpochIsNotADoubleLeader() {
        let analysis = leadership([leader(0, broker: 1, epoch: 5), leader(10, broker: 1, epoch: 5)])
        #expect(analysis.verdict.verdict == .valid)
        #expect(analysis.windows.count == 1)
    }

    @Test func decreasingEpochIsInvalid() {
        let analysis = leadership([leader(0, broker: 1, epoch: 7), follower(10, broker: 1, epoch: 8), leader(20, broker: 1, epoch: 6)])
        #expect(analysis.verdict.verdict == .invalid)
        let violation = analysis.verdict.anomalies[0]
        #expect(violation.kind == .epochRegression)
        #expect(violation.brokers == [1])
        #expect(violation.previousEpoch == 8)
        #expect(violation.leaderEpoch == 6)
    }

    @Test func zombieLeaderAcrossEpochsIsAReportedOverlapNotAViolation() {
        // Broker 1 is paused while leader; broker 2 takes over in epoch 2; broker 1 learns of it
        // only when it resumes, 400 ms later.
        let analysis = leadership([
            leader(0, broker: 1, epoch: 1), leader(100, broker: 2, epoch: 2), follower(500, broker: 1, epoch: 2),
        ])
        #expect(analysis.verdict.verdict == .valid)
        #expect(analysis.overlaps.count == 1)
        let overlap = analysis.overlaps[0]
        #expect(overlap.first.broker == 1)
        #expect(overlap.second.broker == 2)
        #expect(overlap.startNs == 100_000_000)
        #expect(overlap.endNs == 500_000_000)
        #expect(overlap.durationMs == 400)
    }

    @Test func deathEndsLeadershipWithoutInventingKnowledge() {
        let analysis = leadership([
            leader(0, broker: 1, epoch: 1),
            TimelineRecord(timeNs: 50_000_000, .process(ProcessRecord(name: "broker-1", state: .killed, pid: 42))),
            leader(100, broker: 2, epoch: 2),
            leader(150, broker: 3, epoch: 1, partition: 1),
            TimelineRecord(timeNs: 160_000_000, .fault(FaultRecord(id: "f1", action: .start, fault: .crash, targets: ["broker-3"]))),
            leader(170, broker: 2, epoch: 2, partition: 1),
        ])
        #expect(analysis.verdict.verdict == .valid)
        #expect(analysis.overlaps.isEmpty)
        #expect(analysis.windows.first { $0.broker == 1 }?.endNs == 50_000_000)
        #expect(analysis.windows.first { $0.broker == 1 }?.endedBy == "process killed")
        #expect(analysis.windows.first { $0.broker == 3 }?.endedBy == "fault crash")
    }

    @Test func noLeadershipEventsIsUnknown() {
        #expect(leadership([]).verdict.verdict == .unknown)
    }
}
