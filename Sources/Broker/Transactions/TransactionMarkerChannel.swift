import KafkaClient
import KafkaProtocol
import Logging
import NIOCore
import Replication
import SamsaConfig

/// Carries a transaction's markers to each partition's current leader: appended here when this
/// broker leads the partition (`TransactionMarkerWriter`), else sent as WriteTxnMarkers (v0) to the
/// leader named by this broker's metadata, one request per leader, the leaders in parallel. A
/// partition that fails (no leader yet, NOT_LEADER_OR_FOLLOWER, a lost connection…) is tried again
/// against refreshed leadership, at most `attempts` times with a doubling pause
/// (`MarkerRouting.backoffMs`); what is still unfinished is returned, and the coordinator's tick
/// tries again later, as Kafka's marker channel keeps retrying until every leader has the marker.
///
/// Owner: the actor holds one connection per peer broker, opened on first use and dropped after a
/// failure. Requests to one broker share its connection (the client matches correlation ids).
actor TransactionMarkerChannel {
    let brokerId: Int32
    let writer: TransactionMarkerWriter
    let metadata: MetadataCache
    let replicaManager: ReplicaManager
    /// `samsa.peer.addresses`: how this broker reaches a peer, overriding its registered address.
    let peers: [Int32: HostPort]
    let group: any EventLoopGroup
    /// The WriteTxnMarkers timeout: the leader's replication wait plus a margin for the network.
    let requestTimeoutMs: Int64
    let attempts: Int
    let logger: Logger
    private var connections: [Int32: KafkaConnection] = [:]

    init(brokerId: Int32, writer: TransactionMarkerWriter, metadata: MetadataCache, replicaManager: ReplicaManager, peers: [Int32: HostPort],
         group: any EventLoopGroup, requestTimeoutMs: Int64, attempts: Int = 3, logger: Logger) {
        self.brokerId = brokerId
        self.writer = writer
        self.metadata = metadata
        self.replicaManager = replicaManager
        self.peers = peers
        self.group = group
        self.requestTimeoutMs = requestTimeoutMs
        self.attempts = max(1, attempts)
        self.logger = logger
    }

    /// Writes the marker on every partition's leader. Answers the partitions that still lack it,
    /// with the last error each got; empty when the transaction's markers are all written.
    func deliver(producerId: Int64, producerEpoch: Int16, committed: Bool, coordinatorEpoch: Int32,
                 partitions: [TopicPartition]) async -> [TopicPartition: ErrorCode] {
        var remaining = partitions
        var results: [TopicPartition: ErrorCode] = [:]
        for attempt in 0..<attempts {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(MarkerRouting.backoffMs(attempt: attempt))) }
            let cluster = metadata.snapshot
            let plan = MarkerRouting.plan(remaining, brokerId: brokerId) { leadership($0, in: cluster) }
            for tp in plan.gone { results[tp] = .unknownTopicOrPartition }
            for tp in plan.leaderless { results[tp] = .leaderNotAvailable }
            let marker = Marker(producerId: producerId, producerEpoch: producerEpoch, committed: committed, coordinatorEpoch: coordinatorEpoch)
            await withTaskGroup(of: [TopicPartition: ErrorCode].self) { tasks in
                if !plan.local.isEmpty {
                    let writer = writer
                    tasks.addTask {
                        await writer.write(producerId: marker.producerId, producerEpoch: marker.producerEpoch, committed: marker.committed,
                                           coordinatorEpoch: marker.coordinatorEpoch, partitions: plan.local)
                    }
                }
                for (leader, led) in plan.remote {
                    tasks.addTask { await self.send(marker, to: leader, partitions: led, cluster: cluster) }
                }
                for await answered in tasks { results.merge(answered) { _, new in new } }
            }
            let fresh = metadata.snapshot
            remaining = MarkerRouting.unfinished(results.filter { remaining.contains($0.key) }) { leadership($0, in: fresh) }
            if remaining.isEmpty { return [:] }
        }
        let unfinished = Dictionary(uniqueKeysWithValues: remaining.map { tp in
            // UNKNOWN_TOPIC_OR_PARTITION from a broker that is not (yet) a replica is not "topic deleted".
            (tp, results[tp] == .unknownTopicOrPartition ? ErrorCode.notLeaderOrFollower : results[tp] ?? .requestTimedOut)
        })
        return unfinished
    }

    struct Marker: Sendable {
        var producerId: Int64
        var producerEpoch: Int16
        var committed: Bool
        var coordinatorEpoch: Int32
    }

    /// The local replica's word first (a standalone broker, or metadata that has not caught up with
    /// a LeaderAndIsr this broker already applied), else the metadata's leader.
    private nonisolated func leadership(_ tp: TopicPartition, in cluster: ClusterMetadata) -> MarkerRouting.Leadership {
        if replicaManager.partition(tp)?.replicaState.role == .leader { return .leader(brokerId) }
        guard let known = cluster.partitions[tp] else { return .unknown }
        return known.leader >= 0 ? .leader(known.leader) : .leaderless
    }

    /// One WriteTxnMarkers request to `leader`; a failed exchange fails each of its partitions.
    private func send(_ marker: Marker, to leader: Int32, partitions: [TopicPartition], cluster: ClusterMetadata) async -> [TopicPartition: ErrorCode] {
        func all(_ code: ErrorCode) -> [TopicPartition: ErrorCode] { Dictionary(uniqueKeysWithValues: partitions.map { ($0, code) }) }
        let byTopic = Dictionary(grouping: partitions, by: \.topic).sorted { $0.key < $1.key }
        let request = WriteTxnMarkersRequest(markers: [.init(producerId: marker.producerId, producerEpoch: marker.producerEpoch,
                                                             transactionResult: marker.committed,
                                                             topics: byTopic.map { TopicPartitions(name: $0.key, partitions: $0.value.map(\.partition)) },
                                                             coordinatorEpoch: marker.coordinatorEpoch)])
        do {
            let connection = try await connection(to: leader, cluster: cluster)
            let response: WriteTxnMarkersResponse = try await connection.send(request, version: 0, timeoutMs: requestTimeoutMs)
            var results = all(.unknownServerError)
            for answer in response.markers where answer.producerId == marker.producerId {
                for topic in answer.topics {
                    for partition in topic.partitions {
                        let tp = TopicPartition(topic.name, partition.partitionIndex)
                        if results[tp] != nil { results[tp] = ErrorCode(rawValue: partition.errorCode) ?? .unknownServerError }
                    }
                }
            }
            return results
        } catch {
            logger.info("WriteTxnMarkers to broker \(leader) failed: \(error)")
            drop(leader)
            return all(.networkException)
        }
    }

    private func connection(to broker: Int32, cluster: ClusterMetadata) async throws -> KafkaConnection {
        if let open = connections[broker], !open.isClosed { return open }
        guard let address = peers[broker] ?? cluster.brokers[broker].map({ HostPort(host: $0.host, port: Int($0.port)) }) else {
            throw KafkaClientError.connectFailed("broker \(broker)", "not in this broker's metadata")
        }
        let opened = try await KafkaConnection.connect(host: address.host, port: address.port, group: group,
                                                       clientId: "samsa-txn-markers-\(brokerId)",
                                                       connectTimeoutMs: min(requestTimeoutMs, 3000), requestTimeoutMs: requestTimeoutMs)
        // Another delivery may have connected while this one waited: keep one connection per broker.
        if let raced = connections[broker], !raced.isClosed {
            opened.close()
            return raced
        }
        connections[broker] = opened
        return opened
    }

    private func drop(_ broker: Int32) {
        connections.removeValue(forKey: broker)?.close()
    }

    /// Closes every peer connection (broker shutdown).
    func close() {
        for connection in connections.values { connection.close() }
        connections = [:]
    }
}
