/// One consumer group's lag across all the partitions it was sampled on.
public struct GroupLagSummary: Sendable, Hashable, Codable {
    public var group: String
    public var partitions: Int
    /// The largest lag any one of its partitions reached. Not a sum: lag samples of different
    /// partitions are taken at slightly different times, and adding them would invent a moment.
    public var maxLag: Int64
    /// The sum of each partition's last sampled lag.
    public var lagAtEnd: Int64
    /// From the last fault's end until its slowest partition caught up. Nil when no fault ended,
    /// or when some partition never caught up.
    public var recoveryMs: Double?
    /// Partitions that never caught up after the last fault ended (0 when no fault ended).
    public var unrecoveredPartitions: Int

    enum CodingKeys: String, CodingKey {
        case group, partitions
        case maxLag = "max_lag"
        case lagAtEnd = "lag_at_end"
        case recoveryMs = "recovery_ms"
        case unrecoveredPartitions = "unrecovered_partitions"
    }
}

extension Figures {
    /// ISR shrinks over every partition.
    public var isrShrinks: Int { isr.reduce(0) { $0 + $1.shrinks } }
    /// ISR expands over every partition.
    public var isrExpands: Int { isr.reduce(0) { $0 + $1.expands } }

    /// Lag per consumer group, sorted by group.
    public var lagByGroup: [GroupLagSummary] {
        Dictionary(grouping: lag, by: \.group).keys.sorted().map { group in
            let partitions = lag.filter { $0.group == group }
            let faultEnded = partitions.contains { $0.lastFaultEndNs != nil }
            let unrecovered = faultEnded ? partitions.filter { $0.recoveryMs == nil }.count : 0
            let slowest = partitions.compactMap(\.recoveryMs).max()
            return GroupLagSummary(
                group: group, partitions: partitions.count, maxLag: partitions.map(\.maxLag).max() ?? 0,
                lagAtEnd: partitions.reduce(0) { $0 + $1.lagAtEnd },
                recoveryMs: faultEnded && unrecovered == 0 ? slowest : nil, unrecoveredPartitions: unrecovered)
        }
    }
}
