import Foundation
import KafkaProtocol
import Logging
import NIOCore
import NIOPosix
import Replication
@testable import Broker

/// A standalone broker's request router over one partition this broker leads, on a one-thread
/// event loop, with every service a request may reach (groups, transactions, markers), for tests
/// that drive the router with encoded requests as the network would.
struct RouterHarness {
    var router: RequestRouter
    var partition: Partition
    var loop: any EventLoop
    var group: MultiThreadedEventLoopGroup

    /// `properties` are added to `broker.id=1` and the log directory under `directory`; `replicas`
    /// are the partition's replicas (broker 1, the leader, alone in the ISR).
    static func make(directory: String, topicPartition: TopicPartition, properties: String = "", replicas: [Int32] = [1]) throws -> RouterHarness {
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let config = try BrokerConfig(file: try PropertiesFile.parse("broker.id=1\nlog.dirs=\(directory)/data\n" + properties, source: "test"))
        let logger = Logger(label: "test")
        let events = try EventLog(path: "\(directory)/events.jsonl", brokerId: 1)
        let metrics = BrokerMetrics()
        let manager = try ReplicaManager(config: config, logger: logger, events: events, metrics: metrics)
        manager.applyLeadership([PartitionLeadership(topicPartition: topicPartition, leader: 1, leaderEpoch: 1, isr: [1], replicas: replicas,
                                                     controllerEpoch: 1, stateVersion: 0)], topicConfigs: [:])
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let metadata = MetadataCache(ClusterMetadata(clusterId: "test"))
        let groups = GroupCoordinator(config: config, replicaManager: manager, loop: loop, logger: logger)
        let controlPlane = try LocalControlPlane(config: config, replicaManager: manager, metadata: metadata, logger: logger)
        let writer = TransactionMarkerWriter(replicaManager: manager, groups: groups, loop: loop, replicationTimeoutMs: 5000)
        let channel = TransactionMarkerChannel(brokerId: 1, writer: writer, metadata: metadata, replicaManager: manager, peers: [:],
                                               group: group, requestTimeoutMs: 10_000, logger: logger)
        let transactions = TransactionCoordinator(replicaManager: manager, markers: channel, loop: loop, replicationTimeoutMs: 5000, logger: logger,
                                                  partitionCount: { 50 }, allocateProducerId: { try await controlPlane.allocateProducerId() })
        let services = BrokerServices(config: config, metadata: metadata, replicaManager: manager, controlPlane: controlPlane,
                                      metrics: metrics, events: events, logger: logger, cluster: nil, groups: groups, transactions: transactions,
                                      markerWriter: writer)
        return RouterHarness(router: RequestRouter(broker: services, logger: logger), partition: manager.partition(topicPartition)!, loop: loop,
                             group: group)
    }
}
