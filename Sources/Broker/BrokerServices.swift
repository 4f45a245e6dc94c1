import KafkaProtocol
import Logging

/// The pieces request handlers need, gathered so handlers stay functions of (request, services).
struct BrokerServices: Sendable {
    let config: BrokerConfig
    let metadata: MetadataCache
    let replicaManager: ReplicaManager
    let controlPlane: any ControlPlane
    let metrics: BrokerMetrics
    let events: EventLog
    let logger: Logger
    /// Present when the broker is part of a ZooKeeper-mode cluster; nil when standalone.
    let cluster: ClusterRuntime?
    let groups: GroupCoordinator
    /// The transaction coordinator of the `__transaction_state` partitions this broker leads.
    let transactions: TransactionCoordinator
    /// Writes the markers of WriteTxnMarkers requests (and the local coordinator's) as leader.
    let markerWriter: TransactionMarkerWriter

    var supportedApis: [ApiKey: ClosedRange<Int16>] { SupportedApis.ranges(clusterMode: cluster != nil) }
}
