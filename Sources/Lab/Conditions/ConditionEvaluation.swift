import FaultModel

/// What a condition is judged on, read afresh for one partition: ZooKeeper's partition state and
/// assignment, the topic's min.insync.replicas, and the log end offset each replica reports on its
/// own metrics endpoint.
public struct PartitionFacts: Sendable, Equatable {
    /// -1 when the partition is offline.
    public var leader: Int32
    public var isr: [Int32]
    public var replicas: [Int32]
    public var minInSyncReplicas: Int
    /// By broker; a replica whose endpoint did not answer (crashed, paused) is missing.
    public var logEndOffsets: [Int32: Int64]

    public init(leader: Int32, isr: [Int32], replicas: [Int32], minInSyncReplicas: Int, logEndOffsets: [Int32: Int64] = [:]) {
        self.leader = leader
        self.isr = isr
        self.replicas = replicas
        self.minInSyncReplicas = minInSyncReplicas
        self.logEndOffsets = logEndOffsets
    }
}

/// One evaluation of a condition.
public struct ConditionSample: Sendable, Equatable, Codable {
    public var holds: Bool
    /// The measured quantity (ISR size, lag in records, leader id; 1/0 for under_min_isr); nil
    /// when it could not be measured, and then the condition does not hold.
    public var value: Int64?
    /// What was seen, in words: "ISR [1, 3] (2)", "leader 2 at 1200; followers 3 at 1100, 1 at 1150".
    public var observed: String

    public init(holds: Bool, value: Int64?, observed: String) {
        self.holds = holds
        self.value = value
        self.observed = observed
    }
}

/// Judges a condition on facts: pure, so every case is tested on hand-built facts.
public enum ConditionEvaluation {
    /// `facts` nil: the partition has no state in ZooKeeper (yet).
    public static func evaluate(_ condition: Condition, facts: PartitionFacts?) -> ConditionSample {
        guard let facts else {
            return ConditionSample(holds: false, value: nil, observed: "\(condition.topic)/\(condition.partition) has no partition state in ZooKeeper")
        }
        let isrText = "ISR [\(facts.isr.map(String.init).joined(separator: ", "))]"
        switch condition {
        case .isrSize(_, _, let op, let expected):
            let size = Int64(facts.isr.count)
            return ConditionSample(holds: op.holds(size, expected), value: size, observed: "\(isrText) (\(size))")
        case .underMinIsr:
            let under = facts.isr.count < facts.minInSyncReplicas
            return ConditionSample(holds: under, value: under ? 1 : 0,
                                   observed: "\(isrText) (\(facts.isr.count)), min.insync.replicas \(facts.minInSyncReplicas)")
        case .leader(_, _, let op, let expected):
            let leaderText = facts.leader < 0 ? "none" : String(facts.leader)
            return ConditionSample(holds: op.holds(Int64(facts.leader), Int64(expected)), value: Int64(facts.leader), observed: "leader \(leaderText)")
        case .followerLag(_, _, let op, let expected):
            guard let lag = followerLag(facts) else {
                return ConditionSample(holds: false, value: nil, observed: lagText(facts) + " (lag unknown)")
            }
            return ConditionSample(holds: op.holds(lag, expected), value: lag, observed: lagText(facts) + " (lag \(lag))")
        }
    }

    /// Leader LEO minus the highest LEO among the followers that answered; nil without a leader,
    /// the leader's figure, or any follower's.
    public static func followerLag(_ facts: PartitionFacts) -> Int64? {
        guard facts.leader >= 0, let leaderEnd = facts.logEndOffsets[facts.leader] else { return nil }
        let followerEnds = facts.replicas.filter { $0 != facts.leader }.compactMap { facts.logEndOffsets[$0] }
        guard let best = followerEnds.max() else { return nil }
        return leaderEnd - best
    }

    static func lagText(_ facts: PartitionFacts) -> String {
        guard facts.leader >= 0 else { return "no leader" }
        let leaderEnd = facts.logEndOffsets[facts.leader].map(String.init) ?? "?"
        let followers = facts.replicas.filter { $0 != facts.leader }.map { id in
            "\(id) at \(facts.logEndOffsets[id].map(String.init) ?? "?")"
        }
        return "leader \(facts.leader) at \(leaderEnd); followers " + (followers.isEmpty ? "none" : followers.joined(separator: ", "))
    }
}
