import KafkaProtocol

/// Leadership of one partition as the controller decided it: `{leader, leader_epoch, isr,
/// controller_epoch}` plus the replica assignment and the version of the state node it was read at.
public struct PartitionLeadership: Sendable, Equatable, Codable {
    public var topicPartition: TopicPartition
    /// -1 when the partition has no leader (offline).
    public var leader: Int32
    public var leaderEpoch: Int32
    public var isr: [Int32]
    public var replicas: [Int32]
    public var controllerEpoch: Int32
    /// Version of the partition-state node; ISR writes are conditional on it.
    public var stateVersion: Int32

    public init(topicPartition: TopicPartition, leader: Int32, leaderEpoch: Int32, isr: [Int32], replicas: [Int32],
                controllerEpoch: Int32, stateVersion: Int32) {
        self.topicPartition = topicPartition
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.isr = isr
        self.replicas = replicas
        self.controllerEpoch = controllerEpoch
        self.stateVersion = stateVersion
    }
}

public struct BrokerEndpoint: Sendable, Equatable, Codable {
    public var id: Int32
    public var host: String
    public var port: Int32
    public var rack: String?

    public init(id: Int32, host: String, port: Int32, rack: String? = nil) {
        self.id = id
        self.host = host
        self.port = port
        self.rack = rack
    }
}

/// What one broker believes about the cluster: live brokers, the controller, every topic's
/// partitions and their leadership, topic configs. Fed by the controller (directly in standalone
/// mode, by UpdateMetadata requests in a cluster); read by Metadata, Produce and Fetch handlers.
public struct ClusterMetadata: Sendable, Equatable {
    public var clusterId: String
    public var controllerId: Int32
    public var controllerEpoch: Int32
    public var brokers: [Int32: BrokerEndpoint]
    public var partitions: [TopicPartition: PartitionLeadership]
    public var topicConfigs: [String: [String: String]]

    public init(clusterId: String, controllerId: Int32 = -1, controllerEpoch: Int32 = 0, brokers: [Int32: BrokerEndpoint] = [:],
                partitions: [TopicPartition: PartitionLeadership] = [:], topicConfigs: [String: [String: String]] = [:]) {
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.controllerEpoch = controllerEpoch
        self.brokers = brokers
        self.partitions = partitions
        self.topicConfigs = topicConfigs
    }

    public var topicNames: [String] { Array(Set(partitions.keys.map(\.topic))).sorted() }

    public func partitions(of topic: String) -> [PartitionLeadership] {
        partitions.values.filter { $0.topicPartition.topic == topic }.sorted { $0.topicPartition.partition < $1.topicPartition.partition }
    }

    public func hasTopic(_ topic: String) -> Bool { partitions.keys.contains { $0.topic == topic } }

    /// Takes the controller's state of one partition unless the cache already holds a newer one: a
    /// higher leader epoch, or the same epoch at a higher state version. UpdateMetadata requests
    /// can arrive on two controller connections at once (a reconnect after a timeout), and an older
    /// one applied last must not send clients back to a deposed leader. A deleted topic's
    /// partitions are removed first (`leaderDuringDelete`), so a re-created topic starts afresh.
    /// Returns whether it was taken.
    @discardableResult
    public mutating func update(_ leadership: PartitionLeadership) -> Bool {
        if let cached = partitions[leadership.topicPartition],
           (cached.leaderEpoch, cached.stateVersion) > (leadership.leaderEpoch, leadership.stateVersion) {
            return false
        }
        partitions[leadership.topicPartition] = leadership
        return true
    }
}
