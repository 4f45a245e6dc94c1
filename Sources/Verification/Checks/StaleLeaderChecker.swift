import KafkaProtocol

/// A broker still answering as leader of a partition it no longer leads, found by the end census.
public struct StaleLeadership: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// More than one broker answered as the partition's leader.
        case severalLeaders = "several_leaders"
        /// The one broker answering as leader did so in an epoch older than one already seen.
        case staleEpoch = "stale_epoch"
    }

    public struct Claim: Sendable, Hashable, Codable {
        public var broker: Int32
        public var leaderEpoch: Int32?
        public var hw: Int64?

        enum CodingKeys: String, CodingKey {
            case broker, hw
            case leaderEpoch = "leader_epoch"
        }
    }

    public var kind: Kind
    public var topic: String
    public var partition: Int32
    /// When the census was taken.
    public var timeNs: Int64
    /// Every broker that answered as leader.
    public var leaders: [Claim]
    /// The brokers whose claim is stale: below the highest epoch seen.
    public var staleBrokers: [Int32]
    public var highestEpoch: Int32?
    /// Where the highest epoch was seen: "metadata", "broker 2's became_leader event", "census", …
    public var highestEpochSeenIn: String?
    public var detail: String

    enum CodingKeys: String, CodingKey {
        case kind, topic, partition, leaders, detail
        case timeNs = "time_ns"
        case staleBrokers = "stale_brokers"
        case highestEpoch = "highest_epoch"
        case highestEpochSeenIn = "highest_epoch_seen_in"
    }
}

/// Stale leaders, from the `leadership_census` records: in the last end-of-run census, at most
/// one broker may answer as a partition's leader, and in the highest leader epoch seen for that
/// partition so far (metadata samples, offsets samples, the brokers' events, the census itself).
/// A deposed leader still answering is invalid. A running broker that did not answer leaves its
/// partitions unknown. Periodic census records (during the run) are measured, not judged: two
/// brokers claiming one partition while a fault isolates one of them is what Kafka's epoch
/// fencing exists for.
enum StaleLeaderChecker {
    static let name = "stale-leader"

    struct Highest {
        var epoch: Int32
        var seenIn: String
    }

    static func check(_ timeline: Timeline, limit: Int) -> CheckResult<StaleLeadership> {
        var highest: [TopicPartition: Highest] = [:]
        func see(_ tp: TopicPartition, _ epoch: Int32?, _ source: @autoclosure () -> String) {
            guard let epoch, epoch >= 0, epoch > highest[tp]?.epoch ?? -1 else { return }
            highest[tp] = Highest(epoch: epoch, seenIn: source())
        }
        var endCensuses: [(timeNs: Int64, census: LeadershipCensus, highest: [TopicPartition: Highest])] = []
        var periodic = PeriodicOverlaps()
        for record in timeline.records {
            switch record.body {
            case .metadata(let sample):
                for p in sample.partitions { see(p.topicPartition, p.leaderEpoch, "a metadata sample") }
            case .offsets(let sample):
                see(TopicPartition(sample.topic, sample.partition), sample.leaderEpoch, "broker \(sample.leader.map(String.init) ?? "?")'s metrics")
            case .brokerEvent(let event):
                if let topic = event.topic, let partition = event.partition {
                    see(TopicPartition(topic, partition), event.leaderEpoch, "broker \(event.broker)'s \(event.event) event")
                }
            case .leadershipCensus(let census):
                for p in census.partitions {
                    for answer in p.answers where answer.status == .leader {
                        see(TopicPartition(p.topic, p.partition), answer.leaderEpoch, "broker \(answer.broker)'s census answer")
                    }
                }
                if census.phase == .end {
                    endCensuses.append((record.timeNs, census, highest))
                } else if census.phase == .periodic {
                    periodic.observe(census, at: record.timeNs)
                }
            default:
                continue
            }
        }
        var notes = periodic.summary(endNs: endCensuses.last?.timeNs ?? timeline.endNs ?? 0)
        guard let last = endCensuses.last else {
            notes.insert("the run has no end-of-run leadership census", at: 0)
            return CheckResult(checker: name, verdict: .unknown, count: 0, anomalies: [], notes: notes)
        }
        for earlier in endCensuses.dropLast() {
            let found = judge(earlier.census, at: earlier.timeNs, highest: earlier.highest).anomalies
            if !found.isEmpty {
                notes.append("census attempt \(earlier.census.attempt ?? 0) found \(found.count) stale claim(s) (first: \(found[0].detail)); it was retaken")
            }
        }
        let judged = judge(last.census, at: last.timeNs, highest: last.highest)
        notes.insert("end census (\(last.census.method ?? "list_offsets"), attempt \(last.census.attempt ?? 1)): \(last.census.partitions.count) partition(s)", at: 0)
        notes += judged.unknown.prefix(20)
        var result = CheckResult.judge(name, anomalies: judged.anomalies, limit: limit, problems: timeline.problems, notes: notes)
        if result.verdict == .valid && (!judged.unknown.isEmpty || last.census.partitions.isEmpty) {
            result.verdict = .unknown
            if last.census.partitions.isEmpty { result.notes.append("the census covered no partition") }
        }
        return result
    }

    static func judge(_ census: LeadershipCensus, at timeNs: Int64, highest: [TopicPartition: Highest])
        -> (anomalies: [StaleLeadership], unknown: [String])
    {
        var anomalies: [StaleLeadership] = []
        var unknown: [String] = []
        for p in census.partitions.sorted(by: { ($0.topic, $0.partition) < ($1.topic, $1.partition) }) {
            let tp = TopicPartition(p.topic, p.partition)
            let leaders = p.leaders
            let claims = leaders.map { StaleLeadership.Claim(broker: $0.broker, leaderEpoch: $0.leaderEpoch, hw: $0.hw) }
            let top = highest[tp]
            let stale = leaders.filter { ($0.leaderEpoch ?? -1) < (top?.epoch ?? -1) }.map(\.broker)
            let words = leaders.map { "broker \($0.broker) (epoch \($0.leaderEpoch.map(String.init) ?? "?"))" }.joined(separator: ", ")
            if leaders.count > 1 {
                anomalies.append(StaleLeadership(
                    kind: .severalLeaders, topic: p.topic, partition: p.partition, timeNs: timeNs, leaders: claims,
                    staleBrokers: stale, highestEpoch: top?.epoch, highestEpochSeenIn: top?.seenIn,
                    detail: "\(tp): \(leaders.count) brokers answered as leader: \(words)"))
            } else if let only = leaders.first, !stale.isEmpty, let top {
                anomalies.append(StaleLeadership(
                    kind: .staleEpoch, topic: p.topic, partition: p.partition, timeNs: timeNs, leaders: claims,
                    staleBrokers: stale, highestEpoch: top.epoch, highestEpochSeenIn: top.seenIn,
                    detail: "\(tp): broker \(only.broker) answered as leader in epoch \(only.leaderEpoch.map(String.init) ?? "?") after epoch \(top.epoch) was seen in \(top.seenIn)"))
            }
            let silent = p.answers.filter { $0.status == .noAnswer }
            if !silent.isEmpty {
                unknown.append("\(tp): broker(s) \(silent.map { String($0.broker) }.joined(separator: ", ")) did not answer the census (\(silent[0].error ?? "no answer"))")
            }
        }
        return (anomalies, unknown)
    }
}

/// Windows in which the periodic census saw several brokers claim one partition. Records are
/// written when the set of contested partitions changes, each listing the whole set, so a window
/// runs from the record where a partition appears to the one where it no longer does.
struct PeriodicOverlaps {
    struct Window {
        var tp: TopicPartition
        var claims: String
        var startNs: Int64
        var endNs: Int64?
    }

    var open: [TopicPartition: Window] = [:]
    var closed: [Window] = []
    var records = 0

    mutating func observe(_ census: LeadershipCensus, at timeNs: Int64) {
        records += 1
        let contested = Dictionary(census.partitions.map { (TopicPartition($0.topic, $0.partition), $0) }, uniquingKeysWith: { a, _ in a })
        for (tp, window) in open where contested[tp] == nil {
            var ended = window
            ended.endNs = timeNs
            closed.append(ended)
            open[tp] = nil
        }
        for (tp, p) in contested where open[tp] == nil && p.leaders.count > 1 {
            let claims = p.leaders.map { "\($0.broker) (epoch \($0.leaderEpoch.map(String.init) ?? "?"))" }.joined(separator: ", ")
            open[tp] = Window(tp: tp, claims: claims, startNs: timeNs)
        }
    }

    func summary(endNs: Int64) -> [String] {
        guard records > 0 else { return [] }
        let all = closed + open.values.map { window -> Window in
            var ended = window
            ended.endNs = max(endNs, window.startNs)
            return ended
        }
        guard !all.isEmpty else { return ["periodic census: no partition was claimed by two brokers at once"] }
        let longest = all.max { ($0.endNs! - $0.startNs) < ($1.endNs! - $1.startNs) }!
        let totalMs = all.reduce(0.0) { $0 + Double($1.endNs! - $1.startNs) / 1e6 }
        return ["periodic census: \(all.count) window(s) with two or more brokers claiming one partition, \(Int(totalMs)) ms in all; longest \(Int(Double(longest.endNs! - longest.startNs) / 1e6)) ms on \(longest.tp) (brokers \(longest.claims))"]
    }
}
