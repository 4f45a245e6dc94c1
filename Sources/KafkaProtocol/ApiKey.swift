/// The Kafka API keys Samsa knows, with the version ranges its codecs implement.
///
/// Every range starts at 0 where Kafka's does, because librdkafka before 2.12 enables a feature only
/// when the broker's advertised range contains one exact version (REFERENCES.md). Each range stops at
/// the last non-flexible version, except ApiVersions, whose v3 request librdkafka sends first,
/// InitProducerId (v2–4, for KIP-360's epoch bump), TxnOffsetCommit (v3, for KIP-447's group
/// metadata), the admin APIs current tools send at their newest versions (CreateTopics v7,
/// DeleteTopics v6, DescribeConfigs v4, CreatePartitions v3, AlterConfigs v2,
/// IncrementalAlterConfigs v1, DeleteRecords v2, ElectLeaders v2, DescribeLogDirs v4), and
/// DescribeCluster, DescribeTransactions, ListTransactions and the reassignment APIs, which are
/// flexible at every version.
public enum ApiKey: Int16, Sendable, CaseIterable, CustomStringConvertible {
    case produce = 0
    case fetch = 1
    case listOffsets = 2
    case metadata = 3
    case leaderAndIsr = 4
    case stopReplica = 5
    case updateMetadata = 6
    case controlledShutdown = 7
    case offsetCommit = 8
    case offsetFetch = 9
    case findCoordinator = 10
    case joinGroup = 11
    case heartbeat = 12
    case leaveGroup = 13
    case syncGroup = 14
    case describeGroups = 15
    case listGroups = 16
    case apiVersions = 18
    case createTopics = 19
    case deleteTopics = 20
    case initProducerId = 22
    case offsetForLeaderEpoch = 23
    case addPartitionsToTxn = 24
    case addOffsetsToTxn = 25
    case endTxn = 26
    case writeTxnMarkers = 27
    case txnOffsetCommit = 28
    case describeConfigs = 32
    case deleteGroups = 42
    // Cluster administration (kafka-topics --alter --partitions, kafka-configs, kafka-delete-records,
    // kafka-leader-election, kafka-log-dirs, kafka-cluster).
    case deleteRecords = 21
    case alterConfigs = 33
    case describeLogDirs = 35
    case createPartitions = 37
    case electLeaders = 43
    case incrementalAlterConfigs = 44
    // kafka-reassign-partitions.
    case alterPartitionReassignments = 45
    case listPartitionReassignments = 46
    case describeCluster = 60
    // kafka-transactions list|describe.
    case describeTransactions = 65
    case listTransactions = 66

    /// Kafka's name for the API, as in its protocol guide.
    public var name: String {
        switch self {
        case .produce: return "Produce"
        case .fetch: return "Fetch"
        case .listOffsets: return "ListOffsets"
        case .metadata: return "Metadata"
        case .leaderAndIsr: return "LeaderAndIsr"
        case .stopReplica: return "StopReplica"
        case .updateMetadata: return "UpdateMetadata"
        case .controlledShutdown: return "ControlledShutdown"
        case .offsetCommit: return "OffsetCommit"
        case .offsetFetch: return "OffsetFetch"
        case .findCoordinator: return "FindCoordinator"
        case .joinGroup: return "JoinGroup"
        case .heartbeat: return "Heartbeat"
        case .leaveGroup: return "LeaveGroup"
        case .syncGroup: return "SyncGroup"
        case .describeGroups: return "DescribeGroups"
        case .listGroups: return "ListGroups"
        case .apiVersions: return "ApiVersions"
        case .createTopics: return "CreateTopics"
        case .deleteTopics: return "DeleteTopics"
        case .initProducerId: return "InitProducerId"
        case .offsetForLeaderEpoch: return "OffsetForLeaderEpoch"
        case .addPartitionsToTxn: return "AddPartitionsToTxn"
        case .addOffsetsToTxn: return "AddOffsetsToTxn"
        case .endTxn: return "EndTxn"
        case .writeTxnMarkers: return "WriteTxnMarkers"
        case .txnOffsetCommit: return "TxnOffsetCommit"
        case .describeConfigs: return "DescribeConfigs"
        case .deleteGroups: return "DeleteGroups"
        case .deleteRecords: return "DeleteRecords"
        case .alterConfigs: return "AlterConfigs"
        case .describeLogDirs: return "DescribeLogDirs"
        case .createPartitions: return "CreatePartitions"
        case .electLeaders: return "ElectLeaders"
        case .incrementalAlterConfigs: return "IncrementalAlterConfigs"
        case .alterPartitionReassignments: return "AlterPartitionReassignments"
        case .listPartitionReassignments: return "ListPartitionReassignments"
        case .describeCluster: return "DescribeCluster"
        case .describeTransactions: return "DescribeTransactions"
        case .listTransactions: return "ListTransactions"
        }
    }

    public var description: String { "\(name)(\(rawValue))" }

    /// The first version at which this API uses flexible encoding (compact types, tagged fields,
    /// request header v2, response header v1), from Kafka's message schemas.
    public var firstFlexibleVersion: Int16 {
        switch self {
        case .produce: return 9
        case .fetch: return 12
        case .listOffsets: return 6
        case .metadata: return 9
        case .leaderAndIsr: return 4
        case .stopReplica: return 2
        case .updateMetadata: return 6
        case .controlledShutdown: return 3
        case .offsetCommit: return 8
        case .offsetFetch: return 6
        case .findCoordinator: return 3
        case .joinGroup: return 6
        case .heartbeat: return 4
        case .leaveGroup: return 4
        case .syncGroup: return 4
        case .describeGroups: return 5
        case .listGroups: return 3
        case .apiVersions: return 3
        case .createTopics: return 5
        case .deleteTopics: return 4
        case .initProducerId: return 2
        case .offsetForLeaderEpoch: return 4
        case .addPartitionsToTxn: return 3
        case .addOffsetsToTxn: return 3
        case .endTxn: return 3
        case .writeTxnMarkers: return 1
        case .txnOffsetCommit: return 3
        case .describeConfigs: return 4
        case .deleteGroups: return 2
        case .deleteRecords: return 2
        case .alterConfigs: return 2
        case .describeLogDirs: return 2
        case .createPartitions: return 2
        case .electLeaders: return 2
        case .incrementalAlterConfigs: return 1
        case .alterPartitionReassignments: return 0
        case .listPartitionReassignments: return 0
        case .describeCluster: return 0
        case .describeTransactions: return 0
        case .listTransactions: return 0
        }
    }

    public func isFlexible(_ version: Int16) -> Bool { version >= firstFlexibleVersion }

    /// Request header version: 2 for flexible versions, else 1. (Header v0 is used only by
    /// ControlledShutdown v0, which Samsa does not implement.)
    public func requestHeaderVersion(_ version: Int16) -> Int16 { isFlexible(version) ? 2 : 1 }

    /// Response header version: 1 for flexible versions, else 0; ApiVersions always 0 (KIP-511), so
    /// that a client can read the response before it knows what the broker supports.
    public func responseHeaderVersion(_ version: Int16) -> Int16 {
        if self == .apiVersions { return 0 }
        return isFlexible(version) ? 1 : 0
    }
}
