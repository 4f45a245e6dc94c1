import Foundation
import KafkaProtocol
import Logging
import NIOCore
import Testing
@testable import Broker

/// How the replica manager applies the controller's leadership decisions.
@Suite struct ReplicaManagerTests {
    let directory = NSTemporaryDirectory() + "samsa-replicas-" + UUID().uuidString

    func makeManager(id: Int32) throws -> ReplicaManager {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let config = try BrokerConfig(file: try PropertiesFile.parse("broker.id=\(id)\nlog.dirs=\(directory)/data\n", source: "test"))
        let events = try EventLog(path: "\(directory)/events.jsonl", brokerId: id)
        return try ReplicaManager(config: config, logger: Logger(label: "test"), events: events, metrics: BrokerMetrics())
    }

    func decision(leader: Int32, epoch: Int32, version: Int32, isr: [Int32] = [1, 2]) -> PartitionLeadership {
        PartitionLeadership(topicPartition: TopicPartition("orders", 0), leader: leader, leaderEpoch: epoch, isr: isr,
                            replicas: [1, 2], controllerEpoch: 1, stateVersion: version)
    }

    /// Two LeaderAndIsr requests in flight may be applied out of order: the older one, applied last,
    /// must not take the partition back to an older epoch.
    @Test func anOlderLeaderEpochAppliedLastChangesNothing() throws {
        let manager = try makeManager(id: 1)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        manager.applyLeadership([decision(leader: 1, epoch: 5, version: 7)], topicConfigs: [:])
        let followers = manager.applyLeadership([decision(leader: 2, epoch: 4, version: 6)], topicConfigs: [:])
        #expect(followers.isEmpty)
        let state = try #require(manager.partition(TopicPartition("orders", 0))).replicaState
        #expect(state.role == .leader && state.leaderEpoch == 5)
    }

    @Test func aNewerLeaderEpochMovesLeadership() throws {
        let manager = try makeManager(id: 1)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        manager.applyLeadership([decision(leader: 1, epoch: 5, version: 7)], topicConfigs: [:])
        let followers = manager.applyLeadership([decision(leader: 2, epoch: 6, version: 8)], topicConfigs: [:])
        #expect(followers.map(\.leader) == [2])
        let state = try #require(manager.partition(TopicPartition("orders", 0))).replicaState
        #expect(state.role == .follower && state.leaderEpoch == 6 && state.leaderId == 2)
    }

    /// The controller may send a LeaderAndIsr built before the leader changed the ISR in ZooKeeper (same
    /// leader epoch, older state version). Applying it would take the leader back to the old ISR and
    /// version, fence its next ISR write, and leave the partition without an acting leader.
    @Test func anOlderStateVersionAtTheSameEpochChangesNothing() throws {
        let manager = try makeManager(id: 1)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        manager.applyLeadership([decision(leader: 1, epoch: 5, version: 7, isr: [1, 2])], topicConfigs: [:])
        manager.applyLeadership([decision(leader: 1, epoch: 5, version: 9, isr: [1])], topicConfigs: [:])
        manager.applyLeadership([decision(leader: 1, epoch: 5, version: 8, isr: [1, 2])], topicConfigs: [:])
        let state = try #require(manager.partition(TopicPartition("orders", 0))).replicaState
        #expect(state.role == .leader && state.leaderEpoch == 5)
        #expect(state.stateVersion == 9 && state.isr == [1])
    }

    @Test func aNewerStateVersionAtTheSameEpochSetsTheIsr() throws {
        let manager = try makeManager(id: 1)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        manager.applyLeadership([decision(leader: 1, epoch: 5, version: 7, isr: [1, 2])], topicConfigs: [:])
        manager.applyLeadership([decision(leader: 1, epoch: 5, version: 8, isr: [1])], topicConfigs: [:])
        let state = try #require(manager.partition(TopicPartition("orders", 0))).replicaState
        #expect(state.stateVersion == 8 && state.isr == [1])
    }

    @Test func aLeadershipOutsideItsIsrIsRefusedNotTrappedOn() throws {
        let manager = try makeManager(id: 1)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        manager.applyLeadership([decision(leader: 1, epoch: 5, version: 7, isr: [2])], topicConfigs: [:])
        manager.applyLeadership([decision(leader: 1, epoch: 5, version: 7, isr: [1, 3])], topicConfigs: [:])
        let state = try #require(manager.partition(TopicPartition("orders", 0))).replicaState
        #expect(state.role == .none && state.leaderEpoch == -1)
    }

    @Test func aBatchShorterThanItsHeaderIsACorruptMessage() throws {
        let manager = try makeManager(id: 1)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        manager.applyLeadership([decision(leader: 1, epoch: 5, version: 7, isr: [1])], topicConfigs: [:])
        let partition = try #require(manager.partition(TopicPartition("orders", 0)))
        let outcome = partition.appendAsLeader([ByteBuffer(bytes: [1, 2, 3])], requiredAcks: 1, nowMs: 0)
        guard case .rejected(.corruptMessage, _) = outcome else { Issue.record("got \(outcome)"); return }
        #expect(partition.status.logEndOffset == 0)
    }
}
