import Report
import Verification

/// An unsafe run as the issue saw it, built in memory: acks=1 on topic "orders" (one partition),
/// two faults with the same words ("isolate the leader"), broker 2 leading from 7.5 s and
/// logging the shrink of its ISR to [2] at +8.20 s while the metadata samples still show three
/// in-sync replicas until +12.46 s, broker 1 taking over at 13.0 s and broker 2 truncating: 110
/// acknowledged writes lost. Twenty sends a second, so a second's p99 latency is its max; ten
/// `__consumer_offsets` partitions beside.
enum UnsafeRunFixture {
    static let startNs = RunFixture.startNs
    static let ms: Int64 = 1_000_000
    static let topic = "orders"
    /// When broker 2's isr_shrink was logged, and when the samples first showed it.
    static let shrinkMs: Int64 = 8_200
    static let sampledShrinkMs: Int64 = 12_460

    static func report() -> RunReport {
        var ops: [HistoryOp] = []
        func line(_ timeMs: Int64, _ process: String, _ type: OpType, _ f: OpFunction, _ value: OpValue) {
            ops.append(HistoryOp(index: ops.count, timeNs: startNs + timeMs * ms, process: process, type: type, f: f, value: value))
        }
        // Leaders by acknowledgement time: broker 1 (epoch 1), broker 2 (epoch 2) from 7.5 s, broker 1
        // (epoch 3) from 13 s, writing over broker 2's offsets.
        var finalLog: [ReadRecord] = []
        var nextOffset: Int64 = 0
        var takeoverOffset: Int64 = 0
        var broker2End: Int64 = 0
        var tookOver = false
        for sequence in Int64(0)..<316 {
            let sentMs = 100 + sequence * 50
            let ackMs = sentMs + ((5_000..<7_500).contains(sentMs) ? 30 + sequence % 5 : 3 + sequence % 3)
            let value = "v-\(sequence)"
            let (broker, epoch): (Int32, Int32) = ackMs < 7_500 ? (1, 1) : ackMs < 13_000 ? (2, 2) : (1, 3)
            if epoch == 3, !tookOver {
                tookOver = true
                takeoverOffset = Int64(finalLog.count)
                broker2End = nextOffset
                nextOffset = takeoverOffset
            }
            line(sentMs, "producer-1", .invoke, .send, .send(SendValue(topic: topic, value: value, partition: 0)))
            line(ackMs, "producer-1", .ok, .send, .send(SendValue(
                topic: topic, value: value, partition: 0, offset: nextOffset, broker: broker, leaderEpoch: epoch)))
            if epoch != 2 { finalLog.append(ReadRecord(topic: topic, partition: 0, offset: nextOffset, value: value)) }
            nextOffset += 1
        }
        line(16_100, "final-reader", .invoke, .finalRead, .none)
        line(16_200, "final-reader", .ok, .finalRead, .poll(PollValue(records: finalLog)))

        var records: [TimelineRecord] = []
        func event(_ timeMs: Int64, _ event: BrokerEvent) {
            records.append(TimelineRecord(timeNs: startNs + timeMs * ms, observer: "broker-\(event.broker)", .brokerEvent(event)))
        }
        event(0, BrokerEvent(broker: 1, event: .becameLeader, topic: topic, partition: 0, leaderEpoch: 1, leader: 1, isr: [1, 2, 3]))
        event(7_500, BrokerEvent(broker: 2, event: .becameLeader, topic: topic, partition: 0, leaderEpoch: 2, leader: 2, isr: [2, 3]))
        event(shrinkMs, BrokerEvent(
            broker: 2, event: .isrShrink, topic: topic, partition: 0, leaderEpoch: 2, oldIsr: [2, 3], newIsr: [2],
            reason: "replica 3 fell behind"))
        event(13_000, BrokerEvent(broker: 1, event: .becameLeader, topic: topic, partition: 0, leaderEpoch: 3, leader: 1, isr: [1, 3]))
        event(13_100, BrokerEvent(
            broker: 2, event: .truncate, topic: topic, partition: 0, leaderEpoch: 3, fromOffset: broker2End, toOffset: takeoverOffset))
        event(14_500, BrokerEvent(
            broker: 1, event: .isrExpand, topic: topic, partition: 0, leaderEpoch: 3, oldIsr: [1, 3], newIsr: [1, 2, 3]))
        for (id, startMs, endMs) in [("1", Int64(5_000), Int64(7_000)), ("2", 10_000, 12_000)] {
            for (timeMs, action) in [(startMs, FaultRecord.Action.start), (endMs, .end)] {
                records.append(TimelineRecord(timeNs: startNs + timeMs * ms, .fault(FaultRecord(
                    id: id, action: action, fault: .partition, targets: ["broker-1"], description: "isolate the leader"))))
            }
        }
        // The observers' view, sampled every 250 ms and late: three in-sync replicas until 12.46 s.
        for timeMs in stride(from: Int64(0), through: 16_000, by: 250).map({ $0 == 12_500 ? sampledShrinkMs : $0 }) {
            let (leader, epoch, isr): (Int32, Int32, [Int32]) = switch timeMs {
            case ..<7_500: (1, 1, [1, 2, 3])
            case ..<sampledShrinkMs: (2, 2, [1, 2, 3])
            case ..<13_000: (2, 2, [2])
            case ..<14_750: (1, 3, [1, 3])
            default: (1, 3, [1, 2, 3])
            }
            let offsets = (0..<Int32(10)).map { partition in
                PartitionState(topic: "__consumer_offsets", partition: partition, leader: 1 + partition % 3, leaderEpoch: 1,
                               replicas: [1, 2, 3], isr: (5_000..<7_500).contains(timeMs) ? [2, 3] : [1, 2, 3])
            }
            records.append(TimelineRecord(timeNs: startNs + timeMs * ms, observer: "metadata", .metadata(MetadataSample(
                controller: 1, brokers: [1, 2, 3],
                partitions: [PartitionState(topic: topic, partition: 0, leader: leader, leaderEpoch: epoch, replicas: [1, 2, 3], isr: isr)]
                    + offsets))))
        }

        let history = History(ops: ops)
        let timeline = Timeline(records: records)
        let parameters = RunParameters(
            topics: [topic: TopicSettings(partitions: 1, replicationFactor: 3, minInSyncReplicas: 2)], replicaLagTimeMaxMs: 2000,
            producerAcks: ["producer-1": "1"])
        let checks = CheckReport(history: history, timeline: timeline, parameters: parameters, clients: cleanExits(history))
        let figures = Figures(history: history, timeline: timeline, parameters: parameters, report: checks)
        return RunReport(
            runName: "unsafe-run", playbook: PlaybookSummary(name: "acks1-leader-cut", description: "acks=1 while the leader is cut off"),
            seed: 7, startNs: startNs, endNs: startNs + 16_500 * ms, cluster: ClusterSummary(brokers: [1, 2, 3], parameters: parameters),
            checks: checks, figures: figures, faults: timeline.faultWindows,
            expectations: [Expectation(
                name: "lost_writes", expected: "at least 1", observed: "\(checks.lostWrite.count)", passed: checks.lostWrite.count > 0)])
    }
}
