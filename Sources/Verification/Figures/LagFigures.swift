/// One lag sample, for charts.
public struct LagPoint: Sendable, Hashable, Codable {
    public var timeNs: Int64
    public var lag: Int64

    enum CodingKeys: String, CodingKey {
        case lag
        case timeNs = "time_ns"
    }
}

/// A consumer group's lag on one partition over the run.
public struct GroupLagFigures: Sendable, Hashable, Codable {
    public var group: String
    public var topic: String
    public var partition: Int32
    public var points: [LagPoint]
    public var maxLag: Int64
    public var lagAtEnd: Int64
    /// When the last fault of the run ended (nil: no fault ended).
    public var lastFaultEndNs: Int64?
    /// The first sample at or after the last fault's end that was caught up: lag at or below the
    /// threshold, or everything up to the end committed. Nil if it never was.
    public var recoveredNs: Int64?
    public var recoveryMs: Double?

    enum CodingKeys: String, CodingKey {
        case group, topic, partition, points
        case maxLag = "max_lag"
        case lagAtEnd = "lag_at_end"
        case lastFaultEndNs = "last_fault_end_ns"
        case recoveredNs = "recovered_ns"
        case recoveryMs = "recovery_ms"
    }
}

enum LagFigures {
    static func measure(_ timeline: Timeline, threshold: Int64) -> [GroupLagFigures] {
        struct Key: Hashable, Comparable {
            var group: String
            var topic: String
            var partition: Int32

            static func < (lhs: Key, rhs: Key) -> Bool {
                (lhs.group, lhs.topic, lhs.partition) < (rhs.group, rhs.topic, rhs.partition)
            }
        }
        let lastFaultEnd = timeline.faults.filter { $0.fault.action == .end }.map(\.timeNs).max()
        var series: [Key: [(timeNs: Int64, sample: LagSample)]] = [:]
        for (time, sample) in timeline.lagSamples {
            series[Key(group: sample.group, topic: sample.topic, partition: sample.partition), default: []]
                .append((time, sample))
        }
        return series.keys.sorted().map { key in
            let samples = series[key]!
            var figures = GroupLagFigures(
                group: key.group, topic: key.topic, partition: key.partition,
                points: samples.map { LagPoint(timeNs: $0.timeNs, lag: $0.sample.lag) },
                maxLag: samples.map(\.sample.lag).max() ?? 0, lagAtEnd: samples.last?.sample.lag ?? 0,
                lastFaultEndNs: lastFaultEnd)
            if let lastFaultEnd, let caughtUp = samples.first(where: { entry in
                entry.timeNs >= lastFaultEnd
                    && (entry.sample.lag <= threshold || entry.sample.committed >= entry.sample.end)
            }) {
                figures.recoveredNs = caughtUp.timeNs
                figures.recoveryMs = Double(caughtUp.timeNs - lastFaultEnd) / 1e6
            }
            return figures
        }
    }
}
