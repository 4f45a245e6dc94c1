import Foundation
import KafkaProtocol
import Logging
import NIOCore
import NIOPosix
import Replication
import Testing
@testable import Broker

/// TxnOffsetCommit offsets are written to `__consumer_offsets` as the producer's transactional
/// records: a group coordinator that loads the partition afterwards (a restart or a failover
/// between `send_offsets_to_transaction` and the commit) still has them pending, and the marker in
/// the log decides them on every later load.
@Suite struct TransactionalOffsetsTests {
    let directory = NSTemporaryDirectory() + "samsa-txn-offsets-" + UUID().uuidString
    let offsetsPartition = TopicPartition(OffsetsTopic.name, 0)
    let source = TopicPartition("src", 0)

    struct Fixture {
        let manager: ReplicaManager
        let group: MultiThreadedEventLoopGroup
        let config: BrokerConfig

        func shutdown() {
            manager.shutdown()
            try? group.syncShutdownGracefully()
        }
    }

    func make() throws -> Fixture {
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let config = try BrokerConfig(file: try PropertiesFile.parse("broker.id=1\nlog.dirs=\(directory)/data\noffsets.topic.num.partitions=1\n",
                                                                    source: "test"))
        let events = try EventLog(path: "\(directory)/events.jsonl", brokerId: 1)
        let manager = try ReplicaManager(config: config, logger: Logger(label: "test"), events: events, metrics: BrokerMetrics())
        _ = manager.applyLeadership([PartitionLeadership(topicPartition: offsetsPartition, leader: 1, leaderEpoch: 1, isr: [1], replicas: [1],
                                                         controllerEpoch: 1, stateVersion: 1)], topicConfigs: [:])
        return Fixture(manager: manager, group: MultiThreadedEventLoopGroup(numberOfThreads: 1), config: config)
    }

    /// A group coordinator that has loaded `__consumer_offsets-0` (bounded wait).
    func loadedCoordinator(_ fixture: Fixture) async throws -> GroupCoordinator {
        let coordinator = GroupCoordinator(config: fixture.config, replicaManager: fixture.manager, loop: fixture.group.next(), logger: Logger(label: "test"))
        coordinator.becameLeader(of: 0)
        let deadline = Date().addingTimeInterval(20)
        while coordinator.ownership(of: "g") != nil {
            guard Date() < deadline else { throw BrokerStartupError("__consumer_offsets-0 did not load within 20 s") }
            try await Task.sleep(for: .milliseconds(10))
        }
        return coordinator
    }

    func commit(_ coordinator: GroupCoordinator, producerId: Int64, offset: Int64) async -> [Int16] {
        let request = TxnOffsetCommitRequest(transactionalId: "tx", groupId: "g", producerId: producerId, producerEpoch: 0,
                                             topics: [.init(name: source.topic, partitions: [.init(partitionIndex: 0, committedOffset: offset)])])
        let response = await coordinator.transactionalCommit(request, knownTopics: [source.topic])
        return response.topics.flatMap { $0.partitions.map(\.errorCode) }
    }

    func marker(_ fixture: Fixture, producerId: Int64, committed: Bool) throws {
        let partition = try #require(fixture.manager.partition(offsetsPartition))
        guard case .appended = partition.appendMarker(producerId: producerId, producerEpoch: 0, committed: committed, coordinatorEpoch: 0, nowMs: 0) else {
            throw BrokerStartupError("marker refused")
        }
    }

    func committed(_ coordinator: GroupCoordinator) -> Int64? {
        coordinator.state.withLockedValue { $0.offsets["g"]?[source]?.offset }
    }

    func pending(_ coordinator: GroupCoordinator, _ producerId: Int64) -> Int64? {
        coordinator.state.withLockedValue { $0.transactionalOffsets[producerId]?["g"]?[source]?.offset }
    }

    @Test func pendingOffsetsSurviveACoordinatorReloadAndTheMarkerDecidesThem() async throws {
        let fixture = try make()
        defer { fixture.shutdown(); try? FileManager.default.removeItem(atPath: directory) }
        let first = try await loadedCoordinator(fixture)
        #expect(await commit(first, producerId: 4000, offset: 3) == [0])
        #expect(pending(first, 4000) == 3 && committed(first) == nil)

        // The coordinator fails over before the commit: the new one reads the pending offsets back.
        first.resigned(from: 0)
        #expect(pending(first, 4000) == nil, "a resigned coordinator forgets them")
        let second = try await loadedCoordinator(fixture)
        #expect(pending(second, 4000) == 3 && committed(second) == nil)

        // While the partition loads, the marker's completion is refused, so it is retried after the load.
        second.state.withLockedValue { $0.partitions[0] = .loading }
        #expect(await second.completeTransaction(producerId: 4000, committed: true, offsetsPartition: 0) == .coordinatorLoadInProgress)
        second.state.withLockedValue { $0.partitions[0] = .loaded }

        try marker(fixture, producerId: 4000, committed: true)
        #expect(await second.completeTransaction(producerId: 4000, committed: true, offsetsPartition: 0) == .none)
        #expect(committed(second) == 3 && pending(second, 4000) == nil)

        // An aborted transaction's offsets never become the group's, before or after a reload.
        #expect(await commit(second, producerId: 4001, offset: 9) == [0])
        try marker(fixture, producerId: 4001, committed: false)
        #expect(await second.completeTransaction(producerId: 4001, committed: false, offsetsPartition: 0) == .none)
        #expect(committed(second) == 3)

        let third = try await loadedCoordinator(fixture)
        #expect(committed(third) == 3, "the commit marker in the log applied 3, the abort marker dropped 9")
        #expect(pending(third, 4000) == nil && pending(third, 4001) == nil)
    }

    @Test func aFencedProducerEpochCannotWriteTransactionalOffsets() async throws {
        let fixture = try make()
        defer { fixture.shutdown(); try? FileManager.default.removeItem(atPath: directory) }
        let coordinator = try await loadedCoordinator(fixture)
        let partition = try #require(fixture.manager.partition(offsetsPartition))
        // The transaction coordinator aborted producer 4000's transaction with epoch 1.
        guard case .appended = partition.appendMarker(producerId: 4000, producerEpoch: 1, committed: false, coordinatorEpoch: 0, nowMs: 0) else {
            throw BrokerStartupError("marker refused")
        }
        #expect(await commit(coordinator, producerId: 4000, offset: 5) == [ErrorCode.invalidProducerEpoch.rawValue])
        #expect(pending(coordinator, 4000) == nil)
    }
}
