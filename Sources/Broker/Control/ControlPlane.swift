import KafkaProtocol

/// A topic to create, after the request's defaults (-1) were resolved.
public struct TopicCreation: Sendable, Equatable {
    public var name: String
    public var numPartitions: Int32
    public var replicationFactor: Int16
    /// Explicit replica assignment by partition, when the request gave one.
    public var assignment: [Int32: [Int32]]?
    public var configs: [String: String]

    public init(name: String, numPartitions: Int32, replicationFactor: Int16, assignment: [Int32: [Int32]]? = nil, configs: [String: String] = [:]) {
        self.name = name
        self.numPartitions = numPartitions
        self.replicationFactor = replicationFactor
        self.assignment = assignment
        self.configs = configs
    }
}

public struct TopicOperationResult: Sendable, Equatable {
    public var name: String
    public var errorCode: ErrorCode
    public var message: String?

    public init(name: String, errorCode: ErrorCode, message: String? = nil) {
        self.name = name
        self.errorCode = errorCode
        self.message = message
    }
}

/// The cluster-level operations a broker forwards instead of doing locally: topic creation,
/// deletion and growth, and producer-id allocation. A standalone broker is its own controller
/// (`LocalControlPlane`); in a cluster they go through ZooKeeper.
public protocol ControlPlane: Sendable {
    func createTopics(_ topics: [TopicCreation], validateOnly: Bool) async -> [TopicOperationResult]
    func deleteTopics(_ names: [String]) async -> [TopicOperationResult]
    /// Raises partition counts (CreatePartitions); every result is the topic's.
    func createPartitions(_ increases: [PartitionIncrease], validateOnly: Bool) async -> [TopicOperationResult]
    /// Changes a topic's config overrides (AlterConfigs, IncrementalAlterConfigs) where topic
    /// configs are kept, and has every broker hosting the topic apply them.
    func alterTopicConfigs(_ topic: String, _ change: TopicConfigChange, validateOnly: Bool) async -> TopicOperationResult
    /// A producer id no other producer in the cluster has been given.
    func allocateProducerId() async throws -> Int64
}
