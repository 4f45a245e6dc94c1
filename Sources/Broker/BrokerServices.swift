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
    /// The transaction coordinator; nil on a cluster broker, which does not serve transactions yet.
    let transactions: TransactionCoordinator?
    let markerWriter: TransactionMarkerWriter

    var supportedApis: [ApiKey: ClosedRange<Int16>] { SupportedApis.ranges(clusterMode: cluster != nil, transactions: transactions != nil) }
}
