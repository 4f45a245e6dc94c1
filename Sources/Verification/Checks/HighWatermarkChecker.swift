import KafkaProtocol

/// A leader's high watermark that went back within one leader epoch.
public struct HighWatermarkRegression: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    /// The leader and epoch whose samples went back (observer samples); -1 for a consumer's view.
    public var leader: Int32
    public var leaderEpoch: Int32
    /// The consumer whose recorded HW went back with no leader change to explain it (nil for the
    /// observer's samples).
    public var process: String?
    /// The earlier (higher) sample and the later (lower) one.
    public var earlierHw: Int64
    public var earlierNs: Int64
    public var laterHw: Int64
    public var laterNs: Int64

    enum CodingKeys: String, CodingKey {
        case topic, partition, leader, process
        case leaderEpoch = "leader_epoch"
        case earlierHw = "earlier_hw"
        case earlierNs = "earlier_ns"
        case laterHw = "later_hw"
        case laterNs = "later_ns"
    }
}

/// HW monotonicity, from two views:
/// - the observers' `offsets` samples (each leader's own figures with its leader id and epoch): for
///   each partition, a leader's high watermark never decreases within one leader epoch, since a
///   leader only ever advances it (Kafka's `maybeIncrementLeaderHW`);
/// - the consumers' polls (`hw`: the HW the last fetch response carried): a consumer's HW of a
///   partition never goes back unless a leader of the partition took office between the fetch that
///   brought the higher one (after the poll before the one that first recorded it) and the poll
///   that recorded the lower one (with `leaderChangeSlackNs` either side for event lines). A
///   consumer sees far more of a leader's HW than 200 ms samples do: a regression that lasts only
///   until the next follower fetch shows up here.
/// Across a leader change the HW may go back for a while: a new leader can lag the old one's HW
/// until its followers fetch. Samples without a leader epoch (runs recorded before the observers
/// noted it) make the verdict unknown.
enum HighWatermarkChecker {
    static let name = "hw-monotonic"

    struct Key: Hashable {
        var partition: TopicPartition
        var leader: Int32
        var epoch: Int32
    }

    /// 1 s: a new leader serves fetches a moment before its `became_leader` line is written, and the
    /// lines of several brokers are merged by their own clocks.
    static let leaderChangeSlackNs: Int64 = 1_000_000_000

    static func check(_ timeline: Timeline, history: History? = nil, limit: Int) -> CheckResult<HighWatermarkRegression> {
        var result = observerView(timeline, limit: limit)
        guard let history else { return result }
        let consumers = consumerView(history, timeline: timeline)
        if consumers.polls > 0 {
            result.notes.append("\(consumers.polls) consumer poll(s) with a recorded HW; \(consumers.excused) drop(s) explained by a leader change")
        }
        if !consumers.regressions.isEmpty {
            let listed = Array((result.anomalies + consumers.regressions).prefix(limit))
            result = CheckResult(checker: name, verdict: history.problems.isEmpty ? .invalid : .unknown,
                                 count: result.count + consumers.regressions.count, anomalies: listed, notes: result.notes)
        } else if result.verdict == .unknown && consumers.polls > 0 && result.count == 0 && timeline.problems.isEmpty
                    && !result.notes.contains(where: { $0.contains("no leader or leader epoch") }) {
            // No observer samples at all, but consumers saw every HW they fetched: judged by them.
            result.verdict = .valid
        }
        return result
    }

    /// Drops of a consumer's recorded HW that no leader change explains.
    static func consumerView(_ history: History, timeline: Timeline) -> (regressions: [HighWatermarkRegression], polls: Int, excused: Int) {
        let changes = leadershipStarts(timeline)
        struct Peak {
            var hw: Int64
            /// The poll before the one that first recorded `hw`: the fetch that brought it came after.
            var sinceNs: Int64
        }
        var peaks: [String: [TopicPartition: Peak]] = [:]
        var lastPoll: [String: Int64] = [:]
        var regressions: [HighWatermarkRegression] = []
        var polls = 0
        var excused = 0
        // Lines are read in place first: only assignments and polls that recorded marks are copied.
        for position in history.ops.indices where history.ops[position].type == .ok {
            let f = history.ops[position].f
            guard f.isAssignment || (f == .poll && history.ops[position].value.poll?.hw != nil) else { continue }
            let op = history.ops[position]
            if op.f.isAssignment {
                peaks[op.process] = nil
                continue
            }
            guard op.f == .poll, case .poll(let poll) = op.value, let marks = poll.hw else { continue }
            polls += 1
            let previousPoll = lastPoll[op.process] ?? op.timeNs
            lastPoll[op.process] = op.timeNs
            for mark in marks where mark.hw >= 0 {
                let tp = TopicPartition(mark.topic, mark.partition)
                guard let peak = peaks[op.process]?[tp] else {
                    peaks[op.process, default: [:]][tp] = Peak(hw: mark.hw, sinceNs: previousPoll)
                    continue
                }
                if mark.hw > peak.hw {
                    peaks[op.process]?[tp] = Peak(hw: mark.hw, sinceNs: previousPoll)
                } else if mark.hw < peak.hw {
                    let explained = (changes[tp] ?? []).contains { change in
                        change >= peak.sinceNs - leaderChangeSlackNs && change <= op.timeNs + leaderChangeSlackNs
                    }
                    if explained {
                        excused += 1
                    } else {
                        regressions.append(HighWatermarkRegression(
                            topic: mark.topic, partition: mark.partition, leader: -1, leaderEpoch: -1, process: op.process,
                            earlierHw: peak.hw, earlierNs: peak.sinceNs, laterHw: mark.hw, laterNs: op.timeNs))
                    }
                    // Measured from here on: one drop is one anomaly, not one per later poll.
                    peaks[op.process]?[tp] = Peak(hw: mark.hw, sinceNs: previousPoll)
                }
            }
        }
        return (regressions, polls, excused)
    }

    /// Per partition, every time a broker took up its leadership — a new leader, or the same one again
    /// after a restart at the same epoch — plus every broker start (the lines may lag the restart):
    /// each may begin with a lower HW than the consumer last saw.
    static func leadershipStarts(_ timeline: Timeline) -> [TopicPartition: [Int64]] {
        var starts: [TopicPartition: [Int64]] = [:]
        var brokerStarts: [Int64] = []
        for record in timeline.records {
            switch record.body {
            case .brokerEvent(let event) where event.event == .becameLeader:
                if let topic = event.topic, let partition = event.partition {
                    starts[TopicPartition(topic, partition), default: []].append(record.timeNs)
                }
            case .process(let process) where process.state == .started && BrokerName.id(process.name) != nil:
                brokerStarts.append(record.timeNs)
            default:
                break
            }
        }
        guard !brokerStarts.isEmpty else { return starts }
        for key in starts.keys { starts[key] = (starts[key]! + brokerStarts).sorted() }
        return starts
    }

    static func observerView(_ timeline: Timeline, limit: Int) -> CheckResult<HighWatermarkRegression> {
        var last: [Key: (hw: Int64, timeNs: Int64)] = [:]
        var regressions: [HighWatermarkRegression] = []
        var samples = 0
        var withoutEpoch = 0
        var restartsSeen = 0
        for record in timeline.records {
            // A broker that starts again (a restart, after a crash or a power loss) restores its HW
            // from its checkpoint, and may be given its old partitions back at the same leader epoch
            // (the controller changes nothing when the leader it recorded is alive again): a new
            // term, measured from scratch, as Kafka's brokers do after a restart.
            if case .process(let process) = record.body, process.state == .started, let broker = BrokerName.id(process.name) {
                let before = last.count
                last = last.filter { $0.key.leader != broker }
                restartsSeen += before - last.count
                continue
            }
            guard case .offsets(let sample) = record.body else { continue }
            samples += 1
            guard let leader = sample.leader, let epoch = sample.leaderEpoch else {
                withoutEpoch += 1
                continue
            }
            let key = Key(partition: TopicPartition(sample.topic, sample.partition), leader: leader, epoch: epoch)
            if let before = last[key], sample.hw < before.hw {
                regressions.append(HighWatermarkRegression(
                    topic: sample.topic, partition: sample.partition, leader: leader, leaderEpoch: epoch, process: nil,
                    earlierHw: before.hw, earlierNs: before.timeNs, laterHw: sample.hw, laterNs: record.timeNs))
            }
            // Keep the highest seen: a second, deeper drop is measured from the peak too.
            if sample.hw >= last[key]?.hw ?? Int64.min { last[key] = (sample.hw, record.timeNs) }
        }
        var notes = ["\(samples) offsets sample(s) over \(Set(last.keys.map { $0.partition }).count) partition(s) and \(last.count) leader epoch(s)"]
        if withoutEpoch > 0 { notes.append("\(withoutEpoch) offsets sample(s) carry no leader or leader epoch (recorded by an older observer): not checked") }
        if restartsSeen > 0 { notes.append("\(restartsSeen) leader term(s) measured afresh after their broker restarted") }
        var result = CheckResult.judge(name, anomalies: regressions, limit: limit, problems: timeline.problems, notes: notes)
        if result.verdict == .valid && (samples == 0 || withoutEpoch > 0) {
            result.verdict = .unknown
            if samples == 0 { result.notes.append("the timeline has no offsets samples") }
        }
        return result
    }
}
