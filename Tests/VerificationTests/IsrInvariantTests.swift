import Testing
@testable import Verification

private typealias F = EventFixtures

private func parameters(acks: [String: String] = ["producer-1-1": "all"], lagMs: Int64? = 2000) -> RunParameters {
    RunParameters(topics: ["t": TopicSettings(partitions: 1, replicationFactor: 3, minInSyncReplicas: 2)],
                  replicaLagTimeMaxMs: lagMs, producerAcks: acks)
}

private func acks(_ builder: HistoryBuilder, _ records: [TimelineRecord], _ parameters: RunParameters = parameters())
    -> CheckResult<AcksUnderMinIsr>
{
    AcksUnderMinIsrChecker.check(HistoryIndex(builder.history), timeline: Timeline(records: records), parameters: parameters, limit: 100)
}

private func stalled(_ records: [TimelineRecord], _ parameters: RunParameters = parameters()) -> CheckResult<StalledFollowerInIsr> {
    let timeline = Timeline(records: records)
    return StalledFollowerChecker.check(timeline, chain: PartitionStateChain(timeline), parameters: parameters, limit: 100)
}

/// Leader 1 with ISR [1, 2, 3]; at 1 s it drops to [1] (under min ISR 2); at 5 s 2 is back.
private let underMinFrom1To5: [TimelineRecord] = [
    F.becameLeader(0, broker: 1, epoch: 0, isr: [1, 2, 3], version: 0),
    F.isrChange(1000, broker: 1, epoch: 0, old: [1, 2, 3], new: [1], version: 1),
    F.isrChange(5000, broker: 1, epoch: 0, old: [1], new: [1, 2], version: 2),
]

@Suite struct AcksUnderMinIsrTests {
    @Test func anAckForASendMadeUnderMinIsrIsInvalid() {
        var history = HistoryBuilder()
        history.send("producer-1-1", "a", invokeMs: 500, ackMs: 1500, offset: 0)
        history.send("producer-1-1", "b", invokeMs: 2000, ackMs: 2100, offset: 1)
        history.send("producer-1-1", "c", invokeMs: 2200, ackMs: 4800, offset: 2)
        history.send("producer-1-1", "d", invokeMs: 5200, ackMs: 5300, offset: 3)
        let result = acks(history, underMinFrom1To5)
        #expect(result.verdict == .invalid)
        // a: sent before the shrink; c: answered within the slack before the ISR grew; d: after.
        #expect(result.count == 1)
        let found = result.anomalies[0]
        #expect(found.value == "b" && found.offset == 1 && found.process == "producer-1-1" && found.broker == 1)
        #expect(found.invokeNs == 2000 * F.ms && found.ackNs == 2100 * F.ms)
        #expect(found.interval.isr == [1] && found.interval.startNs == 1000 * F.ms && found.interval.endNs == 5000 * F.ms)
        #expect(found.interval.minInSyncReplicas == 2 && found.interval.leader == 1)
    }

    @Test func aProduceWaitingWhenTheIsrShrankAndCompletedAfterIsInvalid() {
        // Both sent before the shrink at 1 s, when the leader's HW was 1: offset 0 was committed
        // then (a late answer is fine); offset 1 was not, so its acknowledgement at 1.2 s was decided
        // with the ISR below min.
        let records = [
            F.becameLeader(0, broker: 1, epoch: 0, isr: [1, 2, 3], version: 0),
            F.isrChange(1000, broker: 1, epoch: 0, old: [1, 2, 3], new: [1], version: 1, hw: 1),
            F.isrChange(5000, broker: 1, epoch: 0, old: [1], new: [1, 2], version: 2, hw: 1),
        ]
        var history = HistoryBuilder()
        history.send("producer-1-1", "a", invokeMs: 900, ackMs: 1100, offset: 0)
        history.send("producer-1-1", "b", invokeMs: 950, ackMs: 1200, offset: 1)
        let result = acks(history, records)
        #expect(result.verdict == .invalid)
        #expect(result.anomalies.map(\.value) == ["b"])
        #expect(result.anomalies.first?.interval.hwAtStart == 1)
        // Without the HW on the shrink, a send made before it is not judged.
        #expect(acks(history, underMinFrom1To5).verdict == .valid)
    }

    @Test func sendsOutsideUnderMinIsrSpansAreValid() {
        var history = HistoryBuilder()
        history.send("producer-1-1", "a", invokeMs: 500, ackMs: 900, offset: 0)
        history.send("producer-1-1", "d", invokeMs: 5200, ackMs: 5300, offset: 1)
        let result = acks(history, underMinFrom1To5)
        #expect(result.verdict == .valid)
        #expect(result.notes.first == "2 acknowledged acks=all send(s) judged against 1 under-min-ISR span(s)")
    }

    @Test func acksOneSendsAreNotJudged() {
        var history = HistoryBuilder()
        history.send("producer-1-1", "b", invokeMs: 2000, ackMs: 2100, offset: 0)
        #expect(acks(history, underMinFrom1To5, parameters(acks: ["producer-1-1": "1"])).verdict == .valid)
    }

    @Test func unknownAcksSettingsAreUnknown() {
        var history = HistoryBuilder()
        history.send("producer-1-1", "b", invokeMs: 2000, ackMs: 2100, offset: 0)
        let result = acks(history, underMinFrom1To5, parameters(acks: [:]))
        #expect(result.verdict == .unknown)
        #expect(result.notes.contains { $0.contains("1 acknowledged send(s) of processes whose acks setting is not known") })
    }

    @Test func withoutTheLeadersIsrReportsItIsUnknown() {
        var history = HistoryBuilder()
        history.send("producer-1-1", "b", invokeMs: 2000, ackMs: 2100, offset: 0)
        #expect(acks(history, [F.metadata(0, leader: 1, isr: [1])]).verdict == .unknown)
    }

    @Test func theSpanOutlivesALeaderlessGapAndEndsWithAFullIsr() {
        // Leader 1 falls to [1] at 1 s and dies; 2 takes over at 3 s, also alone; at 6 s a new
        // leader with a full ISR takes over.
        let records = [
            F.becameLeader(0, broker: 1, epoch: 0, isr: [1, 2, 3], version: 0),
            F.isrChange(1000, broker: 1, epoch: 0, old: [1, 2, 3], new: [1], version: 1),
            F.becameLeader(3000, broker: 2, epoch: 1, isr: [2], version: 2),
            F.becameLeader(6000, broker: 3, epoch: 2, isr: [2, 3], version: 3),
        ]
        var history = HistoryBuilder()
        history.send("producer-1-1", "b", invokeMs: 2000, ackMs: 3500, offset: 0, broker: 2)
        history.send("producer-1-1", "c", invokeMs: 6100, ackMs: 6200, offset: 1, broker: 3)
        let result = acks(history, records)
        #expect(result.count == 1)
        #expect(result.anomalies.first?.value == "b")
        #expect(result.anomalies.first?.interval.endNs == 6000 * F.ms)
    }

    @Test func aDeposedLeadersLateLinesAreIgnored() {
        let records = [
            F.becameLeader(0, broker: 1, epoch: 0, isr: [1, 2, 3], version: 0),
            F.becameLeader(1000, broker: 2, epoch: 1, isr: [2, 3], version: 1),
            F.isrChange(1100, broker: 1, epoch: 0, old: [1, 2, 3], new: [1], version: 1),
        ]
        var history = HistoryBuilder()
        history.send("producer-1-1", "b", invokeMs: 2000, ackMs: 2100, offset: 0, broker: 2)
        #expect(acks(history, records).verdict == .valid)
    }
}

/// Leader 1 of t/0 with ISR [1, 2, 3] from 0 s, observed every 500 ms until 12 s.
private func leaderOneWith(isr: @escaping (Int64) -> [Int32], extra: [TimelineRecord]) -> [TimelineRecord] {
    [F.becameLeader(0, broker: 1, epoch: 0, isr: [1, 2, 3], version: 0)] + F.metadata(from: 0, to: 12_000, leader: 1, isr: isr) + extra
}

@Suite struct StalledFollowerTests {
    @Test func aPausedFollowerStillInTheIsrAfterTheDeadlineIsInvalid() {
        let result = stalled(leaderOneWith(isr: { _ in [1, 2, 3] }, extra: [
            F.process(1000, "broker-3", .paused), F.process(10_000, "broker-3", .resumed),
        ]))
        #expect(result.verdict == .invalid)
        let found = result.anomalies[0]
        #expect(found.follower == 3 && found.leader == 1 && found.leaderEpoch == 0)
        #expect(found.stallStartNs == 1000 * F.ms && found.stallEndNs == 10_000 * F.ms)
        #expect(found.deadlineNs == 6000 * F.ms, "1 s + lag 2 s + slack (1 s + 2 s)")
        #expect(found.seenInIsrNs == 6000 * F.ms && found.isr == [1, 2, 3])
        #expect(found.lagTimeMaxMs == 2000 && found.slackMs == 3000)
        #expect(found.cause.contains("broker 3"))
    }

    @Test func aPausedFollowerDroppedInTimeIsValid() {
        let result = stalled(leaderOneWith(isr: { $0 < 4500 ? [1, 2, 3] : [1, 2] }, extra: [
            F.process(1000, "broker-3", .paused), F.process(10_000, "broker-3", .resumed),
            F.isrChange(4000, broker: 1, epoch: 0, old: [1, 2, 3], new: [1, 2], version: 1),
        ]))
        #expect(result.verdict == .valid)
        #expect(result.notes.first?.hasSuffix("1 stall(s) judged") == true)
    }

    @Test func aBlackholedLinkIsAStallAndASlowOneIsNot() {
        let cut = stalled(leaderOneWith(isr: { _ in [1, 2, 3] }, extra: [
            F.fault(1000, id: "1", .start, .partition, targets: ["broker-1", "broker-3"], links: ["1->3", "3->1"]),
            F.fault(9000, id: "1", .end, .partition),
        ]))
        #expect(cut.verdict == .invalid)
        #expect(cut.anomalies.first?.cause.contains("blackholed") == true)
        let slow = stalled(leaderOneWith(isr: { _ in [1, 2, 3] }, extra: [
            F.fault(1000, id: "1", .start, .slow, targets: ["broker-3"], links: ["1->3", "3->1"]),
            F.fault(9000, id: "1", .end, .slow),
        ]))
        #expect(slow.verdict == .valid)
        #expect(slow.notes.first?.hasSuffix("0 stall(s) judged") == true)
    }

    @Test func aNewLeaderEpochRestartsTheClock() {
        let records = leaderOneWith(isr: { _ in [1, 2, 3] }, extra: [
            F.process(1000, "broker-3", .paused), F.process(8500, "broker-3", .resumed),
            F.becameLeader(4000, broker: 1, epoch: 1, isr: [1, 2, 3], version: 1),
        ])
        #expect(stalled(records).verdict == .valid, "3 s under epoch 0, 4.5 s under epoch 1: both within 5 s")
    }

    @Test func aLeaderThatCannotActIsExcused() {
        let records = leaderOneWith(isr: { _ in [1, 2, 3] }, extra: [
            F.process(1000, "broker-3", .paused), F.process(10_000, "broker-3", .resumed),
            F.fault(3000, id: "2", .start, .isolateZooKeeper, targets: ["broker-1"], links: ["1->zk"]),
            F.fault(7000, id: "2", .end, .isolateZooKeeper),
        ])
        #expect(stalled(records).verdict == .valid, "the clock restarts at 7 s; 3 s of stall remain")
    }

    @Test func aStallWithoutASampleAfterItsDeadlineIsUnknown() {
        let records = [F.becameLeader(0, broker: 1, epoch: 0, isr: [1, 2, 3], version: 0)]
            + F.metadata(from: 0, to: 5000, leader: 1, isr: { _ in [1, 2, 3] })
            + [F.process(1000, "broker-3", .paused), F.process(10_000, "broker-3", .resumed)]
        let result = stalled(records)
        #expect(result.verdict == .unknown)
        #expect(result.notes.contains { $0.hasPrefix("1 stall(s) not judged") })
    }

    @Test func unknownLagTimeIsUnknown() {
        let result = stalled(leaderOneWith(isr: { _ in [1, 2, 3] }, extra: []), parameters(lagMs: nil))
        #expect(result.verdict == .unknown)
        #expect(result.notes == ["replica.lag.time.max.ms of the run is not known"])
    }
}

@Suite struct PollAboveHighWatermarkTests {
    private func check(_ builder: HistoryBuilder, _ records: [TimelineRecord] = []) -> CheckResult<PollAboveHighWatermark> {
        PollAboveHighWatermarkChecker.check(builder.history, timeline: Timeline(records: records), limit: 100)
    }

    @Test func recordsAtOrAboveTheHighWatermarkAreInvalid() {
        var history = HistoryBuilder()
        history.poll("consumer-1-1", atMs: 1000, [(5, "a"), (6, "b"), (7, "c")], hw: 6)
        let result = check(history)
        #expect(result.verdict == .invalid)
        #expect(result.count == 2)
        #expect(result.anomalies.map(\.offset) == [6, 7])
        #expect(result.anomalies[0].hw == 6 && result.anomalies[0].process == "consumer-1-1" && result.anomalies[0].value == "b")
    }

    @Test func recordsBelowTheHighWatermarkAreValid() {
        var history = HistoryBuilder()
        history.poll("consumer-1-1", atMs: 1000, [(5, "a"), (6, "b")], hw: 7)
        #expect(check(history).verdict == .valid)
    }

    @Test func aLeaderChangeNearThePollExcusesALaggingHighWatermark() {
        var history = HistoryBuilder()
        history.poll("consumer-1-1", atMs: 3000, [(6, "b")], hw: 5)
        let result = check(history, [F.becameLeader(0, broker: 1, epoch: 0, isr: [1], version: 0),
                                     F.becameLeader(1000, broker: 2, epoch: 1, isr: [2], version: 1)])
        #expect(result.verdict == .valid)
        #expect(result.notes.contains { $0.contains("1 record(s) at or above the HW excused: a leader change") })
        // The same poll long after the change is not excused.
        var later = HistoryBuilder()
        later.poll("consumer-1-1", atMs: 9000, [(6, "b")], hw: 5)
        #expect(check(later, [F.becameLeader(0, broker: 1, epoch: 0, isr: [1], version: 0),
                              F.becameLeader(1000, broker: 2, epoch: 1, isr: [2], version: 1)]).verdict == .invalid)
    }

    @Test func aPartitionsFirstLeaderIsNoLeaderChange() {
        var history = HistoryBuilder()
        history.poll("consumer-1-1", atMs: 1000, [(6, "b")], hw: 5)
        #expect(check(history, [F.becameLeader(500, broker: 1, epoch: 0, isr: [1], version: 0)]).verdict == .invalid)
    }

    @Test func aHighWatermarkThatWentBackInTheConsumersViewExcusesTheRecord() {
        var history = HistoryBuilder()
        history.poll("consumer-1-1", atMs: 1000, [(5, "a")], hw: 9)
        history.poll("consumer-1-1", atMs: 20_000, [(7, "c")], hw: 6)
        #expect(check(history).verdict == .valid)
    }

    @Test func aRunWithoutConsumerReadsHasNothingToJudge() {
        var history = HistoryBuilder()
        history.poll("consumer-1-1", atMs: 1000, [], hw: nil)
        let result = check(history)
        #expect(result.verdict == .valid)
        #expect(result.notes.contains("no consumer poll returned a record: nothing to judge"))
    }

    @Test func pollsWithoutHighWatermarksAreUnknown() {
        var history = HistoryBuilder()
        history.poll("consumer-1-1", atMs: 1000, [(5, "a")], hw: nil)
        let result = check(history)
        #expect(result.verdict == .unknown)
        #expect(result.notes.contains { $0.contains("no poll records the consumer's high watermark") })
    }
}
