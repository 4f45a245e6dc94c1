import KafkaProtocol

/// What a `send` carries. The invoke names the topic and the value (unique per run); the `ok`
/// completion adds where the broker put it and who acknowledged it.
public struct SendValue: Sendable, Hashable, Codable {
    public var topic: String
    public var key: String?
    public var value: String
    /// Set on the invoke when the producer picked the partition itself, and on every completion
    /// that knows it, so failed attempts can still be charged to a partition.
    public var partition: Int32?
    /// The acknowledged offset. Absent (or -1, as Kafka answers `acks=0`) when not known.
    public var offset: Int64?
    /// The broker that acknowledged the send.
    public var broker: Int32?
    /// The leader epoch the acknowledging broker was in, when the client learned it.
    public var leaderEpoch: Int32?
    /// The transaction the send belongs to (a transactional producer's), absent for plain sends.
    /// Its record is visible only if that transaction commits: the workload completes such sends
    /// `info`, and the transaction checkers judge them by their transaction's outcome.
    public var txn: String?

    public init(
        topic: String, key: String? = nil, value: String, partition: Int32? = nil, offset: Int64? = nil,
        broker: Int32? = nil, leaderEpoch: Int32? = nil, txn: String? = nil
    ) {
        self.topic = topic
        self.key = key
        self.value = value
        self.partition = partition
        self.offset = offset
        self.broker = broker
        self.leaderEpoch = leaderEpoch
        self.txn = txn
    }

    enum CodingKeys: String, CodingKey {
        case topic, key, value, partition, offset, broker, txn
        case leaderEpoch = "leader_epoch"
    }
}

/// One record a consumer returned.
public struct ReadRecord: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var key: String?
    public var value: String

    public init(topic: String, partition: Int32, offset: Int64, key: String? = nil, value: String) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
        self.key = key
        self.value = value
    }

    public var topicPartition: TopicPartition { TopicPartition(topic, partition) }
}

/// What a `poll` or `final_read` returned: the records in the order the consumer handed them out
/// (possibly none).
public struct PollValue: Sendable, Hashable, Codable {
    public var records: [ReadRecord]
    /// The consumer's cached high watermark of each partition it held, right after the poll (what
    /// the last fetch response said). Absent in histories written before the workload recorded it.
    public var hw: [PartitionHighWatermark]?
    /// The consumer's isolation level, as the workload gave it to the client. Absent in histories
    /// written before the workload recorded it (librdkafka's default then applied: read_committed).
    public var isolation: IsolationLevel?

    public init(records: [ReadRecord], hw: [PartitionHighWatermark]? = nil, isolation: IsolationLevel? = nil) {
        self.records = records
        self.hw = hw
        self.isolation = isolation
    }
}

/// A consumer's `isolation.level`.
public enum IsolationLevel: String, Sendable, Hashable, Codable, CaseIterable {
    /// Only records of committed transactions (and plain records), up to the last stable offset.
    case readCommitted = "read_committed"
    /// Every record up to the high watermark, aborted and open transactions' included.
    case readUncommitted = "read_uncommitted"
}

/// One partition's high watermark as a consumer last heard it from the partition's leader.
public struct PartitionHighWatermark: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    public var hw: Int64

    public init(topic: String, partition: Int32, hw: Int64) {
        self.topic = topic
        self.partition = partition
        self.hw = hw
    }
}

/// What an `assign` or `subscribe` names: partitions for an assignment (manual, or handed out by a
/// group rebalance), topics for a subscription.
public struct AssignmentValue: Sendable, Hashable, Codable {
    public var partitions: [TopicPartition]?
    public var topics: [String]?
    /// The final reader's targets: where each partition's log started and ended (its high
    /// watermark, asked of the partition's leader) when the final read began. A final read is
    /// complete for a partition once it has read up to that end.
    public var ends: [PartitionBounds]?

    public init(partitions: [TopicPartition]? = nil, topics: [String]? = nil, ends: [PartitionBounds]? = nil) {
        self.partitions = partitions
        self.topics = topics
        self.ends = ends
    }
}

/// A partition's log start and end as its leader reported them; nil where it could not be asked.
public struct PartitionBounds: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    public var start: Int64?
    public var end: Int64?

    public init(topic: String, partition: Int32, start: Int64?, end: Int64?) {
        self.topic = topic
        self.partition = partition
        self.start = start
        self.end = end
    }

    public var topicPartition: TopicPartition { TopicPartition(topic, partition) }
}

/// The `value` of an operation, typed by its function so checkers need no casts.
public enum OpValue: Sendable, Hashable {
    case none
    /// Boxed: a send value is several times larger than the other cases, and a history holds
    /// millions of lines.
    indirect case send(SendValue)
    case poll(PollValue)
    case assignment(AssignmentValue)
    /// Functions this checker has no model for (commit, …) and poll invokes: kept as written.
    case other(JSONValue)

    public var send: SendValue? {
        if case .send(let value) = self { return value }
        return nil
    }

    public var poll: PollValue? {
        if case .poll(let value) = self { return value }
        return nil
    }

    public var assignment: AssignmentValue? {
        if case .assignment(let value) = self { return value }
        return nil
    }
}
