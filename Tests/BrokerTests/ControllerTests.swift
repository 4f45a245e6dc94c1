import Coordination
import Foundation
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import Replication
import Testing
@testable import Broker

/// Records what the controller would send, for assertions.
final class RecordingChannel: ControllerChannel {
    let sent = NIOLockedValueBox<[(Int32, ControllerRequest)]>([])
    func send(_ request: ControllerRequest, to broker: BrokerEndpoint) { sent.withLockedValue { $0.append((broker.id, request)) } }
    func removeBroker(_ id: Int32) {}
    func removeAll() {}
    func awaitDelivery(to brokers: Set<Int32>, timeoutMs: Int64) async -> Bool { true }
    func leaderAndIsr(to broker: Int32) -> [PartitionLeadership] {
        sent.withLockedValue { $0 }.compactMap { id, request -> [PartitionLeadership]? in
            guard id == broker, case .leaderAndIsr(_, _, let partitions, _) = request else { return nil }
            return partitions
        }.flatMap { $0 }
    }
}

/// The controller against the in-memory coordination store, with brokers registered by hand.
@Suite struct ControllerTests {
    let ensemble = InMemoryCoordination()
    let directory = NSTemporaryDirectory() + "samsa-controller-" + UUID().uuidString

    func makeController(id: Int32 = 1, unclean: Bool = false) throws -> (Controller, RecordingChannel, any CoordinationClient) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var lines = "broker.id=\(id)\nlog.dirs=\(directory)/data\(id)\n"
        if unclean { lines += "unclean.leader.election.enable=true\n" }
        let config = try BrokerConfig(file: try PropertiesFile.parse(lines, source: "test"))
        let channel = RecordingChannel()
        let events = try EventLog(path: "\(directory)/events-\(id).jsonl", brokerId: id)
        let controller = Controller(brokerId: id, config: config, channel: channel, logger: Logger(label: "test"), events: events, metrics: BrokerMetrics())
        let zk = ensemble.client()
        for path in ZkPaths.persistentParents { try zk.ensurePath(path) }
        return (controller, channel, zk)
    }

    /// Registers brokers with their own sessions; returns the clients (expire one to "kill" a broker).
    func register(_ ids: [Int32]) throws -> [Int32: any CoordinationClient] {
        var clients: [Int32: any CoordinationClient] = [:]
        for id in ids {
            let client = ensemble.client()
            try client.ensurePath(ZkPaths.brokerIds)
            _ = try client.create(ZkPaths.broker(id), data: ZkJSON.encode(ZkBrokerRegistration(host: "127.0.0.1", port: 9000 + Int(id), timestampMs: 0)), mode: .ephemeral)
            clients[id] = client
        }
        return clients
    }

    func state(_ zk: any CoordinationClient, _ tp: TopicPartition) throws -> ZkPartitionState {
        try ZkJSON.decode(ZkPartitionState.self, try zk.get(ZkPaths.partitionState(tp), watch: false).data, path: "")
    }

    func createTopic(_ zk: any CoordinationClient, _ name: String, _ assignment: [Int32: [Int32]], config: [String: String] = [:]) throws {
        try zk.ensurePath(ZkPaths.topicConfigs)
        _ = try zk.create(ZkPaths.topicConfig(name), data: ZkJSON.encode(ZkTopicConfig(config: config)), mode: .persistent)
        _ = try zk.create(ZkPaths.topic(name), data: ZkJSON.encode(ZkTopicAssignment(assignment: assignment)), mode: .persistent)
    }

    @Test func activationInitialisesNewPartitionsAndTellsEveryBroker() throws {
        let (controller, channel, zk) = try makeController()
        _ = try register([1, 2, 3])
        try createTopic(zk, "orders", [0: [2, 3, 1], 1: [3, 1, 2]])
        try controller.activate(zk)
        let p0 = try state(zk, TopicPartition("orders", 0))
        #expect(p0.leader == 2 && p0.leaderEpoch == 0 && p0.isr == [2, 3, 1] && p0.controllerEpoch == 1)
        #expect(channel.leaderAndIsr(to: 2).contains { $0.topicPartition == TopicPartition("orders", 0) && $0.leader == 2 })
        let updates = channel.sent.withLockedValue { $0 }.filter { if case .updateMetadata = $0.1 { return true } else { return false } }
        #expect(Set(updates.map(\.0)) == [1, 2, 3])
        #expect(String(decoding: try zk.get(ZkPaths.controllerEpoch, watch: false).data, as: UTF8.self) == "1")
    }

    @Test func brokerFailureElectsFromTheIsrAndBumpsTheEpoch() throws {
        let (controller, channel, zk) = try makeController(id: 3)
        let brokers = try register([1, 2, 3])
        try createTopic(zk, "orders", [0: [1, 2, 3]])
        try controller.activate(zk)
        brokers[1]!.close()
        try controller.handle(.nodeChildrenChanged(path: ZkPaths.brokerIds), zk)
        let after = try state(zk, TopicPartition("orders", 0))
        #expect(after.leader == 2 && after.leaderEpoch == 1 && after.isr == [2, 3])
        #expect(channel.leaderAndIsr(to: 2).contains { $0.leader == 2 && $0.leaderEpoch == 1 })
    }

    @Test func noLiveIsrMemberLeavesThePartitionOfflineUnlessUncleanIsAllowed() throws {
        let (controller, _, zk) = try makeController(id: 3)
        let brokers = try register([1, 2, 3])
        try createTopic(zk, "safe", [0: [1, 2, 3]])
        try createTopic(zk, "unsafe", [0: [1, 2, 3]], config: ["unclean.leader.election.enable": "true"])
        try controller.activate(zk)
        for name in ["safe", "unsafe"] {
            let tp = TopicPartition(name, 0)
            let current = try zk.get(ZkPaths.partitionState(tp), watch: false)
            let shrunk = ZkPartitionState(controllerEpoch: 1, leader: 1, leaderEpoch: 0, isr: [1])
            _ = try zk.set(ZkPaths.partitionState(tp), data: ZkJSON.encode(shrunk), expectedVersion: current.stat.version)
        }
        // The leader shrank the ISR to itself (as its own ISR writes do); the controller's cache follows.
        let alone = ZkPartitionState(controllerEpoch: 1, leader: 1, leaderEpoch: 0, isr: [1]).versioned(1)
        _ = controller.machine.onPartitionStatesRead(changed: [TopicPartition("safe", 0), TopicPartition("unsafe", 0)],
                                                     read: [TopicPartition("safe", 0): alone, TopicPartition("unsafe", 0): alone])
        brokers[1]!.close()
        try controller.handle(.nodeChildrenChanged(path: ZkPaths.brokerIds), zk)
        let safe = try state(zk, TopicPartition("safe", 0))
        #expect(safe.leader == -1 && safe.isr == [1])
        let unsafe = try state(zk, TopicPartition("unsafe", 0))
        #expect(unsafe.leader == 2 && unsafe.isr == [2])
    }

    @Test func aDeposedControllerIsFencedByTheEpochCheck() throws {
        let (first, _, zkFirst) = try makeController(id: 1)
        _ = try register([1, 2])
        try createTopic(zkFirst, "orders", [0: [1, 2]])
        try first.activate(zkFirst)
        let (second, _, zkSecond) = try makeController(id: 2)
        try second.activate(zkSecond)
        #expect(second.machine.controllerEpoch == 2)
        #expect(throws: ControllerFenced.self) {
            // Moving broker 1's leadership away is a state write, at the first controller's epoch.
            _ = try first.controlledShutdown(zkFirst, broker: 1)
        }
        #expect(try state(zkSecond, TopicPartition("orders", 0)).leader == 1, "the fenced write changed nothing")
    }

    @Test func controlledShutdownMovesLeadershipAndShrinksIsr() throws {
        let (controller, _, zk) = try makeController(id: 3)
        _ = try register([1, 2, 3])
        try createTopic(zk, "orders", [0: [1, 2, 3], 1: [2, 1, 3]])
        try controller.activate(zk)
        let result = try controller.controlledShutdown(zk, broker: 1)
        #expect(result.remaining.isEmpty && result.newLeaders == [2])
        let p0 = try state(zk, TopicPartition("orders", 0))
        #expect(p0.leader == 2 && p0.isr == [2, 3])
        let p1 = try state(zk, TopicPartition("orders", 1))
        #expect(p1.leader == 2 && !p1.isr.contains(1))
    }
}
