import Report
import Verification

/// A three-hour run on twenty partitions of a topic with a hostile name, three consumer groups,
/// fifty faults, and observers that lose sight of the cluster now and then: more of everything
/// than a chart can show, to hold the reports to their limits.
enum LongRunFixture {
    static let topic = "orders<&>\"'"
    static let partitions: Int32 = 20
    static let durationS: Int64 = 3 * 3600
    static let second: Int64 = 1_000_000_000

    static func report() -> RunReport {
        let startNs = RunFixture.startNs
        var ops: [HistoryOp] = []
        var offsets = [Int64](repeating: 0, count: Int(partitions))
        var reads: [[ReadRecord]] = Array(repeating: [], count: Int(partitions))
        // A send every two seconds, acknowledged 2 to 80 ms later (slower now and then).
        for sequence in 0..<(durationS / 2) {
            let partition = Int32(sequence % Int64(partitions))
            let invokeNs = startNs + sequence * 2 * second
            let latencyNs = (sequence % 300 < 5 ? 80 : 2 + sequence % 7) * 1_000_000
            let value = "p-\(sequence)"
            ops.append(HistoryOp(index: ops.count, timeNs: invokeNs, process: "producer-1", type: .invoke, f: .send,
                                 value: .send(SendValue(topic: topic, value: value, partition: partition))))
            let offset = offsets[Int(partition)]
            offsets[Int(partition)] += 1
            ops.append(HistoryOp(index: ops.count, timeNs: invokeNs + latencyNs, process: "producer-1", type: .ok, f: .send,
                                 value: .send(SendValue(topic: topic, value: value, partition: partition, offset: offset, broker: 1, leaderEpoch: 1))))
            reads[Int(partition)].append(ReadRecord(topic: topic, partition: partition, offset: offset, value: value))
        }
        let endNs = startNs + durationS * second
        for partition in 0..<Int(partitions) {
            ops.append(HistoryOp(index: ops.count, timeNs: endNs + 1, process: "final-reader", type: .invoke, f: .finalRead))
            ops.append(HistoryOp(index: ops.count, timeNs: endNs + 2, process: "final-reader", type: .ok, f: .finalRead,
                                 value: .poll(PollValue(records: reads[partition]))))
        }
        var records: [TimelineRecord] = []
        for partition in 0..<partitions {
            records.append(TimelineRecord(timeNs: startNs, .brokerEvent(BrokerEvent(
                broker: 1, event: .becameLeader, topic: topic, partition: partition, leaderEpoch: 1, leader: 1))))
        }
        for fault in 0..<Int64(50) {
            let startS = 60 + fault * 200
            for (time, action) in [(startS, FaultRecord.Action.start), (startS + 40, .end)] {
                records.append(TimelineRecord(timeNs: startNs + time * second, .fault(FaultRecord(
                    id: String(fault), action: action, fault: fault % 2 == 0 ? .pause : .partition,
                    targets: ["broker-\(2 + fault % 2)"], description: "fault <\(fault)> on broker-\(2 + fault % 2)"))))
            }
        }
        for sampleS in stride(from: Int64(0), to: durationS, by: 10) {
            let timeNs = startNs + sampleS * second
            if sampleS % 1000 == 500 {
                records.append(TimelineRecord(timeNs: timeNs, .unreachable(UnreachableSample(target: "cluster", error: "timed out"))))
                continue
            }
            let faulted = (sampleS - 60) % 200 < 40 && sampleS >= 60
            records.append(TimelineRecord(timeNs: timeNs, .metadata(MetadataSample(controller: 1, brokers: [1, 2, 3], partitions:
                (0..<partitions).map { partition in
                    PartitionState(topic: topic, partition: partition, leader: 1, leaderEpoch: 1, replicas: [1, 2, 3],
                                   isr: faulted && partition % 3 == 0 ? [1] : faulted ? [1, 3] : [1, 2, 3])
                }))))
            guard sampleS % 30 == 0 else { continue }
            for group in ["g1", "g2", "<group>"] {
                for partition in 0..<partitions {
                    let lag = faulted ? Int64(10 + partition * 3) : Int64(partition % 2)
                    records.append(TimelineRecord(timeNs: timeNs, .lag(LagSample(
                        group: group, topic: topic, partition: partition, committed: 1000 - lag, end: 1000, lag: lag))))
                }
            }
        }
        let history = History(ops: ops)
        let timeline = Timeline(records: records)
        let parameters = RunParameters(topics: [topic: TopicSettings(partitions: partitions, replicationFactor: 3, minInSyncReplicas: 2)])
        let checks = CheckReport(history: history, timeline: timeline, parameters: parameters, clients: cleanExits(history))
        let figures = Figures(history: history, timeline: timeline, parameters: parameters, report: checks)
        return RunReport(
            runName: "long-run", playbook: PlaybookSummary(name: "long", description: "three hours of pauses and partitions"),
            startNs: startNs, endNs: endNs, cluster: ClusterSummary(brokers: [1, 2, 3], parameters: parameters), checks: checks,
            figures: figures, faults: timeline.faultWindows,
            expectations: [Expectation(name: "no_lost_writes", expected: "0", observed: "\(checks.lostWrite.count)", passed: checks.lostWrite.count == 0)])
    }
}
