import KafkaProtocol
import SamsaConfig

/// How many partitions a broker agrees to take on. Every partition costs memory, a directory, files
/// and work at each start, so the control plane refuses a topic that would go past these at request
/// time rather than accepting it and failing later (out of descriptors, an unusable restart).
public struct PartitionLimits: Sendable, Equatable {
    /// `samsa.max.partitions.per.topic`: partitions of one topic (CreateTopics answers INVALID_PARTITIONS).
    public var maxPartitionsPerTopic: Int
    /// `samsa.max.partitions.per.broker`: partition replicas one broker hosts, every topic counted
    /// (CreateTopics answers POLICY_VIOLATION).
    public var maxPartitionsPerBroker: Int

    public init(maxPartitionsPerTopic: Int, maxPartitionsPerBroker: Int) {
        self.maxPartitionsPerTopic = maxPartitionsPerTopic
        self.maxPartitionsPerBroker = maxPartitionsPerBroker
    }

    /// No limit (for tests that exercise other checks).
    public static let unlimited = PartitionLimits(maxPartitionsPerTopic: Int.max, maxPartitionsPerBroker: Int.max)
}

/// Checks on a CreateTopics entry that every control plane applies the same way, with Kafka's
/// error codes: INVALID_TOPIC_EXCEPTION, INVALID_PARTITIONS, INVALID_REPLICATION_FACTOR,
/// INVALID_REPLICA_ASSIGNMENT, INVALID_CONFIG, and POLICY_VIOLATION for the broker's capacity.
public enum TopicValidation {
    public static func validate(_ topic: TopicCreation, liveBrokers: Set<Int32>, limits: PartitionLimits) -> TopicOperationResult? {
        func fail(_ code: ErrorCode, _ message: String) -> TopicOperationResult {
            TopicOperationResult(name: topic.name, errorCode: code, message: message)
        }
        if let problem = TopicPartition.validateTopicName(topic.name) { return fail(.invalidTopicException, problem) }
        if topic.name.hasPrefix("__") && topic.name != "__consumer_offsets" && topic.name != "__transaction_state" {
            return fail(.invalidTopicException, "topic names starting with '__' are reserved for internal topics")
        }
        for (key, value) in topic.configs {
            if let problem = TopicProperties.validate(name: key, value: value) { return fail(.invalidConfig, problem) }
        }
        let partitionCount = topic.assignment.map(\.count) ?? Int(topic.numPartitions)
        if partitionCount > limits.maxPartitionsPerTopic {
            return fail(.invalidPartitions, "topic '\(topic.name)' asks for \(partitionCount) partitions; this broker allows at most "
                        + "\(limits.maxPartitionsPerTopic) per topic (samsa.max.partitions.per.topic)")
        }
        if let assignment = topic.assignment {
            guard !assignment.isEmpty else { return fail(.invalidReplicaAssignment, "replica assignment is empty") }
            let counts = Set(assignment.values.map(\.count))
            guard counts.count == 1 else { return fail(.invalidReplicaAssignment, "partitions have different replica counts") }
            guard Set(assignment.keys) == Set(0..<Int32(assignment.count)) else {
                return fail(.invalidReplicaAssignment, "partitions must be numbered 0..\(assignment.count - 1)")
            }
            for (partition, replicas) in assignment {
                if Set(replicas).count != replicas.count { return fail(.invalidReplicaAssignment, "partition \(partition) lists a broker twice") }
                if let unknown = replicas.first(where: { !liveBrokers.contains($0) }) {
                    return fail(.invalidReplicaAssignment, "partition \(partition) names broker \(unknown), which is not alive")
                }
            }
            return nil
        }
        guard topic.numPartitions > 0 else { return fail(.invalidPartitions, "number of partitions must be positive, got \(topic.numPartitions)") }
        guard topic.replicationFactor > 0 else { return fail(.invalidReplicationFactor, "replication factor must be positive, got \(topic.replicationFactor)") }
        guard Int(topic.replicationFactor) <= liveBrokers.count else {
            return fail(.invalidReplicationFactor, "replication factor \(topic.replicationFactor) is larger than the \(liveBrokers.count) available broker(s)")
        }
        if let minIsr = topic.configs["min.insync.replicas"].flatMap(Int.init), minIsr > Int(topic.replicationFactor) {
            return fail(.invalidConfig, "min.insync.replicas=\(minIsr) is larger than the replication factor \(topic.replicationFactor)")
        }
        return nil
    }

    /// Refuses an assignment that would make any broker host more than `limits.maxPartitionsPerBroker`
    /// partition replicas, counting the `hosted` ones (replicas per broker id) already there.
    public static func checkCapacity(_ name: String, assignment: [Int32: [Int32]], hosted: [Int32: Int],
                                     limits: PartitionLimits) -> TopicOperationResult? {
        var added: [Int32: Int] = [:]
        for replicas in assignment.values { for broker in replicas { added[broker, default: 0] += 1 } }
        for broker in added.keys.sorted() {
            let total = hosted[broker, default: 0] + added[broker]!
            guard total > limits.maxPartitionsPerBroker else { continue }
            return TopicOperationResult(
                name: name, errorCode: .policyViolation,
                message: "topic '\(name)' would bring broker \(broker) to \(total) partition replicas (it hosts \(hosted[broker, default: 0])); "
                    + "the limit is \(limits.maxPartitionsPerBroker) per broker (samsa.max.partitions.per.broker)")
        }
        return nil
    }

    /// Kafka's default assignment without racks: replicas of partition p start at a broker chosen from
    /// a start index and shift, so leaders and followers spread evenly over the brokers.
    public static func assignReplicas(partitions: Int32, replicationFactor: Int16, brokers: [Int32], startIndex: Int, shift: Int) -> [Int32: [Int32]] {
        let sorted = brokers.sorted()
        let count = sorted.count
        precondition(count > 0 && Int(replicationFactor) <= count)
        var assignment: [Int32: [Int32]] = [:]
        var nextShift = shift
        for partition in 0..<Int(partitions) {
            if partition > 0 && partition % count == 0 { nextShift += 1 }
            let first = (startIndex + partition) % count
            var replicas = [sorted[first]]
            for j in 0..<(Int(replicationFactor) - 1) {
                let shiftBy = 1 + (nextShift + j) % (count - 1)
                replicas.append(sorted[(first + shiftBy) % count])
            }
            assignment[Int32(partition)] = replicas
        }
        return assignment
    }
}
