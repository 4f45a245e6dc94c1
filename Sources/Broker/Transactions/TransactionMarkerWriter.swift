import KafkaProtocol
import NIOCore
import Replication

/// Writes what a transaction's end leaves in the logs, on the partitions this broker leads: the
/// commit or abort marker of each data partition (waiting until it is replicated, as acks=all),
/// and for a `__consumer_offsets` partition the group coordinator's pending transactional offsets,
/// applied on commit and dropped on abort. Serves the coordinator's own markers and, later,
/// WriteTxnMarkers from a coordinator on another broker.
struct TransactionMarkerWriter: Sendable {
    let replicaManager: ReplicaManager
    let groups: GroupCoordinator
    let loop: any EventLoop
    /// How long a marker may wait for replication (Kafka's `request.timeout.ms` for markers).
    let replicationTimeoutMs: Int64

    /// Writes the marker on every partition; answers each partition's error (NONE when written).
    /// A partition that no longer exists needs no marker (its topic was deleted), as in Kafka.
    func write(producerId: Int64, producerEpoch: Int16, committed: Bool, coordinatorEpoch: Int32,
               partitions: [TopicPartition]) async -> [TopicPartition: ErrorCode] {
        var results: [TopicPartition: ErrorCode] = [:]
        for tp in partitions {
            guard let partition = replicaManager.partition(tp) else {
                results[tp] = .unknownTopicOrPartition
                continue
            }
            let now = BrokerClock.wallMs()
            let appended = try? await replicaManager.storage.run {
                partition.appendMarker(producerId: producerId, producerEpoch: producerEpoch, committed: committed,
                                       coordinatorEpoch: coordinatorEpoch, nowMs: now)
            }
            switch appended ?? .rejected(.kafkaStorageError, "the storage threads are stopped") {
            case .rejected(let code, _):
                results[tp] = code
            case .appended(_, let last, _, _):
                let outcome = try? await DelayedProduce.wait(for: [(partition, last + 1)], timeoutMs: replicationTimeoutMs, eventLoop: loop,
                                                                 storage: replicaManager.storage).get()
                var code = outcome?[tp] ?? .requestTimedOut
                if code == .none && tp.topic == OffsetsTopic.name {
                    code = await groups.completeTransaction(producerId: producerId, committed: committed, offsetsPartition: tp.partition)
                }
                results[tp] = code
            }
        }
        return results
    }
}
