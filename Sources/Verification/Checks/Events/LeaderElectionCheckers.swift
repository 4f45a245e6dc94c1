import KafkaProtocol

/// An unclean election for a topic whose effective `unclean.leader.election.enable` was false.
public struct UncleanElection: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    public var leader: Int32?
    public var leaderEpoch: Int32?
    public var stateVersion: Int32?
    /// The ISR the controller said it replaced.
    public var oldIsr: [Int32]?
    /// The controller that wrote it, and when it said so.
    public var broker: Int32
    public var timeNs: Int64

    enum CodingKeys: String, CodingKey {
        case topic, partition, leader, broker
        case leaderEpoch = "leader_epoch"
        case stateVersion = "state_version"
        case oldIsr = "old_isr"
        case timeNs = "time_ns"
    }
}

/// A committed partition state whose leader was not in the ISR of the state it replaced, on a
/// topic without unclean election.
public struct LeaderOutsideIsr: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    /// The state that put the leader in, as first reported.
    public var elected: StateReport
    /// The state it replaced (version - 1), as another report gave it.
    public var replaced: StateReport

    public init(topic: String, partition: Int32, elected: StateReport, replaced: StateReport) {
        self.topic = topic
        self.partition = partition
        self.elected = elected
        self.replaced = replaced
    }
}

/// "No unclean election while it is disabled" and "no leader from outside the last committed
/// ISR", from the brokers' event logs.
enum LeaderElectionCheckers {
    /// Every `unclean_election` (and `leader_elected` with `unclean: true`) of a topic whose
    /// effective setting is false. One election reported by both events counts once.
    static func uncleanElections(_ timeline: Timeline, parameters: RunParameters, limit: Int) -> CheckResult<UncleanElection> {
        var found: [UncleanElection] = []
        var seen: Set<String> = []
        var allowed = 0
        var sawEvents = false
        for record in timeline.records {
            guard case .brokerEvent(let event) = record.body else { continue }
            sawEvents = true
            let unclean = event.event == .uncleanElection || (event.event == .leaderElected && event.unclean == true)
            guard unclean, let topic = event.topic, let partition = event.partition else { continue }
            let identity = event.stateVersion.map { "\(topic)/\(partition)@v\($0)" }
                ?? "\(topic)/\(partition)@\(record.timeNs)/\(event.broker)"
            guard seen.insert(identity).inserted else { continue }
            if parameters.uncleanLeaderElection(topic: topic) {
                allowed += 1
                continue
            }
            found.append(UncleanElection(
                topic: topic, partition: partition, leader: event.leader, leaderEpoch: event.leaderEpoch,
                stateVersion: event.stateVersion, oldIsr: event.oldIsr, broker: event.broker, timeNs: record.timeNs))
        }
        var notes: [String] = []
        if allowed > 0 { notes.append("\(allowed) unclean election(s) on topics that enable it") }
        var result = CheckResult.judge("unclean-election", anomalies: found, limit: limit, problems: timeline.problems, notes: notes)
        if !sawEvents && result.verdict == .valid {
            result.verdict = .unknown
            result.notes.append("the timeline has no broker events: nothing shows how leaders were elected")
        }
        return result
    }

    /// Judges every election (the first reported version of a new leader epoch) against the ISR of
    /// the version it replaced. An election whose predecessor nobody reported (a broker killed
    /// between its ZooKeeper write and its event line, a lost log) is not judged, and counted.
    static func leaderOutsideIsr(_ chain: PartitionStateChain, timeline: Timeline, parameters: RunParameters,
                                 limit: Int) -> CheckResult<LeaderOutsideIsr> {
        var found: [LeaderOutsideIsr] = []
        var judged = 0
        var notJudged: [String] = []
        var notJudgedCount = 0
        for partition in chain.generations.keys.sorted() {
            let unclean = parameters.uncleanLeaderElection(topic: partition.topic)
            for generation in chain.generations[partition]! {
                let versions = generation.versions.keys.sorted()
                var previousEpoch: Int32?
                for version in versions {
                    let report = generation.versions[version]!
                    defer { previousEpoch = max(previousEpoch ?? report.leaderEpoch, report.leaderEpoch) }
                    let isElection = report.event == .leaderElected || previousEpoch.map { report.leaderEpoch > $0 } ?? false
                    guard version > 0, isElection, report.leader >= 0, !generation.conflicting.contains(version) else { continue }
                    guard let replaced = PartitionStateChain.state(generation, version - 1) else {
                        notJudgedCount += 1
                        if notJudged.count < 5 {
                            notJudged.append("\(partition) v\(version) (leader \(report.leader), epoch \(report.leaderEpoch))")
                        }
                        continue
                    }
                    judged += 1
                    if !replaced.isr.contains(report.leader) && !unclean {
                        found.append(LeaderOutsideIsr(topic: partition.topic, partition: partition.partition, elected: report,
                                                      replaced: replaced))
                    }
                }
            }
        }
        var notes: [String] = []
        if chain.reportsWithoutVersion > 0 {
            notes.append("\(chain.reportsWithoutVersion) leadership/ISR event(s) carry no state_version and were not used")
        }
        if notJudgedCount > 0 {
            notes.append("\(notJudgedCount) election(s) not judged: nobody reported the state they replaced (e.g. "
                + notJudged.joined(separator: ", ") + ")")
        }
        let conflicts = chain.generations.values.joined().map(\.conflicting.count).reduce(0, +)
        if conflicts > 0 { notes.append("\(conflicts) state version(s) reported with different contents were not used") }
        notes.append("\(judged) election(s) judged against the ISR they replaced")
        var result = CheckResult.judge("leader-outside-isr", anomalies: found, limit: limit, problems: timeline.problems, notes: notes)
        if result.verdict == .valid {
            if !chain.hasVersions {
                result.verdict = .unknown
                result.notes.append("no broker event reports a partition-state version: the chain of committed states cannot be rebuilt")
            } else if judged == 0 && notJudgedCount > 0 {
                result.verdict = .unknown
            }
        }
        return result
    }
}
