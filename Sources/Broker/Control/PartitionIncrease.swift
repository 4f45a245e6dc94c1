import KafkaProtocol

/// A CreatePartitions entry: raise `name` to `count` partitions, placing the new ones on
/// `assignments` (one replica list per new partition) or, when nil, where the broker chooses.
public struct PartitionIncrease: Sendable, Equatable {
    public var name: String
    public var count: Int32
    public var assignments: [[Int32]]?

    public init(name: String, count: Int32, assignments: [[Int32]]? = nil) {
        self.name = name
        self.count = count
        self.assignments = assignments
    }
}

extension TopicValidation {
    /// Checks a partition increase against the topic's current assignment (nil: no such topic) and
    /// returns the replicas of each new partition, or the failure Kafka answers: UNKNOWN_TOPIC_OR_PARTITION,
    /// INVALID_PARTITIONS for a count not above the current one or above the per-topic limit,
    /// INVALID_REPLICA_ASSIGNMENT for a manual assignment that does not fit, POLICY_VIOLATION past
    /// the per-broker limit. New partitions keep the topic's replication factor; without a manual
    /// assignment they continue Kafka's spread from the broker that holds partition 0's first replica.
    public static func planIncrease(_ increase: PartitionIncrease, current: [Int32: [Int32]]?, liveBrokers: Set<Int32>,
                                    hosted: [Int32: Int], limits: PartitionLimits) -> Result<[Int32: [Int32]], TopicOperationFailure> {
        func fail(_ code: ErrorCode, _ message: String) -> Result<[Int32: [Int32]], TopicOperationFailure> {
            .failure(TopicOperationFailure(TopicOperationResult(name: increase.name, errorCode: code, message: message)))
        }
        guard let current, !current.isEmpty else {
            return fail(.unknownTopicOrPartition, "topic '\(increase.name)' does not exist")
        }
        let existing = Int32(current.count)
        if increase.count == existing {
            return fail(.invalidPartitions, "topic '\(increase.name)' already has \(existing) partitions")
        }
        if increase.count < existing {
            return fail(.invalidPartitions, "topic '\(increase.name)' has \(existing) partitions, more than the requested \(increase.count); "
                        + "partitions cannot be removed")
        }
        if Int(increase.count) > limits.maxPartitionsPerTopic {
            return fail(.invalidPartitions, "topic '\(increase.name)' asks for \(increase.count) partitions; this broker allows at most "
                        + "\(limits.maxPartitionsPerTopic) per topic (samsa.max.partitions.per.topic)")
        }
        let replicationFactor = current[0]?.count ?? current.values.first!.count
        let added = Int(increase.count - existing)
        var plan: [Int32: [Int32]] = [:]
        if let manual = increase.assignments {
            guard manual.count == added else {
                return fail(.invalidReplicaAssignment, "\(manual.count) replica assignment(s) given for \(added) new partition(s)")
            }
            for (offset, replicas) in manual.enumerated() {
                let partition = existing + Int32(offset)
                guard replicas.count == replicationFactor else {
                    return fail(.invalidReplicaAssignment, "partition \(partition) has \(replicas.count) replicas; the topic's replication factor is \(replicationFactor)")
                }
                if Set(replicas).count != replicas.count { return fail(.invalidReplicaAssignment, "partition \(partition) lists a broker twice") }
                if let unknown = replicas.first(where: { !liveBrokers.contains($0) }) {
                    return fail(.invalidReplicaAssignment, "partition \(partition) names broker \(unknown), which is not alive")
                }
                plan[partition] = replicas
            }
        } else {
            guard replicationFactor <= liveBrokers.count else {
                return fail(.invalidReplicationFactor, "the topic's replication factor \(replicationFactor) is larger than the \(liveBrokers.count) available broker(s)")
            }
            let brokers = liveBrokers.sorted()
            let startIndex = current[0]?.first.flatMap { brokers.firstIndex(of: $0) } ?? 0
            let spread = assignReplicas(partitions: increase.count, replicationFactor: Int16(replicationFactor), brokers: brokers,
                                        startIndex: startIndex, shift: 0)
            for partition in existing..<increase.count { plan[partition] = spread[partition] }
        }
        if let failure = checkCapacity(increase.name, assignment: plan, hosted: hosted, limits: limits) {
            return .failure(TopicOperationFailure(failure))
        }
        return .success(plan)
    }
}

/// A refused topic operation as an `Error`, so that a plan can return `Result`.
public struct TopicOperationFailure: Error, Sendable, Equatable {
    public var result: TopicOperationResult
    public init(_ result: TopicOperationResult) { self.result = result }
}
