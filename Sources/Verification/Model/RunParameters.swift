/// How a topic was configured for the run: what "under-replicated" and "under min ISR" mean for it.
public struct TopicSettings: Sendable, Hashable, Codable {
    public var partitions: Int32
    public var replicationFactor: Int32
    public var minInSyncReplicas: Int32
    /// The effective `unclean.leader.election.enable`: the topic's setting, else the brokers'.
    public var uncleanLeaderElection: Bool

    public init(partitions: Int32, replicationFactor: Int32, minInSyncReplicas: Int32 = 1, uncleanLeaderElection: Bool = false) {
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.minInSyncReplicas = minInSyncReplicas
        self.uncleanLeaderElection = uncleanLeaderElection
    }

    enum CodingKeys: String, CodingKey {
        case partitions
        case replicationFactor = "replication_factor"
        case minInSyncReplicas = "min_insync_replicas"
        case uncleanLeaderElection = "unclean_leader_election_enable"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        partitions = try container.decode(Int32.self, forKey: .partitions)
        replicationFactor = try container.decode(Int32.self, forKey: .replicationFactor)
        minInSyncReplicas = try container.decodeIfPresent(Int32.self, forKey: .minInSyncReplicas) ?? 1
        uncleanLeaderElection = try container.decodeIfPresent(Bool.self, forKey: .uncleanLeaderElection) ?? false
    }
}

/// What the checkers need to know about a run beyond its history and timeline.
public struct RunParameters: Sendable, Hashable, Codable {
    public var topics: [String: TopicSettings]
    /// A group counts as recovered once its lag is at or below this (or it committed the end).
    public var lagRecoveryThreshold: Int64
    /// Each checker lists at most this many anomalies (it still counts all of them): a broken
    /// run can produce millions, and the report must stay readable and bounded.
    public var evidenceLimit: Int
    /// The brokers' `unclean.leader.election.enable`, for topics `topics` does not list (internal
    /// topics); Kafka's default, false, when the run did not say.
    public var uncleanLeaderElectionDefault: Bool
    /// The brokers' `replica.lag.time.max.ms`; nil when not known (the stalled-follower check is
    /// then unknown).
    public var replicaLagTimeMaxMs: Int64?
    /// Each producer process's `acks` ("all", "1", "0"), by process name (`producer-1-2`). Sends of
    /// processes not listed are not judged by the acks=all checks.
    public var producerAcks: [String: String]

    public init(
        topics: [String: TopicSettings] = [:], lagRecoveryThreshold: Int64 = 0, evidenceLimit: Int = 1000,
        uncleanLeaderElectionDefault: Bool = false, replicaLagTimeMaxMs: Int64? = nil, producerAcks: [String: String] = [:]
    ) {
        self.topics = topics
        self.lagRecoveryThreshold = lagRecoveryThreshold
        self.evidenceLimit = evidenceLimit
        self.uncleanLeaderElectionDefault = uncleanLeaderElectionDefault
        self.replicaLagTimeMaxMs = replicaLagTimeMaxMs
        self.producerAcks = producerAcks
    }

    /// min.insync.replicas of a topic; Kafka's default (1) when the run did not say.
    public func minInSyncReplicas(topic: String) -> Int32 {
        topics[topic]?.minInSyncReplicas ?? 1
    }

    /// The effective `unclean.leader.election.enable` of a topic: its own setting, else the
    /// brokers', else false.
    public func uncleanLeaderElection(topic: String) -> Bool {
        topics[topic]?.uncleanLeaderElection ?? uncleanLeaderElectionDefault
    }

    /// Whether a producer process sends with acks=all; nil when the run did not say.
    public func acksAll(process: String) -> Bool? {
        producerAcks[process].map { $0 == "all" || $0 == "-1" }
    }

    enum CodingKeys: String, CodingKey {
        case topics
        case lagRecoveryThreshold = "lag_recovery_threshold"
        case evidenceLimit = "evidence_limit"
        case uncleanLeaderElectionDefault = "unclean_leader_election_default"
        case replicaLagTimeMaxMs = "replica_lag_time_max_ms"
        case producerAcks = "producer_acks"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        topics = try container.decodeIfPresent([String: TopicSettings].self, forKey: .topics) ?? [:]
        lagRecoveryThreshold = try container.decodeIfPresent(Int64.self, forKey: .lagRecoveryThreshold) ?? 0
        evidenceLimit = try container.decodeIfPresent(Int.self, forKey: .evidenceLimit) ?? 1000
        uncleanLeaderElectionDefault = try container.decodeIfPresent(Bool.self, forKey: .uncleanLeaderElectionDefault) ?? false
        replicaLagTimeMaxMs = try container.decodeIfPresent(Int64.self, forKey: .replicaLagTimeMaxMs)
        producerAcks = try container.decodeIfPresent([String: String].self, forKey: .producerAcks) ?? [:]
    }
}
