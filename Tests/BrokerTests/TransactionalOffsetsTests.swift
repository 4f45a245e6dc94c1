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

    /// A stable group at generation 3 with a dynamic member "m-1" and a static member "m-2" of
    /// instance "i-2".
    func stableGroup(_ coordinator: GroupCoordinator) {
        var group = GroupState(groupId: "g", nowMs: 0)
        group.phase = .stable
        group.generationId = 3
        group.protocolType = "consumer"
        group.members = [("m-1", nil), ("m-2", "i-2")].map { id, instance in
            GroupState.Member(memberId: id, groupInstanceId: instance, clientId: "c", clientHost: "/127.0.0.1", sessionTimeoutMs: 10_000,
                              rebalanceTimeoutMs: 30_000, protocolType: "consumer", protocols: [], lastHeartbeatMs: 0)
        }
        coordinator.state.withLockedValue { $0.groups["g"] = group }
    }

    func commit(_ coordinator: GroupCoordinator, producerId: Int64, generationId: Int32, memberId: String, instanceId: String? = nil) async -> [Int16] {
        let request = TxnOffsetCommitRequest(transactionalId: "tx", groupId: "g", producerId: producerId, producerEpoch: 0, generationId: generationId,
                                             memberId: memberId, groupInstanceId: instanceId,
                                             topics: [.init(name: source.topic, partitions: [.init(partitionIndex: 0, committedOffset: 11)])])
        let response = await coordinator.transactionalCommit(request, knownTopics: [source.topic])
        return response.topics.flatMap { $0.partitions.map(\.errorCode) }
    }

    /// KIP-447: a v3 commit names the consumer's generation and member, and the group coordinator
    /// refuses it as Kafka's validateOffsetCommit does, before anything is written.
    @Test func aV3CommitIsFencedByTheGroupsGenerationAndMembers() async throws {
        let fixture = try make()
        defer { fixture.shutdown(); try? FileManager.default.removeItem(atPath: directory) }
        let coordinator = try await loadedCoordinator(fixture)
        stableGroup(coordinator)
        let refusals: [(generation: Int32, member: String, instance: String?, error: ErrorCode)] = [
            (2, "m-1", nil, .illegalGeneration), // a zombie that missed the rebalance to generation 3
            (4, "m-1", nil, .illegalGeneration),
            (3, "gone", nil, .unknownMemberId), // removed from the group
            (3, "", nil, .unknownMemberId),
            (-1, "m-1", nil, .illegalGeneration), // a member id without its generation, on a non-empty group
            (3, "m-old", "i-2", .fencedInstanceId), // instance i-2 rejoined as m-2
            (3, "m-1", "i-9", .unknownMemberId), // no such instance
        ]
        for (index, refusal) in refusals.enumerated() {
            let producerId = Int64(5000 + index)
            let codes = await commit(coordinator, producerId: producerId, generationId: refusal.generation, memberId: refusal.member,
                                     instanceId: refusal.instance)
            #expect(codes == [refusal.error.rawValue], "\(refusal)")
            #expect(pending(coordinator, producerId) == nil, "a refused commit leaves nothing pending: \(refusal)")
        }
        #expect(await commit(coordinator, producerId: 5100, generationId: 3, memberId: "m-1") == [0])
        #expect(await commit(coordinator, producerId: 5101, generationId: 3, memberId: "m-2", instanceId: "i-2") == [0])
        #expect(pending(coordinator, 5100) == 11 && pending(coordinator, 5101) == 11)
        // The default group metadata (generation -1, no member: what v0-2 read as) commits into a
        // non-empty group, as Kafka allows for transactional commits.
        #expect(await commit(coordinator, producerId: 5102, generationId: -1, memberId: "") == [0])
    }

    /// A group with no members (or none yet) accepts generation -1 whatever member it names; a named
    /// generation needs the member, which an empty group has not.
    @Test func anEmptyGroupAcceptsOnlyGenerationMinusOne() async throws {
        let fixture = try make()
        defer { fixture.shutdown(); try? FileManager.default.removeItem(atPath: directory) }
        let coordinator = try await loadedCoordinator(fixture)
        #expect(await commit(coordinator, producerId: 6000, generationId: -1, memberId: "") == [0])
        #expect(await commit(coordinator, producerId: 6001, generationId: -1, memberId: "m-1") == [0])
        #expect(await commit(coordinator, producerId: 6002, generationId: 1, memberId: "m-1") == [ErrorCode.unknownMemberId.rawValue])
        coordinator.state.withLockedValue { $0.groups["g"] = { var group = GroupState(groupId: "g", nowMs: 0); group.phase = .dead; return group }() }
        #expect(await commit(coordinator, producerId: 6003, generationId: -1, memberId: "") == [ErrorCode.coordinatorNotAvailable.rawValue])
    }
}
