import Testing
@testable import Verification

private let ms: Int64 = 1_000_000

private func metadata(_ timeMs: Int64, leader: Int32, epoch: Int32, isr: [Int32]) -> TimelineRecord {
    TimelineRecord(timeNs: timeMs * ms, .metadata(MetadataSample(controller: 1, brokers: [1, 2, 3], partitions: [
        PartitionState(topic: "t", partition: 0, leader: leader, leaderEpoch: epoch, replicas: [1, 2, 3], isr: isr),
    ])))
}

private func unreachable(_ timeMs: Int64) -> TimelineRecord {
    TimelineRecord(timeNs: timeMs * ms, .unreachable(UnreachableSample(target: "broker-1", error: "refused")))
}

private func fault(_ timeMs: Int64, _ action: FaultRecord.Action, _ kind: FaultKind, _ target: String) -> TimelineRecord {
    TimelineRecord(timeNs: timeMs * ms, .fault(FaultRecord(id: "f1", action: action, fault: kind, targets: [target])))
}

private func lag(_ timeMs: Int64, committed: Int64, end: Int64) -> TimelineRecord {
    TimelineRecord(timeNs: timeMs * ms, .lag(LagSample(group: "g", topic: "t", partition: 0, committed: committed, end: end, lag: end - committed)))
}

private func figures(_ records: [TimelineRecord], minIsr: Int32 = 2, threshold: Int64 = 0) -> Figures {
    figures(HistoryBuilder(), records, minIsr: minIsr, threshold: threshold)
}

private func figures(_ h: HistoryBuilder, _ records: [TimelineRecord], minIsr: Int32 = 2, threshold: Int64 = 0) -> Figures {
    let timeline = Timeline(records: records)
    let parameters = RunParameters(
        topics: ["t": TopicSettings(partitions: 1, replicationFactor: 3, minInSyncReplicas: minIsr)],
        lagRecoveryThreshold: threshold)
    let report = CheckReport(history: h.history, timeline: timeline, parameters: parameters)
    return Figures(history: h.history, timeline: timeline, parameters: parameters, report: report)
}

@Suite struct FiguresTests {
    @Test func isrTimeUnderReplicatedAndUnderMinIsrIsSampledAndHeld() {
        let result = figures([
            metadata(0, leader: 1, epoch: 1, isr: [1, 2, 3]),
            metadata(1000, leader: 1, epoch: 1, isr: [1, 2]),
            metadata(3000, leader: 1, epoch: 1, isr: [1]),
            unreachable(3500),  // no knowledge from 3.5 s to 5 s: counts as neither
            metadata(5000, leader: 1, epoch: 1, isr: [1, 2, 3]),
            metadata(6000, leader: 1, epoch: 1, isr: [1, 2, 3]),
        ])
        let isr = result.isr[0]
        #expect(isr.underReplicatedMs == 2500)
        #expect(isr.underMinIsrMs == 500)
        #expect(isr.observedMs == 4500)
        // No broker events: shrinks and expands come from the samples.
        #expect(isr.shrinks == 2)
        #expect(isr.expands == 1)
        #expect(isr.changes.allSatisfy { $0.source == .metadata })
        #expect(isr.sizes.map(\.isrSize) == [3, 2, 1, nil, 3])
    }

    @Test func isrChangesComeFromBrokerEventsWhenThereAreAny() {
        let shrink = TimelineRecord(timeNs: 10 * ms, .brokerEvent(BrokerEvent(
            broker: 1, event: .isrShrink, topic: "t", partition: 0, oldIsr: [1, 2, 3], newIsr: [1, 2], reason: "lagging")))
        let result = figures([metadata(0, leader: 1, epoch: 1, isr: [1, 2, 3]), shrink, metadata(20, leader: 1, epoch: 1, isr: [1])])
        #expect(result.isr[0].shrinks == 1)
        #expect(result.isr[0].expands == 0)
        #expect(result.isr[0].changes.first?.timeNs == 10 * ms)
        #expect(result.isr[0].changes.first?.source == .brokerEvent)
        #expect(result.isr[0].changes.first?.newIsr == [1, 2])
    }

    @Test func failoverRunsFromTheLeaderFaultToTheFirstAckByANewLeader() {
        var h = HistoryBuilder()
        h.stepNs = 100 * ms
        h.send("producer-1", "a", offset: 0, broker: 1, epoch: 1)  // acked at 200 ms
        h.send("producer-1", "b", offset: 1, broker: 1, epoch: 1)  // acked at 400 ms by the old leader
        h.send("producer-1", "c", .info, error: "timed out")
        h.send("producer-1", "d", offset: 2, broker: 2, epoch: 2)  // acked at 800 ms
        let result = figures(h, [
            metadata(0, leader: 1, epoch: 1, isr: [1, 2, 3]),
            fault(300, .start, .crash, "broker-1"),
            metadata(500, leader: -1, epoch: 1, isr: [2, 3]),
            metadata(700, leader: 2, epoch: 2, isr: [2, 3]),
        ])
        #expect(result.failovers.count == 1)
        let failover = result.failovers[0]
        #expect(failover.oldLeader == 1)
        #expect(failover.oldLeaderEpoch == 1)
        #expect(failover.failoverMs == 500)
        #expect(failover.newLeader == 2)
        #expect(failover.basis == .newLeaderAck)
        #expect(failover.metadataFailoverMs == 400)
        let leaderless = result.unavailability.filter { $0.cause == .noLeader }
        #expect(leaderless.map(\.durationMs) == [200])
        let failing = result.unavailability.filter { $0.cause == .produceFailing }
        #expect(failing.count == 1)
        #expect(failing.first?.startNs == 500 * ms)
        #expect(failing.first?.endNs == 800 * ms)
        #expect(failing.first?.failedSends == 1)
    }

    @Test func failoverWithoutBrokerInfoUsesTheFirstAckAfterTheFault() {
        var h = HistoryBuilder()
        h.stepNs = 100 * ms
        h.send("producer-1", "a", offset: 0)
        h.send("producer-1", "b", offset: 1)
        let result = figures(h, [metadata(0, leader: 3, epoch: 1, isr: [1, 2, 3]), fault(250, .start, .pause, "3")])
        #expect(result.failovers.first?.failoverMs == 150)
        #expect(result.failovers.first?.basis == .firstAck)
    }

    @Test func faultOnAFollowerIsNoFailover() {
        let result = figures([metadata(0, leader: 1, epoch: 1, isr: [1, 2, 3]), fault(100, .start, .crash, "broker-2")])
        #expect(result.failovers.isEmpty)
    }

    @Test func lagRecoveryIsMeasuredFromTheLastFaultEnd() {
        let result = figures([
            lag(0, committed: 0, end: 0),
            fault(100, .start, .isolate, "broker-1"),
            lag(200, committed: 5, end: 50),
            fault(1000, .end, .isolate, "broker-1"),
            lag(1500, committed: 30, end: 60),
            lag(2500, committed: 60, end: 60),
            lag(3000, committed: 60, end: 61),
        ])
        let group = result.lag[0]
        #expect(group.maxLag == 45)
        #expect(group.lagAtEnd == 1)
        #expect(group.lastFaultEndNs == 1000 * ms)
        #expect(group.recoveryMs == 1500)
        #expect(group.points.count == 5)
    }

    @Test func lagThatNeverRecoversHasNoRecoveryTime() {
        let result = figures([fault(0, .end, .slow, "broker-1"), lag(100, committed: 1, end: 9)], threshold: 5)
        #expect(result.lag[0].recoveryMs == nil)
        let within = figures([fault(0, .end, .slow, "broker-1"), lag(100, committed: 5, end: 9)], threshold: 5)
        #expect(within.lag[0].recoveryMs == 100)
    }

    @Test func latencyPercentilesAndThroughputBuckets() {
        var h = HistoryBuilder()
        h.stepNs = 10 * ms
        for offset in 0..<100 { h.send("producer-1", "v\(offset)", offset: Int64(offset)) }
        h.send("producer-1", "x", .fail, error: "NOT_ENOUGH_REPLICAS")
        let result = figures(h, [])
        let latency = result.produceLatency
        #expect(latency?.count == 100)
        #expect(latency.map { abs($0.p50Ms - 10) < 0.1 } == true)
        #expect(latency.map { abs($0.maxMs - 10) < 0.1 } == true)
        // Completions at 20, 40, … 2000 ms, then the failure at 2020 ms.
        #expect(result.throughput.map(\.acknowledged) == [49, 50, 1])
        #expect(result.throughput.map(\.failed) == [0, 0, 1])
        #expect(result.throughput.first?.startNs == 0)
        #expect(result.counts.sendsAttempted == 101)
        #expect(result.counts.sendsAcknowledged == 100)
        #expect(result.counts.sendsFailed == 1)
    }
}
