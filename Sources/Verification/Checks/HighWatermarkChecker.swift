import KafkaProtocol

/// A leader's high watermark that went back within one leader epoch.
public struct HighWatermarkRegression: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    public var leader: Int32
    public var leaderEpoch: Int32
    /// The earlier (higher) sample and the later (lower) one.
    public var earlierHw: Int64
    public var earlierNs: Int64
    public var laterHw: Int64
    public var laterNs: Int64

    enum CodingKeys: String, CodingKey {
        case topic, partition, leader
        case leaderEpoch = "leader_epoch"
        case earlierHw = "earlier_hw"
        case earlierNs = "earlier_ns"
        case laterHw = "later_hw"
        case laterNs = "later_ns"
    }
}

/// HW monotonicity, from the observers' `offsets` samples (each leader's own figures with its
/// leader id and epoch): for each partition, a leader's high watermark never decreases within one
/// leader epoch, since a leader only ever advances it (Kafka's `maybeIncrementLeaderHW`). Across a
/// leader change it may go back for a while: a new leader can lag the old one's HW until its
/// followers fetch. Samples without a leader epoch (runs recorded before the observers noted it)
/// make the verdict unknown.
enum HighWatermarkChecker {
    static let name = "hw-monotonic"

    struct Key: Hashable {
        var partition: TopicPartition
        var leader: Int32
        var epoch: Int32
    }

    static func check(_ timeline: Timeline, limit: Int) -> CheckResult<HighWatermarkRegression> {
        var last: [Key: (hw: Int64, timeNs: Int64)] = [:]
        var regressions: [HighWatermarkRegression] = []
        var samples = 0
        var withoutEpoch = 0
        for record in timeline.records {
            guard case .offsets(let sample) = record.body else { continue }
            samples += 1
            guard let leader = sample.leader, let epoch = sample.leaderEpoch else {
                withoutEpoch += 1
                continue
            }
            let key = Key(partition: TopicPartition(sample.topic, sample.partition), leader: leader, epoch: epoch)
            if let before = last[key], sample.hw < before.hw {
                regressions.append(HighWatermarkRegression(
                    topic: sample.topic, partition: sample.partition, leader: leader, leaderEpoch: epoch,
                    earlierHw: before.hw, earlierNs: before.timeNs, laterHw: sample.hw, laterNs: record.timeNs))
            }
            // Keep the highest seen: a second, deeper drop is measured from the peak too.
            if sample.hw >= last[key]?.hw ?? Int64.min { last[key] = (sample.hw, record.timeNs) }
        }
        var notes = ["\(samples) offsets sample(s) over \(Set(last.keys.map { $0.partition }).count) partition(s) and \(last.count) leader epoch(s)"]
        if withoutEpoch > 0 { notes.append("\(withoutEpoch) offsets sample(s) carry no leader or leader epoch (recorded by an older observer): not checked") }
        var result = CheckResult.judge(name, anomalies: regressions, limit: limit, problems: timeline.problems, notes: notes)
        if result.verdict == .valid && (samples == 0 || withoutEpoch > 0) {
            result.verdict = .unknown
            if samples == 0 { result.notes.append("the timeline has no offsets samples") }
        }
        return result
    }
}
