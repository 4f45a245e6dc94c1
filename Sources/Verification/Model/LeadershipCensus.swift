/// Every broker asked directly, around the proxies, whether it leads each partition: a
/// `leadership_census` timeline record. The end-of-run census asks with ListOffsets(latest) and
/// current leader epoch -1, so each broker answers from its own belief; the periodic one reads
/// the role and epoch every broker's metrics endpoint reports, and is recorded only when the set
/// of partitions claimed by several brokers changes.
///
/// ```
/// {"time_ns": …, "kind": "leadership_census", "observer": "census", "phase": "end", "attempt": 1,
///  "method": "list_offsets",
///  "partitions": [{"topic": "orders", "partition": 0, "answers": [
///     {"broker": 1, "status": "leader", "leader_epoch": 4, "hw": 7200},
///     {"broker": 2, "status": "not_leader", "error": "NOT_LEADER_OR_FOLLOWER"},
///     {"broker": 3, "status": "no_answer", "error": "timed out after 2000 ms"}]}]}
/// ```
public struct LeadershipCensus: Sendable, Hashable, Codable {
    public struct Phase: OpenName {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// After the faults healed and the cluster settled, before the final read: judged.
        public static let end: Phase = "end"
        /// While the run goes on: overlapping leadership measured, not judged.
        public static let periodic: Phase = "periodic"
    }

    public var phase: Phase
    /// The end census is retaken (a bounded number of times) while it shows two leaders or a
    /// stale epoch, to let a leader change in flight finish; the last attempt is judged.
    public var attempt: Int?
    /// `list_offsets` or `metrics`.
    public var method: String?
    public var partitions: [PartitionCensus]

    public init(phase: Phase, attempt: Int? = nil, method: String? = nil, partitions: [PartitionCensus]) {
        self.phase = phase
        self.attempt = attempt
        self.method = method
        self.partitions = partitions
    }
}

/// Every broker's answer about one partition.
public struct PartitionCensus: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    public var answers: [CensusAnswer]

    public init(topic: String, partition: Int32, answers: [CensusAnswer]) {
        self.topic = topic
        self.partition = partition
        self.answers = answers
    }

    public var leaders: [CensusAnswer] { answers.filter { $0.status == .leader } }
}

/// One broker's answer.
public struct CensusAnswer: Sendable, Hashable, Codable {
    public struct Status: OpenName {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        /// It answered as the partition's leader.
        public static let leader: Status = "leader"
        /// It answered with an error: NOT_LEADER_OR_FOLLOWER, UNKNOWN_TOPIC_OR_PARTITION, …
        public static let notLeader: Status = "not_leader"
        /// It is running but did not answer: it might be serving as leader to others.
        public static let noAnswer: Status = "no_answer"
        /// The lab knows its process is not running: it serves nobody.
        public static let notRunning: Status = "not_running"
    }

    public var broker: Int32
    public var status: Status
    public var leaderEpoch: Int32?
    public var hw: Int64?
    public var error: String?

    public init(broker: Int32, status: Status, leaderEpoch: Int32? = nil, hw: Int64? = nil, error: String? = nil) {
        self.broker = broker
        self.status = status
        self.leaderEpoch = leaderEpoch
        self.hw = hw
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case broker, status, hw, error
        case leaderEpoch = "leader_epoch"
    }
}
