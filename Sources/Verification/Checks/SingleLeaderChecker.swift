import KafkaProtocol

/// A breach of "one leader per partition epoch, epochs only grow".
public struct LeadershipViolation: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Two brokers became leader of the same partition in the same leader epoch.
        case doubleLeader = "double_leader"
        /// A broker adopted a lower leader epoch for a partition than one it had adopted before.
        case epochRegression = "epoch_regression"
    }

    public var kind: Kind
    public var topic: String
    public var partition: Int32
    public var leaderEpoch: Int32
    /// The brokers involved: both leaders, or the one that went back.
    public var brokers: [Int32]
    /// When each broker's event happened, in the order of `brokers` (for a regression: the
    /// earlier, higher epoch's time, then the lower one's).
    public var timesNs: [Int64]
    /// For a regression, the higher epoch adopted before.
    public var previousEpoch: Int32?

    enum CodingKeys: String, CodingKey {
        case kind, topic, partition, brokers
        case leaderEpoch = "leader_epoch"
        case timesNs = "times_ns"
        case previousEpoch = "previous_epoch"
    }
}

/// A span during which one broker believed it led a partition.
public struct LeadershipWindow: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    public var broker: Int32
    public var leaderEpoch: Int32
    public var startNs: Int64
    public var endNs: Int64
    /// What ended it: "resigned_leadership", "became_follower", "became_leader" (a newer epoch of
    /// its own), "process killed", "fault crash", "stopped", "started", or "end of timeline"
    /// (still open when observation ended).
    public var endedBy: String

    enum CodingKeys: String, CodingKey {
        case topic, partition, broker
        case leaderEpoch = "leader_epoch"
        case startNs = "start_ns"
        case endNs = "end_ns"
        case endedBy = "ended_by"
    }
}

/// Two brokers each believing they led the same partition at the same time. With different
/// epochs this is a zombie leader (the old one has not yet learned it was deposed): a figure,
/// since Kafka's epoch fencing keeps it from committing anything. With the same epoch it is also
/// a `double_leader` violation.
public struct LeadershipOverlap: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    public var first: LeadershipWindow
    public var second: LeadershipWindow
    public var startNs: Int64
    public var endNs: Int64
    public var durationMs: Double

    enum CodingKeys: String, CodingKey {
        case topic, partition, first, second
        case startNs = "start_ns"
        case endNs = "end_ns"
        case durationMs = "duration_ms"
    }
}

/// Leadership as the brokers themselves reported it.
public struct LeadershipAnalysis: Sendable, Hashable, Codable {
    public var verdict: CheckResult<LeadershipViolation>
    public var windows: [LeadershipWindow]
    public var overlaps: [LeadershipOverlap]
}

/// The single-leader analysis, from the brokers' own `became_leader` / `became_follower` /
/// `resigned_leadership` events. A window ends only when the broker itself says so or stops
/// existing (killed, exited, crash fault, stopped, started again): a newer leader elsewhere does
/// not end the old one's belief, since nothing shows the old leader knew.
enum SingleLeaderChecker {
    struct BrokerPartition: Hashable {
        var broker: Int32
        var partition: TopicPartition
    }

    struct PartitionEpoch: Hashable {
        var partition: TopicPartition
        var epoch: Int32
    }

    static func check(_ timeline: Timeline, limit: Int) -> LeadershipAnalysis {
        var violations: [LeadershipViolation] = []
        var leaderOf: [PartitionEpoch: (broker: Int32, timeNs: Int64)] = [:]
        var reportedDoubles: Set<PartitionEpoch> = []
        var adopted: [BrokerPartition: (epoch: Int32, timeNs: Int64)] = [:]
        var open: [BrokerPartition: (epoch: Int32, startNs: Int64)] = [:]
        var windows: [LeadershipWindow] = []
        var sawLeadership = false
        var withoutEpoch = 0

        func close(_ key: BrokerPartition, at timeNs: Int64, by reason: String) {
            guard let start = open.removeValue(forKey: key) else { return }
            windows.append(LeadershipWindow(
                topic: key.partition.topic, partition: key.partition.partition, broker: key.broker,
                leaderEpoch: start.epoch, startNs: start.startNs, endNs: timeNs, endedBy: reason))
        }
        func closeAll(of broker: Int32, at timeNs: Int64, by reason: String) {
            for key in open.keys.filter({ $0.broker == broker }).sorted(by: { $0.partition < $1.partition }) {
                close(key, at: timeNs, by: reason)
            }
        }
        func adopt(_ key: BrokerPartition, epoch: Int32, at timeNs: Int64) {
            if let before = adopted[key], epoch < before.epoch {
                violations.append(LeadershipViolation(
                    kind: .epochRegression, topic: key.partition.topic, partition: key.partition.partition,
                    leaderEpoch: epoch, brokers: [key.broker], timesNs: [before.timeNs, timeNs],
                    previousEpoch: before.epoch))
            }
            if epoch >= adopted[key]?.epoch ?? Int32.min { adopted[key] = (epoch, timeNs) }
        }

        for record in timeline.records {
            let time = record.timeNs
            switch record.body {
            case .brokerEvent(let event):
                guard let topic = event.topic, let number = event.partition else {
                    if event.event == .stopped || event.event == .started {
                        closeAll(of: event.broker, at: time, by: event.event.rawValue)
                    }
                    continue
                }
                let key = BrokerPartition(broker: event.broker, partition: TopicPartition(topic, number))
                switch event.event {
                case .becameLeader:
                    guard let epoch = event.leaderEpoch else {
                        withoutEpoch += 1
                        continue
                    }
                    sawLeadership = true
                    let partitionEpoch = PartitionEpoch(partition: key.partition, epoch: epoch)
                    if let other = leaderOf[partitionEpoch], other.broker != event.broker {
                        if reportedDoubles.insert(partitionEpoch).inserted {
                            violations.append(LeadershipViolation(
                                kind: .doubleLeader, topic: topic, partition: number, leaderEpoch: epoch,
                                brokers: [other.broker, event.broker], timesNs: [other.timeNs, time]))
                        }
                    } else if leaderOf[partitionEpoch] == nil {
                        leaderOf[partitionEpoch] = (event.broker, time)
                    }
                    adopt(key, epoch: epoch, at: time)
                    if let current = open[key], current.epoch == epoch { continue }
                    close(key, at: time, by: BrokerEventKind.becameLeader.rawValue)
                    open[key] = (epoch, time)
                case .becameFollower, .resignedLeadership:
                    if let epoch = event.leaderEpoch { adopt(key, epoch: epoch, at: time) }
                    close(key, at: time, by: event.event.rawValue)
                default:
                    continue
                }
            case .process(let process):
                guard let broker = BrokerName.id(process.name),
                      process.state == .killed || process.state == .exited || process.state == .started
                else { continue }
                closeAll(of: broker, at: time, by: "process \(process.state)")
            case .fault(let fault):
                guard fault.action == .start, fault.fault == .crash else { continue }
                for broker in fault.targets.compactMap(BrokerName.id) {
                    closeAll(of: broker, at: time, by: "fault \(fault.fault)")
                }
            default:
                continue
            }
        }
        let end = timeline.endNs ?? 0
        for key in open.keys.sorted(by: { ($0.partition, $0.broker) < ($1.partition, $1.broker) }) {
            close(key, at: end, by: "end of timeline")
        }
        var notes: [String] = []
        if !sawLeadership { notes.append("the timeline has no became_leader events: nothing to check") }
        if withoutEpoch > 0 { notes.append("\(withoutEpoch) became_leader event(s) without leader_epoch were not checked") }
        var verdict = CheckResult.judge(
            "single-leader", anomalies: violations, limit: limit, problems: timeline.problems, notes: notes)
        if !sawLeadership && verdict.verdict == .valid { verdict.verdict = .unknown }
        return LeadershipAnalysis(verdict: verdict, windows: windows, overlaps: overlaps(of: windows))
    }

    /// Pairs of windows of different brokers on one partition that share time, by a sweep over
    /// windows sorted by start.
    static func overlaps(of windows: [LeadershipWindow]) -> [LeadershipOverlap] {
        let byPartition = Dictionary(grouping: windows) { TopicPartition($0.topic, $0.partition) }
        var result: [LeadershipOverlap] = []
        for partition in byPartition.keys.sorted() {
            let sorted = byPartition[partition]!.sorted { ($0.startNs, $0.broker) < ($1.startNs, $1.broker) }
            for (position, first) in sorted.enumerated() {
                for second in sorted[(position + 1)...] {
                    if second.startNs >= first.endNs { break }
                    guard second.broker != first.broker else { continue }
                    let end = min(first.endNs, second.endNs)
                    result.append(LeadershipOverlap(
                        topic: partition.topic, partition: partition.partition, first: first, second: second,
                        startNs: second.startNs, endNs: end, durationMs: Double(end - second.startNs) / 1e6))
                }
            }
        }
        return result
    }
}
