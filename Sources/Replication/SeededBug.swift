/// Deliberate broker bugs, for measuring whether the lab's checks notice a broker that breaks a
/// replication rule (issue 13 §4). Each is a small deviation in the broker's real code path —
/// the state machines here, the log, the controller, the request handlers — guarded by its own
/// switch, so that with no switch on the broker is untouched.
///
/// They are enabled only for testing: the broker property `samsa.test.seeded.bugs` names them, and
/// the broker refuses to start with it unless the environment variable `SAMSA_ALLOW_SEEDED_BUGS=1`
/// is also set (`BrokerConfig.seededBugsRefusal`). Variants (`.v2`) break the same rule in another
/// function, so that a schedule is shown to catch the bug class however it is coded.
public enum SeededBug: String, CaseIterable, Sendable, Hashable, Codable, Comparable {
    case ackBeforeReplication = "ack-before-replication"
    case ackBeforeReplicationV2 = "ack-before-replication.v2"
    case ignoreMinIsr = "ignore-min-isr"
    case ignoreMinIsrV2 = "ignore-min-isr.v2"
    case skipTruncation = "skip-truncation"
    case skipTruncationV2 = "skip-truncation.v2"
    case uncleanAlways = "unclean-always"
    case uncleanAlwaysV2 = "unclean-always.v2"
    case noDedup = "no-dedup"
    case noEpochBump = "no-epoch-bump"
    case fetchAboveHighWatermark = "fetch-above-hw"
    case noIsrShrink = "no-isr-shrink"
    case lossyRecovery = "lossy-recovery"
    case staleLeaderKeepsServing = "stale-leader-keeps-serving"
    case highWatermarkRegression = "hw-regression"
    case lsoIgnored = "lso-ignored"
    case fencingIgnored = "fencing-ignored"

    public static func < (lhs: SeededBug, rhs: SeededBug) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// Where the switch sits: target, type and function.
    public var location: String {
        switch self {
        case .ackBeforeReplication: return "Broker: Partition.produceCompletion"
        case .ackBeforeReplicationV2: return "Replication: PartitionReplicaState.maybeAdvanceHighWatermark"
        case .ignoreMinIsr: return "Replication: PartitionReplicaState.isrBelowMinimum"
        case .ignoreMinIsrV2: return "Replication: PartitionReplicaState.maybeAdvanceHighWatermark"
        case .skipTruncation: return "Replication: Truncation.decide"
        case .skipTruncationV2: return "Broker: ReplicaFetcher.add"
        case .uncleanAlways: return "Replication: LeaderElection.offlinePartition"
        case .uncleanAlwaysV2: return "Replication: ControllerStateMachine.decide"
        case .noDedup: return "Replication: ProducerStateTable.check"
        case .noEpochBump: return "Replication: ControllerStateMachine.plannedWrite"
        case .fetchAboveHighWatermark: return "Broker: Partition.read"
        case .noIsrShrink: return "Replication: PartitionReplicaState.onTick"
        case .lossyRecovery: return "LogStore: PartitionLog.open"
        case .staleLeaderKeepsServing: return "Replication: PartitionReplicaState.leadershipChange; PartitionReplicaState.onIsrRejected"
        case .highWatermarkRegression: return "Broker: Partition.isrCommitted"
        case .lsoIgnored: return "Broker: Partition.read"
        case .fencingIgnored: return "Replication: TransactionCoordinatorState.validate"
        }
    }

    /// What the broker does wrong, in one sentence.
    public var summary: String {
        switch self {
        case .ackBeforeReplication:
            return "an acks=all produce completes once the leader's own log holds it (LEO instead of HW)"
        case .ackBeforeReplicationV2:
            return "the leader's HW is its own LEO, followers ignored, so acks=all completes and consumers read before replication"
        case .ignoreMinIsr:
            return "min.insync.replicas is compared with the assigned replicas instead of the ISR: appends, HW and acks go on with the ISR below min"
        case .ignoreMinIsrV2:
            return "the HW advances while the ISR is below min.insync.replicas: acks=all waiting when the ISR shrank complete"
        case .skipTruncation:
            return "a follower of a new leader never cuts its divergent tail (the OffsetForLeaderEpoch answer is ignored)"
        case .skipTruncationV2:
            return "a partition handed to a fetcher starts fetching at its LEO without asking OffsetForLeaderEpoch"
        case .uncleanAlways:
            return "with no live ISR member, a live out-of-sync replica is elected although unclean election is disabled"
        case .uncleanAlwaysV2:
            return "the controller elects from the assigned replicas instead of the ISR (first live one), and does not flag it unclean"
        case .noDedup:
            return "an idempotent producer's retry of a batch already in the log is appended again"
        case .noEpochBump:
            return "the controller writes a new leader with the old leader epoch"
        case .fetchAboveHighWatermark:
            return "consumers are served records above the HW, up to the LEO, in either isolation level (the LSO follows the wrong HW)"
        case .noIsrShrink:
            return "the leader never removes lagging followers from the ISR"
        case .lossyRecovery:
            return "a log opened after an unclean shutdown is truncated to the last checkpointed HW"
        case .staleLeaderKeepsServing:
            return "a leader told by LeaderAndIsr that another broker leads keeps leading at its old epoch, and a fenced ISR write does not stop it"
        case .highWatermarkRegression:
            return "an ISR change re-initialises the leader's HW at the log start; it stays there while the ISR is under min"
        case .lsoIgnored:
            return "a read_committed fetch ignores the LSO and the aborted transactions: it reads to the HW, open and aborted transactions included"
        case .fencingIgnored:
            return "the transaction coordinator takes an older producer epoch for the current one: a fenced zombie's EndTxn ends its replacement's transaction"
        }
    }

    /// The checks that should catch it, in the order most likely to fire.
    public var expectedCheckers: [String] {
        switch self {
        case .ackBeforeReplication, .ackBeforeReplicationV2: return ["lost-write", "replica-agreement", "poll-above-hw"]
        case .ignoreMinIsr, .ignoreMinIsrV2: return ["acks-under-min-isr"]
        case .skipTruncation, .skipTruncationV2: return ["replica-agreement", "inconsistent-offsets", "lost-write"]
        case .uncleanAlways: return ["unclean-election", "leader-outside-isr"]
        case .uncleanAlwaysV2: return ["leader-outside-isr", "lost-write"]
        case .noDedup: return ["duplicate"]
        case .noEpochBump: return ["single-leader", "replica-agreement"]
        case .fetchAboveHighWatermark: return ["poll-above-hw", "aborted-read", "lost-write"]
        case .noIsrShrink: return ["stalled-follower-in-isr"]
        case .lossyRecovery: return ["lost-write", "replica-agreement"]
        case .staleLeaderKeepsServing: return ["stale-leader", "single-leader"]
        case .highWatermarkRegression: return ["hw-monotonic"]
        case .lsoIgnored: return ["txn-aborted-read", "torn-transaction"]
        case .fencingIgnored: return ["fenced-commit"]
        }
    }

    /// Parses a comma-separated list of names; returns the unknown names when there are any.
    public static func parseList(_ text: String) -> Result<Set<SeededBug>, UnknownNames> {
        var bugs: Set<SeededBug> = []
        var unknown: [String] = []
        for item in text.split(separator: ",") {
            let blank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
            let name = String(item.drop(while: blank).reversed().drop(while: blank).reversed())
            if name.isEmpty { continue }
            if let bug = SeededBug(rawValue: name) { bugs.insert(bug) } else { unknown.append(name) }
        }
        return unknown.isEmpty ? .success(bugs) : .failure(UnknownNames(names: unknown))
    }

    public struct UnknownNames: Error, Equatable, CustomStringConvertible {
        public var names: [String]
        public var description: String {
            "unknown seeded bug(s) \(names.map { "'\($0)'" }.joined(separator: ", ")); known: \(SeededBug.allCases.map(\.rawValue).joined(separator: ", "))"
        }
    }
}

/// The seeded bugs switched on in one broker; empty in every real deployment.
public typealias SeededBugs = Set<SeededBug>
