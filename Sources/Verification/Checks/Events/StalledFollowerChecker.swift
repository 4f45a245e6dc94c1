import KafkaProtocol

/// A follower that could not fetch from its leader for longer than `replica.lag.time.max.ms` plus
/// the slack, yet was still in the ISR after that.
public struct StalledFollowerInIsr: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    public var follower: Int32
    public var leader: Int32
    public var leaderEpoch: Int32
    /// What kept it from fetching when the stall began.
    public var cause: String
    public var stallStartNs: Int64
    public var stallEndNs: Int64
    /// Stall start + lag max + slack: it had to be out of the ISR by then.
    public var deadlineNs: Int64
    /// A metadata sample after the deadline, still within the stall, that listed it in the ISR.
    public var seenInIsrNs: Int64
    public var isr: [Int32]
    public var lagTimeMaxMs: Int64
    public var slackMs: Int64

    enum CodingKeys: String, CodingKey {
        case topic, partition, follower, leader, cause, isr
        case leaderEpoch = "leader_epoch"
        case stallStartNs = "stall_start_ns"
        case stallEndNs = "stall_end_ns"
        case deadlineNs = "deadline_ns"
        case seenInIsrNs = "seen_in_isr_ns"
        case lagTimeMaxMs = "lag_time_max_ms"
        case slackMs = "slack_ms"
    }
}

/// "A stalled follower leaves the ISR within `replica.lag.time.max.ms` plus a stated slack."
///
/// A follower is stalled while it cannot fetch from the partition's leader: it is crashed, stopped
/// or paused, or a link between it and the leader is blackholed. The clock runs only while the
/// leader can act on it (the leader itself up and able to reach ZooKeeper, where it commits the
/// shrink) and restarts at every new leader epoch (a new leader counts its ISR as caught up when
/// it takes over, as Kafka does). Deadline = stall start + lag max + slack, with slack = lag max / 2
/// (the leader checks its followers every lag max / 2, so a follower is dropped up to that late)
/// + 2 s (the ZooKeeper write and scheduling on a loaded machine).
///
/// Judged by two sources: the committed ISR as the brokers reported it (`PartitionStateChain`) and
/// the observer's metadata samples. Out of the ISR by the deadline by either: satisfied. Still in
/// it by the reports at the deadline *and* in a metadata sample taken after the deadline while
/// still stalled under the same leader: a violation. A stall without a sample after its deadline
/// (it ended first, or the observer had stopped) is not judged.
enum StalledFollowerChecker {
    static let slackExtraMs: Int64 = 2000

    static func slackMs(lagTimeMaxMs: Int64) -> Int64 { lagTimeMaxMs / 2 + slackExtraMs }

    struct Sample {
        var timeNs: Int64
        var leader: Int32
        var isr: [Int32]
    }

    static func check(_ timeline: Timeline, chain: PartitionStateChain, parameters: RunParameters,
                      limit: Int) -> CheckResult<StalledFollowerInIsr> {
        let name = "stalled-follower-in-isr"
        guard let lagMs = parameters.replicaLagTimeMaxMs else {
            return CheckResult(checker: name, verdict: .unknown, count: 0, anomalies: [],
                               notes: ["replica.lag.time.max.ms of the run is not known"])
        }
        let slack = slackMs(lagTimeMaxMs: lagMs)
        let allowanceNs = (lagMs + slack) * 1_000_000
        let conditions = BrokerConditions(timeline)
        let endNs = timeline.endNs ?? 0
        var samples: [TopicPartition: [Sample]] = [:]
        var replicas: [TopicPartition: [Int32]] = [:]
        for (time, metadata) in timeline.clusterSamples {
            guard let metadata else { continue }
            for state in metadata.partitions {
                samples[state.topicPartition, default: []].append(Sample(timeNs: time, leader: state.leader, isr: state.isr))
                for replica in state.replicas where !(replicas[state.topicPartition]?.contains(replica) ?? false) {
                    replicas[state.topicPartition, default: []].append(replica)
                }
            }
        }
        let committed = committedIsr(chain)
        let segments = leadership(timeline, endNs: endNs)
        var found: [StalledFollowerInIsr] = []
        var judged = 0
        var notJudged = 0
        for partition in segments.keys.sorted() {
            let partitionSamples = samples[partition] ?? []
            let reports = committed[partition] ?? []
            for segment in segments[partition]! {
                for follower in replicas[partition] ?? [] where follower != segment.leader {
                    let stalled = conditions.down(follower).union(conditions.cut(follower, segment.leader))
                        .clipped(to: segment.startNs, segment.endNs)
                        .subtracting(conditions.down(segment.leader).union(conditions.cutFromZooKeeper(segment.leader)))
                    for stall in stalled.spans where stall.end - stall.start > allowanceNs {
                        let deadline = stall.start + allowanceNs
                        let reported = state(at: deadline, in: reports)
                        let outByReports = reported.map { !$0.isr.contains(follower) } ?? false
                        let outBySamples = partitionSamples.contains {
                            $0.timeNs > stall.start && $0.timeNs <= deadline && !$0.isr.contains(follower)
                        }
                        if outByReports || outBySamples {
                            judged += 1
                            continue
                        }
                        guard let late = partitionSamples.first(where: {
                            $0.timeNs >= deadline && $0.timeNs < stall.end && $0.leader == segment.leader
                        }) else {
                            notJudged += 1
                            continue
                        }
                        judged += 1
                        guard late.isr.contains(follower) else { continue }
                        let cause = conditions.down(follower).contains(stall.start)
                            ? "broker \(follower) crashed, stopped or paused"
                            : "links between broker \(follower) and leader \(segment.leader) blackholed"
                        found.append(StalledFollowerInIsr(
                            topic: partition.topic, partition: partition.partition, follower: follower, leader: segment.leader,
                            leaderEpoch: segment.epoch, cause: cause, stallStartNs: stall.start, stallEndNs: stall.end,
                            deadlineNs: deadline, seenInIsrNs: late.timeNs, isr: late.isr, lagTimeMaxMs: lagMs, slackMs: slack))
                    }
                }
            }
        }
        var notes = ["deadline: replica.lag.time.max.ms \(lagMs) ms + slack \(slack) ms; \(judged) stall(s) judged"]
        if notJudged > 0 { notes.append("\(notJudged) stall(s) not judged: no metadata sample after the deadline while still stalled") }
        var result = CheckResult.judge(name, anomalies: found, limit: limit, problems: timeline.problems, notes: notes)
        if result.verdict == .valid {
            if samples.isEmpty || segments.isEmpty {
                result.verdict = .unknown
                result.notes.append("the timeline lacks metadata samples or became_leader events: ISR and leaders are not known")
            } else if judged == 0 && notJudged > 0 {
                result.verdict = .unknown
            }
        }
        return result
    }

    struct Segment {
        var startNs: Int64
        var endNs: Int64
        var leader: Int32
        var epoch: Int32
    }

    /// Per partition, the spans of each leader epoch, from `became_leader` events of a higher epoch.
    static func leadership(_ timeline: Timeline, endNs: Int64) -> [TopicPartition: [Segment]] {
        var result: [TopicPartition: [Segment]] = [:]
        for (time, event) in timeline.brokerEvents where event.event == .becameLeader {
            guard let topic = event.topic, let number = event.partition, let epoch = event.leaderEpoch else { continue }
            let tp = TopicPartition(topic, number)
            if let last = result[tp]?.last, epoch <= last.epoch { continue }
            if let count = result[tp]?.count { result[tp]![count - 1].endNs = time }
            result[tp, default: []].append(Segment(startNs: time, endNs: max(time, endNs), leader: event.broker, epoch: epoch))
        }
        return result
    }

    /// Per partition, after each report (in time order) the newest committed state reported so far.
    static func committedIsr(_ chain: PartitionStateChain) -> [TopicPartition: [(timeNs: Int64, state: StateReport)]] {
        var result: [TopicPartition: [(timeNs: Int64, state: StateReport)]] = [:]
        for (partition, generations) in chain.generations {
            var list: [(timeNs: Int64, state: StateReport)] = []
            for generation in generations {
                var newest: StateReport?
                for report in generation.reports.sorted(by: { $0.timeNs < $1.timeNs })
                where report.version > newest?.version ?? Int32.min && !generation.conflicting.contains(report.version) {
                    newest = report
                    list.append((report.timeNs, report))
                }
            }
            result[partition] = list
        }
        return result
    }

    /// The newest state reported at or before `timeNs`.
    static func state(at timeNs: Int64, in list: [(timeNs: Int64, state: StateReport)]) -> StateReport? {
        var low = 0
        var high = list.count
        while low < high {
            let middle = (low + high) / 2
            if list[middle].timeNs <= timeNs { low = middle + 1 } else { high = middle }
        }
        return low > 0 ? list[low - 1].state : nil
    }
}
