/// Which leader ElectLeaders picks (Kafka's election types 0 and 1).
public enum LeaderElection: String, Sendable, Hashable, CaseIterable, Codable {
    /// The first replica of the assignment, when it is alive and in the ISR.
    case preferred
    /// Any live replica, in the ISR or not, for a partition without a live leader: data the old
    /// leader had and this replica lacks is lost.
    case unclean
}

extension FaultCommand {
    /// Whether the command is a one-shot admin request (`elect-leaders`, `reassign`): the lab sends
    /// it once over the Kafka protocol and records the answer; nothing lasts, so nothing heals it.
    public var isAdminRequest: Bool {
        switch self {
        case .electLeaders, .reassign: return true
        default: return false
        }
    }

    /// The partition an admin request names (nil for other commands).
    public var adminPartition: (topic: String, partition: Int32)? {
        switch self {
        case .electLeaders(let topic, let partition, _), .reassign(let topic, let partition, _): return (topic, partition)
        default: return nil
        }
    }

    /// What the grammar would refuse in an admin request; nil when it could be parsed (the parser
    /// and decoding share it).
    public static func adminProblem(topic: String, partition: Int32, replicas: [Int32]?) -> String? {
        if topic.isEmpty { return "'\(topic)/\(partition)' names no topic" }
        if partition < 0 { return "'\(topic)/\(partition)' is not topic/partition" }
        guard let replicas else { return nil }
        if replicas.isEmpty { return "--replicas needs at least one broker id" }
        if let bad = replicas.first(where: { $0 <= 0 }) { return "broker ids start at 1, got \(bad)" }
        if Set(replicas).count != replicas.count {
            return "--replicas names a broker twice: " + replicas.map(String.init).joined(separator: ",")
        }
        return nil
    }
}
