import Testing
@testable import Verification

private let ms: Int64 = 1_000_000

private func measure(_ h: HistoryBuilder, _ records: [TimelineRecord] = []) -> Figures {
    let timeline = Timeline(records: records)
    let report = CheckReport(history: h.history, timeline: timeline)
    return Figures(history: h.history, timeline: timeline, report: report)
}

private func fault(_ timeMs: Int64, _ id: String, _ action: FaultRecord.Action, _ kind: FaultKind = .crash) -> TimelineRecord {
    TimelineRecord(timeNs: timeMs * ms, .fault(FaultRecord(
        id: id, action: action, fault: kind, targets: ["broker-2"], description: "\(kind) broker-2")))
}

private func lag(_ timeMs: Int64, group: String, partition: Int32, lag: Int64) -> TimelineRecord {
    TimelineRecord(timeNs: timeMs * ms, .lag(LagSample(
        group: group, topic: "t", partition: partition, committed: 100 - lag, end: 100, lag: lag)))
}

/// Figures the report's charts and summaries read: latency per bucket, fault windows, group lag.
@Suite struct ChartFiguresTests {
    @Test func latencyPerBucketUsesTheThroughputBucketsAndLeavesGapsEmpty() {
        var h = HistoryBuilder()
        h.stepNs = 100 * ms
        // Second 0: three acknowledged sends of 100 ms each. Second 1: nothing. Second 2: one
        // acknowledged (100 ms) and one that timed out.
        for (offset, value) in ["a", "b", "c"].enumerated() { h.send("producer-1", value, offset: Int64(offset)) }
        h.timeNs = 2_000 * ms
        h.send("producer-1", "d", offset: 3)
        h.send("producer-1", "e", .info, error: "timed out")
        let figures = measure(h)
        let latency = figures.produceLatencyOverTime
        #expect(latency.map(\.startNs) == figures.throughput.map(\.startNs))
        #expect(latency.map(\.count) == [3, 0, 1])
        #expect(latency[0].p50Ms == 100)
        #expect(latency[0].p99Ms == 100)
        #expect(latency[1].p50Ms == nil)
        #expect(latency[1].maxMs == nil)
        #expect(latency[2].maxMs == 100)
    }

    @Test func latencyPercentilesAreNearestRank() {
        var h = HistoryBuilder()
        h.stepNs = 0
        for (index, latencyMs) in [10, 20, 30, 40, 500].enumerated() {
            h.timeNs = 100 * ms
            h.invokeSend("producer-\(index)", "v\(index)")
            h.timeNs = Int64(100 + latencyMs) * ms
            h.completeSend("producer-\(index)", "v\(index)", offset: Int64(index))
        }
        let bucket = measure(h).produceLatencyOverTime[0]
        #expect(bucket.count == 5)
        #expect(bucket.p50Ms == 30)
        #expect(bucket.p99Ms == 500)
        #expect(bucket.maxMs == 500)
    }

    @Test func faultWindowsPairStartsWithEndsByIdAndRunOpenOnesToTheEnd() {
        let timeline = Timeline(records: [
            fault(0, "9", .end, .pause),  // began before observation
            fault(100, "1", .start),
            fault(200, "2", .start, .partition),
            fault(300, "1", .end),
            fault(900, "3", .start, .slow),
            TimelineRecord(timeNs: 1_000 * ms, .lag(LagSample(group: "g", topic: "t", partition: 0, committed: 0, end: 0, lag: 0))),
        ])
        let windows = timeline.faultWindows
        #expect(windows.map(\.id) == ["9", "1", "2", "3"])
        #expect(windows[0].startNs == 0 && windows[0].endNs == 0 && !windows[0].ongoing)
        #expect(windows[1].startNs == 100 * ms && windows[1].endNs == 300 * ms && !windows[1].ongoing)
        #expect(windows[1].durationMs == 200)
        #expect(windows[1].description == "crash broker-2")
        #expect(windows[1].targets == ["broker-2"])
        #expect(windows[2].endNs == 1_000 * ms && windows[2].ongoing)
        #expect(windows[3].fault == .slow && windows[3].ongoing)
    }

    @Test func groupLagSummaryTakesTheWorstPartitionAndTheSlowestRecovery() {
        let figures = measure(HistoryBuilder(), [
            fault(0, "1", .start),
            lag(100, group: "g", partition: 0, lag: 50),
            lag(100, group: "g", partition: 1, lag: 80),
            fault(200, "1", .end),
            lag(300, group: "g", partition: 0, lag: 0),
            lag(300, group: "g", partition: 1, lag: 5),
            lag(600, group: "g", partition: 1, lag: 0),
            lag(300, group: "h", partition: 0, lag: 7),
        ])
        let groups = figures.lagByGroup
        #expect(groups.map(\.group) == ["g", "h"])
        #expect(groups[0].partitions == 2)
        #expect(groups[0].maxLag == 80)
        #expect(groups[0].lagAtEnd == 0)
        #expect(groups[0].recoveryMs == 400)
        #expect(groups[0].unrecoveredPartitions == 0)
        #expect(groups[1].recoveryMs == nil)
        #expect(groups[1].unrecoveredPartitions == 1)
        #expect(groups[1].lagAtEnd == 7)
    }

    @Test func isrTotalsAddUpEveryPartition() {
        func sample(_ timeMs: Int64, _ isr0: [Int32], _ isr1: [Int32]) -> TimelineRecord {
            TimelineRecord(timeNs: timeMs * ms, .metadata(MetadataSample(brokers: [1, 2, 3], partitions: [
                PartitionState(topic: "t", partition: 0, leader: 1, replicas: [1, 2, 3], isr: isr0),
                PartitionState(topic: "t", partition: 1, leader: 2, replicas: [1, 2, 3], isr: isr1),
            ])))
        }
        let figures = measure(HistoryBuilder(), [
            sample(0, [1, 2, 3], [1, 2, 3]), sample(100, [1, 2], [2]), sample(200, [1, 2, 3], [2]),
        ])
        #expect(figures.isrShrinks == 2)
        #expect(figures.isrExpands == 1)
    }
}
