import KafkaProtocol

/// The APIs and versions this broker advertises in ApiVersions and accepts. Never an API it does not
/// implement (clients break on that); every range starts at 0 because librdkafka before 2.12 enables
/// features only on an exact version match. Produce v0–2 and Fetch v0–3 carry legacy message formats:
/// they are accepted and answered per partition with UNSUPPORTED_FOR_MESSAGE_FORMAT.
public enum SupportedApis {
    public static let ranges: [ApiKey: ClosedRange<Int16>] = [
        .produce: 0...8,
        .fetch: 0...11,
        .listOffsets: 0...5,
        .metadata: 0...8,
        .apiVersions: 0...3,
        .createTopics: 0...7,
        .deleteTopics: 0...6,
        .describeConfigs: 0...4,
        .initProducerId: 0...4,
        .findCoordinator: 0...2,
        .joinGroup: 0...5,
        .syncGroup: 0...3,
        .heartbeat: 0...3,
        .leaveGroup: 0...3,
        .offsetCommit: 0...7,
        .offsetFetch: 0...5,
        .describeGroups: 0...4,
        .listGroups: 0...2,
        .deleteGroups: 0...1,
        .describeCluster: 0...1,
        .createPartitions: 0...3,
        .alterConfigs: 0...2,
        .incrementalAlterConfigs: 0...1,
        .deleteRecords: 0...2,
        .electLeaders: 0...2,
        .alterPartitionReassignments: 0...1,
        .listPartitionReassignments: 0...0,
        .describeLogDirs: 0...4,
    ]

    /// The first Produce version that carries RecordBatch v2.
    public static let firstRecordBatchProduceVersion: Int16 = 3
    /// The first Fetch version whose responses may carry RecordBatch v2.
    public static let firstRecordBatchFetchVersion: Int16 = 4

    /// The broker-to-broker APIs, served only by brokers in a ZooKeeper-mode cluster, at the one
    /// version Samsa's brokers speak among themselves: the controller's requests, OffsetForLeaderEpoch
    /// for followers, and WriteTxnMarkers (v0, non-flexible) from transaction coordinators.
    public static let clusterRanges: [ApiKey: ClosedRange<Int16>] = [
        .leaderAndIsr: LeaderAndIsrRequest.version...LeaderAndIsrRequest.version,
        .updateMetadata: UpdateMetadataRequest.version...UpdateMetadataRequest.version,
        .stopReplica: StopReplicaRequest.version...StopReplicaRequest.version,
        .controlledShutdown: ControlledShutdownRequest.version...ControlledShutdownRequest.version,
        .offsetForLeaderEpoch: 0...3,
        .writeTxnMarkers: 0...0,
    ]

    /// The transaction APIs clients and admin tools use, served by standalone and cluster brokers alike.
    public static let transactionRanges: [ApiKey: ClosedRange<Int16>] = [
        .addPartitionsToTxn: 0...2,
        .addOffsetsToTxn: 0...2,
        .endTxn: 0...2,
        .txnOffsetCommit: 0...3,
        .describeTransactions: 0...0,
        .listTransactions: 0...1,
    ]

    public static func ranges(clusterMode: Bool) -> [ApiKey: ClosedRange<Int16>] {
        let served = ranges.merging(transactionRanges) { a, _ in a }
        return clusterMode ? served.merging(clusterRanges) { a, _ in a } : served
    }

    public static func advertised(_ ranges: [ApiKey: ClosedRange<Int16>]) -> [ApiVersionsResponse.ApiRange] {
        ranges.sorted { $0.key.rawValue < $1.key.rawValue }.map {
            ApiVersionsResponse.ApiRange(apiKey: $0.key.rawValue, minVersion: $0.value.lowerBound, maxVersion: $0.value.upperBound)
        }
    }
}
