/// How a topic was configured for the run: what "under-replicated" and "under min ISR" mean for it.
public struct TopicSettings: Sendable, Hashable, Codable {
    public var partitions: Int32
    public var replicationFactor: Int32
    public var minInSyncReplicas: Int32

    public init(partitions: Int32, replicationFactor: Int32, minInSyncReplicas: Int32 = 1) {
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.minInSyncReplicas = minInSyncReplicas
    }

    enum CodingKeys: String, CodingKey {
        case partitions
        case replicationFactor = "replication_factor"
        case minInSyncReplicas = "min_insync_replicas"
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

    public init(topics: [String: TopicSettings] = [:], lagRecoveryThreshold: Int64 = 0, evidenceLimit: Int = 1000) {
        self.topics = topics
        self.lagRecoveryThreshold = lagRecoveryThreshold
        self.evidenceLimit = evidenceLimit
    }

    /// min.insync.replicas of a topic; Kafka's default (1) when the run did not say.
    public func minInSyncReplicas(topic: String) -> Int32 {
        topics[topic]?.minInSyncReplicas ?? 1
    }

    enum CodingKeys: String, CodingKey {
        case topics
        case lagRecoveryThreshold = "lag_recovery_threshold"
        case evidenceLimit = "evidence_limit"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        topics = try container.decodeIfPresent([String: TopicSettings].self, forKey: .topics) ?? [:]
        lagRecoveryThreshold = try container.decodeIfPresent(Int64.self, forKey: .lagRecoveryThreshold) ?? 0
        evidenceLimit = try container.decodeIfPresent(Int.self, forKey: .evidenceLimit) ?? 1000
    }
}
