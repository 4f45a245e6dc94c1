import Foundation
import KafkaProtocol
import Logging
import NIOCore
import NIOPosix
import Replication
import Testing
@testable import Broker

/// The coordinator follows the leadership of its `__transaction_state` partition as a cluster
/// broker sees it through LeaderAndIsr, and its marker channel gives up on an unreachable leader
/// within its bounds.
@Suite struct TransactionCoordinatorLeadershipTests {
    let directory = NSTemporaryDirectory() + "samsa-txn-coordinator-" + UUID().uuidString
    let state = TopicPartition(TransactionStateTopic.name, 0)

    struct Fixture {
        let manager: ReplicaManager
        let coordinator: TransactionCoordinator
        let channel: TransactionMarkerChannel
        let group: MultiThreadedEventLoopGroup

        func shutdown() {
            manager.shutdown()
            try? group.syncShutdownGracefully()
        }
    }

    /// Broker 1 with a one-partition `__transaction_state`; `metadata` is what its channel routes by.
    func make(metadata: ClusterMetadata = ClusterMetadata(clusterId: "test")) throws -> Fixture {
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let config = try BrokerConfig(file: try PropertiesFile.parse("broker.id=1\nlog.dirs=\(directory)/data\n", source: "test"))
        let logger = Logger(label: "test")
        let events = try EventLog(path: "\(directory)/events.jsonl", brokerId: 1)
        let manager = try ReplicaManager(config: config, logger: logger, events: events, metrics: BrokerMetrics())
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        let groups = GroupCoordinator(config: config, replicaManager: manager, loop: loop, logger: logger)
        let writer = TransactionMarkerWriter(replicaManager: manager, groups: groups, loop: loop, replicationTimeoutMs: 5000)
        let channel = TransactionMarkerChannel(brokerId: 1, writer: writer, metadata: MetadataCache(metadata), replicaManager: manager,
                                               peers: [:], group: group, requestTimeoutMs: 2000, logger: logger)
        let coordinator = TransactionCoordinator(replicaManager: manager, markers: channel, loop: loop, replicationTimeoutMs: 5000,
                                                 logger: logger, partitionCount: { 1 }, allocateProducerId: { 4000 })
        return Fixture(manager: manager, coordinator: coordinator, channel: channel, group: group)
    }

    func leadership(leader: Int32, epoch: Int32, isr: [Int32]) -> PartitionLeadership {
        PartitionLeadership(topicPartition: state, leader: leader, leaderEpoch: epoch, isr: isr, replicas: [1, 2],
                            controllerEpoch: 1, stateVersion: epoch)
    }

    @Test func newLeaderEpochReloadsTheIdsWrittenBefore() async throws {
        let fixture = try make()
        defer { fixture.shutdown(); try? FileManager.default.removeItem(atPath: directory) }
        let coordinator = fixture.coordinator
        _ = fixture.manager.applyLeadership([leadership(leader: 1, epoch: 1, isr: [1])], topicConfigs: [:])
        await coordinator.becameLeader(of: 0)
        let first = await coordinator.initProducerId(transactionalId: "tx", transactionTimeoutMs: 60_000)
        #expect(first.0 == .none && first.producerId == 4000 && first.epoch == 0)

        // Broker 2 takes over: the ids leave this coordinator.
        _ = fixture.manager.applyLeadership([leadership(leader: 2, epoch: 2, isr: [2, 1])], topicConfigs: [:])
        await coordinator.resigned(from: 0)
        #expect(await coordinator.ownership(of: "tx") == .notCoordinator)
        #expect(await coordinator.initProducerId(transactionalId: "tx", transactionTimeoutMs: 60_000).0 == .notCoordinator)
        #expect(await coordinator.state.transactions["tx"] == nil)

        // Leading again at a newer epoch, it reloads the log: the id keeps its producer id and is bumped.
        _ = fixture.manager.applyLeadership([leadership(leader: 1, epoch: 3, isr: [1])], topicConfigs: [:])
        await coordinator.becameLeader(of: 0)
        let again = await coordinator.initProducerId(transactionalId: "tx", transactionTimeoutMs: 60_000)
        #expect(again.0 == .none && again.producerId == 4000 && again.epoch == 1)
    }

    /// KIP-360 through the coordinator's durable path: the current producer bumps its own epoch, a
    /// retry of that bump gets the same answer, and an older epoch or another producer id is fenced
    /// (PRODUCER_FENCED), as is the old epoch's next transactional request.
    @Test func kip360EpochBumpAndFencing() async throws {
        let fixture = try make()
        defer { fixture.shutdown(); try? FileManager.default.removeItem(atPath: directory) }
        let coordinator = fixture.coordinator
        _ = fixture.manager.applyLeadership([leadership(leader: 1, epoch: 1, isr: [1])], topicConfigs: [:])
        await coordinator.becameLeader(of: 0)
        let first = await coordinator.initProducerId(transactionalId: "tx", transactionTimeoutMs: 60_000, expected: (-1, -1))
        #expect(first.0 == .none && first.producerId == 4000 && first.epoch == 0)
        let bumped = await coordinator.initProducerId(transactionalId: "tx", transactionTimeoutMs: 60_000, expected: (4000, 0))
        #expect(bumped.0 == .none && bumped.producerId == 4000 && bumped.epoch == 1)
        let retried = await coordinator.initProducerId(transactionalId: "tx", transactionTimeoutMs: 60_000, expected: (4000, 0))
        #expect(retried.0 == .none && retried.producerId == 4000 && retried.epoch == 1)
        #expect(await coordinator.initProducerId(transactionalId: "tx", transactionTimeoutMs: 60_000, expected: (4000, 5)).0 == .producerFenced)
        #expect(await coordinator.initProducerId(transactionalId: "tx", transactionTimeoutMs: 60_000, expected: (3999, 1)).0 == .producerFenced)
        let t = TopicPartition("t", 0)
        #expect(await coordinator.addPartitions(transactionalId: "tx", producerId: 4000, producerEpoch: 0, partitions: [t]) == .producerFenced)
        #expect(await coordinator.addPartitions(transactionalId: "tx", producerId: 4000, producerEpoch: 1, partitions: [t]) == .none)
    }

    /// DescribeTransactions and ListTransactions answer for the ids of the partitions this broker
    /// leads, and stop answering for them once it resigns.
    @Test func describeAndListFollowTheLeadershipOfTheStatePartition() async throws {
        let fixture = try make()
        defer { fixture.shutdown(); try? FileManager.default.removeItem(atPath: directory) }
        let coordinator = fixture.coordinator
        #expect(await coordinator.describe(["tx"]).transactionStates.map(\.errorCode) == [ErrorCode.notCoordinator.rawValue])
        _ = fixture.manager.applyLeadership([leadership(leader: 1, epoch: 1, isr: [1])], topicConfigs: [:])
        await coordinator.becameLeader(of: 0)
        #expect(await coordinator.describe(["tx"]).transactionStates.map(\.errorCode) == [ErrorCode.transactionalIdNotFound.rawValue])
        let producer = await coordinator.initProducerId(transactionalId: "tx", transactionTimeoutMs: 60_000)
        let added = await coordinator.addPartitions(transactionalId: "tx", producerId: producer.producerId, producerEpoch: producer.epoch,
                                                    partitions: [TopicPartition("orders", 1)])
        #expect(added == .none)

        let described = await coordinator.describe(["tx", ""]).transactionStates
        #expect(described.count == 2)
        #expect(described[0].errorCode == 0 && described[0].transactionState == "Ongoing" && described[0].producerId == 4000)
        #expect(described[0].topics == [.init(name: "orders", partitionIndexes: [1])] && described[0].transactionStartTimeMs > 0)
        #expect(described[1].errorCode == ErrorCode.invalidRequest.rawValue)
        let listed = await coordinator.list(ListTransactionsRequest())
        #expect(listed.errorCode == 0 && listed.transactionStates == [.init(transactionalId: "tx", producerId: 4000, transactionState: "Ongoing")])

        _ = fixture.manager.applyLeadership([leadership(leader: 2, epoch: 2, isr: [2, 1])], topicConfigs: [:])
        await coordinator.resigned(from: 0)
        #expect(await coordinator.describe(["tx"]).transactionStates.map(\.errorCode) == [ErrorCode.notCoordinator.rawValue])
        #expect(await coordinator.list(ListTransactionsRequest()).transactionStates.isEmpty)
    }

    @Test func resignationOvertakenByTheSameLeadershipIsIgnored() async throws {
        let fixture = try make()
        defer { fixture.shutdown(); try? FileManager.default.removeItem(atPath: directory) }
        let coordinator = fixture.coordinator
        // Not leading yet: leadership news for the partition is ignored.
        await coordinator.becameLeader(of: 0)
        #expect(await coordinator.ownership(of: "tx") == .notCoordinator)
        _ = fixture.manager.applyLeadership([leadership(leader: 1, epoch: 1, isr: [1])], topicConfigs: [:])
        await coordinator.becameLeader(of: 0)
        // A resignation task that arrives after this broker led the partition again at the same epoch.
        await coordinator.resigned(from: 0)
        #expect(await coordinator.ownership(of: "tx") == nil)
    }

    @Test func markersForAnUnreachableLeaderComeBackUnfinishedWithinTheirBound() async throws {
        // A port nothing listens on: bound, then closed.
        let closed = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = closed.localAddress!.port!
        try await closed.close()
        let remote = TopicPartition("t", 0)
        let leaderless = TopicPartition("t", 1)
        let deleted = TopicPartition("gone", 0)
        let metadata = ClusterMetadata(clusterId: "test", brokers: [2: BrokerEndpoint(id: 2, host: "127.0.0.1", port: Int32(port))], partitions: [
            remote: PartitionLeadership(topicPartition: remote, leader: 2, leaderEpoch: 1, isr: [2], replicas: [2], controllerEpoch: 1, stateVersion: 0),
            leaderless: PartitionLeadership(topicPartition: leaderless, leader: -1, leaderEpoch: 1, isr: [], replicas: [2], controllerEpoch: 1, stateVersion: 0),
        ])
        let fixture = try make(metadata: metadata)
        defer { fixture.shutdown(); try? FileManager.default.removeItem(atPath: directory) }
        let started = ContinuousClock.now
        let unfinished = await fixture.channel.deliver(producerId: 4000, producerEpoch: 0, committed: true, coordinatorEpoch: 1,
                                                       partitions: [remote, leaderless, deleted])
        #expect(unfinished == [remote: .networkException, leaderless: .leaderNotAvailable])
        #expect(ContinuousClock.now - started < .seconds(20))
        await fixture.channel.close()
    }
}
