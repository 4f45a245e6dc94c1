import KafkaProtocol

/// One partition as a Metadata response described it.
public struct PartitionState: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    /// -1 when the partition has no leader.
    public var leader: Int32
    public var leaderEpoch: Int32?
    public var replicas: [Int32]
    public var isr: [Int32]
    /// Kafka's offline replicas (replicas on brokers whose log directory is unusable).
    public var offline: [Int32]?

    public init(
        topic: String, partition: Int32, leader: Int32, leaderEpoch: Int32? = nil, replicas: [Int32], isr: [Int32],
        offline: [Int32]? = nil
    ) {
        self.topic = topic
        self.partition = partition
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.replicas = replicas
        self.isr = isr
        self.offline = offline
    }

    public var topicPartition: TopicPartition { TopicPartition(topic, partition) }
    public var hasLeader: Bool { leader >= 0 }

    enum CodingKeys: String, CodingKey {
        case topic, partition, leader, replicas, isr, offline
        case leaderEpoch = "leader_epoch"
    }
}

/// The cluster as one Metadata request saw it.
public struct MetadataSample: Sendable, Hashable, Codable {
    /// -1 or absent when the answering broker knew no controller.
    public var controller: Int32?
    public var brokers: [Int32]
    public var partitions: [PartitionState]

    public init(controller: Int32? = nil, brokers: [Int32], partitions: [PartitionState]) {
        self.controller = controller
        self.brokers = brokers
        self.partitions = partitions
    }
}

/// An observer could reach nothing. This is absence of knowledge, never an empty cluster.
public struct UnreachableSample: Sendable, Hashable, Codable {
    public var target: String?
    public var error: String

    public init(target: String? = nil, error: String) {
        self.target = target
        self.error = error
    }
}

/// A partition's offsets as its leader reported them.
public struct OffsetsSample: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    public var hw: Int64
    public var leo: Int64?
    public var logStart: Int64?
    /// The broker that reported these figures as leader, and its leader epoch then (absent in
    /// runs recorded before the observers noted them).
    public var leader: Int32?
    public var leaderEpoch: Int32?

    public init(topic: String, partition: Int32, hw: Int64, leo: Int64? = nil, logStart: Int64? = nil, leader: Int32? = nil,
                leaderEpoch: Int32? = nil) {
        self.topic = topic
        self.partition = partition
        self.hw = hw
        self.leo = leo
        self.logStart = logStart
        self.leader = leader
        self.leaderEpoch = leaderEpoch
    }

    enum CodingKeys: String, CodingKey {
        case topic, partition, hw, leo, leader
        case logStart = "log_start"
        case leaderEpoch = "leader_epoch"
    }
}

/// A consumer group's position on one partition against the partition's end.
public struct LagSample: Sendable, Hashable, Codable {
    public var group: String
    public var topic: String
    public var partition: Int32
    /// -1 when the group has committed nothing for the partition.
    public var committed: Int64
    public var end: Int64
    public var lag: Int64

    public init(group: String, topic: String, partition: Int32, committed: Int64, end: Int64, lag: Int64) {
        self.group = group
        self.topic = topic
        self.partition = partition
        self.committed = committed
        self.end = end
        self.lag = lag
    }

    public var topicPartition: TopicPartition { TopicPartition(topic, partition) }
}
