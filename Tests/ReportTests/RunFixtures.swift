import Report
import Verification

/// A hostile value: if it reaches a report unescaped, the HTML runs script and the XML breaks.
let hostile = "<script>alert(1)</script>&\"'\u{1B}[2J"

/// Small runs built in memory, on a wall-clock time base like the lab's: a 4-second run with two
/// partitions of topic "t", one producer, one consumer in group "g", a final read, broker 2
/// crashed from 1.0 s to 2.5 s (its ISR membership dropping and returning), and lag that grows
/// during the fault and recovers after it.
struct RunFixture {
    static let startNs: Int64 = 1_700_000_000_000_000_000
    static let ms: Int64 = 1_000_000

    var ops: [HistoryOp] = []
    var records: [TimelineRecord] = []

    /// `lose`: values acknowledged but missing from the final read (and from every poll).
    init(lose: Set<String> = [], hostileValue: Bool = false) {
        var acked: [Int32: [(offset: Int64, value: String)]] = [0: [], 1: []]
        for sequence in 0..<40 {
            let timeMs = Int64(50 + sequence * 95)
            let partition = Int32(sequence % 2)
            let value = hostileValue && sequence == 10 ? hostile : "producer-1-\(sequence)"
            let offset = Int64(acked[partition]!.count)
            // Sends during the crash take longer; one of them times out.
            let latencyMs: Int64 = (1000...2500).contains(timeMs) ? 40 : 4
            send(atMs: timeMs, value: value, partition: partition)
            if sequence == 15 {
                complete(atMs: timeMs + 60, value: value, partition: partition, type: .info, error: "REQUEST_TIMED_OUT")
                continue
            }
            complete(atMs: timeMs + latencyMs, value: value, partition: partition, offset: offset)
            acked[partition]!.append((offset, value))
        }
        let visible = acked.mapValues { list in list.filter { !lose.contains($0.value) } }
        poll(atMs: 1_500, process: "consumer-1", partition: 0, records: Array(visible[0]!.prefix(5)))
        for partition: Int32 in [0, 1] {
            poll(atMs: 4_200 + Int64(partition) * 20, process: "final-reader", partition: partition, records: visible[partition]!,
                 f: .finalRead)
        }
        for broker: Int32 in 1...3 {
            records.append(TimelineRecord(timeNs: Self.startNs, observer: "lab", .process(ProcessRecord(name: "broker-\(broker)", state: .started,
                                                                                                         pid: 100 + broker))))
        }
        for partition: Int32 in [0, 1] {
            records.append(TimelineRecord(timeNs: Self.startNs, observer: "broker-1", .brokerEvent(BrokerEvent(
                broker: 1, event: .becameLeader, topic: "t", partition: partition, leaderEpoch: 1, leader: 1, isr: [1, 2, 3],
                stateVersion: 0))))
        }
        records.append(fault(atMs: 1_000, action: .start))
        records.append(fault(atMs: 2_500, action: .end))
        for step in 0...17 {
            let timeMs = Int64(step * 250)
            let isr: [Int32] = (1_200..<2_700).contains(timeMs) ? [1, 3] : [1, 2, 3]
            records.append(TimelineRecord(timeNs: Self.startNs + timeMs * Self.ms, observer: "metadata", .metadata(MetadataSample(
                controller: 1, brokers: [1, 2, 3],
                partitions: [0, 1].map { PartitionState(topic: "t", partition: $0, leader: 1, leaderEpoch: 1, replicas: [1, 2, 3], isr: isr) }))))
        }
        for step in 0...17 {
            for partition: Int32 in [0, 1] {
                let hw = Int64(min(20, step + 2))
                records.append(TimelineRecord(timeNs: Self.startNs + Int64(step * 250 + 10) * Self.ms, observer: "offsets", .offsets(OffsetsSample(
                    topic: "t", partition: partition, hw: hw, leo: hw, logStart: 0, leader: 1, leaderEpoch: 1))))
            }
        }
        records.append(TimelineRecord(timeNs: Self.startNs + 4_100 * Self.ms, observer: "census", .leadershipCensus(LeadershipCensus(
            phase: .end, attempt: 1, method: "list_offsets", partitions: [0, 1].map { partition in
                PartitionCensus(topic: "t", partition: partition, answers: [
                    CensusAnswer(broker: 1, status: .leader, leaderEpoch: 1, hw: 20),
                    CensusAnswer(broker: 2, status: .notLeader, error: "NOT_LEADER_OR_FOLLOWER"),
                    CensusAnswer(broker: 3, status: .notLeader, error: "NOT_LEADER_OR_FOLLOWER"),
                ])
            }))))
        for (timeMs, lag) in [(500, 2), (1_000, 3), (1_500, 12), (2_000, 25), (2_500, 30), (3_000, 9), (3_500, 0), (4_000, 0)] {
            for partition: Int32 in [0, 1] {
                records.append(TimelineRecord(timeNs: Self.startNs + Int64(timeMs) * Self.ms, observer: "lag", .lag(LagSample(
                    group: "g", topic: "t", partition: partition, committed: 100 - Int64(lag), end: 100, lag: Int64(lag)))))
            }
        }
    }

    /// The lines in time order, numbered in that order, as a merged history file has them.
    var history: History {
        let ordered = ops.enumerated().sorted { ($0.element.timeNs, $0.offset) < ($1.element.timeNs, $1.offset) }
        return History(ops: ordered.enumerated().map { index, entry in
            var op = entry.element
            op.index = index
            return op
        })
    }
    var timeline: Timeline { Timeline(records: records) }
    /// Three identical copies of each partition: 20 batches in epoch 1, all committed.
    var replicas: ReplicaDigestInput {
        let batches = (0..<20).map { BatchDigest(baseOffset: Int64($0), lastOffset: Int64($0), leaderEpoch: 1, crc: UInt32($0 * 7919)) }
        return .digest(ReplicaDigest(source: .stopped, createdNs: Self.startNs + 4_500 * Self.ms, topics: ["t"], brokers: [1, 2, 3],
                                     partitions: [0, 1].map { partition in
            PartitionReplicas(topic: "t", partition: partition, replicas: [1, 2, 3].map {
                ReplicaLog(broker: $0, logStart: 0, logEnd: 20, highWatermark: 20, leaderEpochs: [EpochStart(epoch: 1, startOffset: 0)],
                           batches: batches)
            })
        }))
    }
    var parameters: RunParameters {
        RunParameters(topics: ["t": TopicSettings(partitions: 2, replicationFactor: 3, minInSyncReplicas: 2)],
                      replicaLagTimeMaxMs: 2000, producerAcks: ["producer-1": "all"])
    }

    /// The run's report, with the expectations a runner would judge from it.
    func report(
        runName: String = "fixture-run", description: String? = "leader keeps running while broker 2 crashes",
        expectations: [Expectation]? = nil, evidenceLimit: Int = 100
    ) -> RunReport {
        let checks = CheckReport(history: history, timeline: timeline, parameters: parameters, clients: cleanExits(history), replicas: replicas)
        let figures = Figures(history: history, timeline: timeline, parameters: parameters, report: checks)
        let lost = checks.lostWrite.count
        let judged = expectations ?? [
            Expectation(
                name: "no_lost_writes", expected: "0 lost writes", observed: "\(lost) lost writes", passed: lost == 0,
                evidence: checks.lostWrite.anomalies.map { "\($0.topic)/\($0.partition) offset \($0.offset): \($0.value)" }
                    .joined(separator: "\n")),
            Expectation(name: "isr_shrinks", expected: "at least 1", observed: "\(figures.isrShrinks)", passed: figures.isrShrinks >= 1),
        ]
        return RunReport(
            runName: runName, playbook: PlaybookSummary(name: "fixture", description: description), seed: 42,
            startNs: Self.startNs, endNs: Self.startNs + 4_500 * Self.ms,
            cluster: ClusterSummary(brokers: [1, 2, 3], parameters: parameters), checks: checks, figures: figures,
            faults: timeline.faultWindows, expectations: judged, evidenceLimit: evidenceLimit)
    }

    private mutating func line(atMs timeMs: Int64, _ process: String, _ type: OpType, _ f: OpFunction, _ value: OpValue, error: String? = nil) {
        ops.append(HistoryOp(
            index: ops.count, timeNs: Self.startNs + timeMs * Self.ms, process: process, type: type, f: f, value: value, error: error))
    }

    private mutating func send(atMs timeMs: Int64, value: String, partition: Int32) {
        line(atMs: timeMs, "producer-1", .invoke, .send, .send(SendValue(topic: "t", value: value, partition: partition)))
    }

    private mutating func complete(
        atMs timeMs: Int64, value: String, partition: Int32, offset: Int64? = nil, type: OpType = .ok, error: String? = nil
    ) {
        let send = SendValue(topic: "t", value: value, partition: partition, offset: offset, broker: 1, leaderEpoch: 1)
        line(atMs: timeMs, "producer-1", type, .send, .send(send), error: error)
    }

    private mutating func poll(
        atMs timeMs: Int64, process: String, partition: Int32, records: [(offset: Int64, value: String)], f: OpFunction = .poll
    ) {
        line(atMs: timeMs, process, .invoke, f, .none)
        let read = records.map { ReadRecord(topic: "t", partition: partition, offset: $0.offset, value: $0.value) }
        let hw = f == .poll ? [PartitionHighWatermark(topic: "t", partition: partition, hw: (records.last?.offset ?? -1) + 1)] : nil
        line(atMs: timeMs + 5, process, .ok, f, .poll(PollValue(records: read, hw: hw)))
    }

    private func fault(atMs timeMs: Int64, action: FaultRecord.Action) -> TimelineRecord {
        TimelineRecord(timeNs: Self.startNs + timeMs * Self.ms, .fault(FaultRecord(
            id: "1", action: action, fault: .crash, targets: ["broker-2"], description: "crash broker-2")))
    }
}
