import KafkaProtocol

/// Where a transaction's markers go in a cluster, and what a failed attempt leaves to retry. Pure:
/// the coordinator's shell reads leadership from its metadata, carries out the plan (a local
/// append, or WriteTxnMarkers to another broker) and feeds the answers back through `settle`.
public enum MarkerRouting {
    /// The leader a partition has in the coordinator's metadata: a broker, none (an election is
    /// under way), or the partition is not in the metadata at all (its topic was deleted).
    public enum Leadership: Sendable, Equatable {
        case leader(Int32)
        case leaderless
        case unknown
    }

    /// One attempt's destinations.
    public struct Plan: Sendable, Equatable {
        /// Partitions this broker leads: appended here.
        public var local: [TopicPartition] = []
        /// Partitions led by another broker, by broker id: one WriteTxnMarkers request each.
        public var remote: [Int32: [TopicPartition]] = [:]
        /// Partitions without a leader now: retried once one is elected.
        public var leaderless: [TopicPartition] = []
        /// Partitions of deleted topics: they need no marker, as in Kafka.
        public var gone: [TopicPartition] = []

        public init() {}
    }

    /// Splits `partitions` by leader; `brokerId` is this broker. Each list is sorted, so the
    /// requests a plan makes do not depend on hashing order.
    public static func plan(_ partitions: [TopicPartition], brokerId: Int32, leadership: (TopicPartition) -> Leadership) -> Plan {
        var plan = Plan()
        for tp in partitions.sorted() {
            switch leadership(tp) {
            case .leader(let id) where id == brokerId: plan.local.append(tp)
            case .leader(let id): plan.remote[id, default: []].append(tp)
            case .leaderless: plan.leaderless.append(tp)
            case .unknown: plan.gone.append(tp)
            }
        }
        return plan
    }

    /// What is left after an attempt: the partitions to try again (against refreshed leadership),
    /// given each partition's answer. NONE is done; UNKNOWN_TOPIC_OR_PARTITION is done only once the
    /// metadata no longer knows the partition (a broker that is not yet, or no longer, its replica
    /// answers it too); every other error (NOT_LEADER_OR_FOLLOWER, NOT_ENOUGH_REPLICAS,
    /// REQUEST_TIMED_OUT, a lost connection…) is retried, as Kafka's coordinator does.
    public static func unfinished(_ results: [TopicPartition: ErrorCode], leadership: (TopicPartition) -> Leadership) -> [TopicPartition] {
        results.filter { tp, code in
            switch code {
            case .none: return false
            case .unknownTopicOrPartition: return leadership(tp) != .unknown
            default: return true
            }
        }.map(\.key).sorted()
    }

    /// The pause before retry `attempt` (1 for the first retry): doubling from `baseMs`, at most
    /// `maxMs`, so a leader election gets time to finish without a busy loop.
    public static func backoffMs(attempt: Int, baseMs: Int64 = 100, maxMs: Int64 = 1000) -> Int64 {
        guard attempt > 0 else { return 0 }
        let shift = min(attempt - 1, 20)
        return min(maxMs, baseMs << Int64(shift))
    }
}
