import KafkaProtocol

/// What the controller tells brokers, independent of the wire versions that carry it
/// (LeaderAndIsr, UpdateMetadata, StopReplica).
public enum ControllerRequest: Sendable, Equatable {
    /// Become leader or follower of these partitions (only partitions the receiver replicates).
    case leaderAndIsr(controllerId: Int32, controllerEpoch: Int32, partitions: [PartitionLeadership], liveLeaders: [BrokerEndpoint])
    /// The cluster view every broker serves in Metadata: live brokers and partition states.
    /// `deleted` partitions are being removed (Kafka marks them with leader -2).
    case updateMetadata(controllerId: Int32, controllerEpoch: Int32, brokers: [BrokerEndpoint], partitions: [PartitionLeadership],
                        deleted: [TopicPartition], topicConfigs: [String: [String: String]])
    /// Stop replicating these partitions; with `delete`, remove their logs.
    case stopReplica(controllerId: Int32, controllerEpoch: Int32, partitions: [TopicPartition], delete: Bool)

    public var controllerEpoch: Int32 {
        switch self {
        case .leaderAndIsr(_, let epoch, _, _), .updateMetadata(_, let epoch, _, _, _, _), .stopReplica(_, let epoch, _, _): return epoch
        }
    }
}

/// Delivers controller requests to brokers, in order per broker, retrying until the broker answers
/// or leaves the cluster. Implemented over the network by `ControllerChannelManager`; tests record.
public protocol ControllerChannel: Sendable {
    func send(_ request: ControllerRequest, to broker: BrokerEndpoint)
    /// The broker left (or the controller resigned): drop its queue.
    func removeBroker(_ id: Int32)
    /// Waits until every request sent so far to `brokers` has been answered (or dropped with its
    /// broker), at most `timeoutMs`; false when the bound ran out first.
    func awaitDelivery(to brokers: Set<Int32>, timeoutMs: Int64) async -> Bool
    func removeAll()
}
