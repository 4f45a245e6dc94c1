import Coordination
import Foundation
import KafkaProtocol
import Testing
@testable import Broker

/// Elections against a partition state that changed behind the controller's back, and the event
/// lines every state write leaves for the checkers.
extension ControllerTests {
    /// The controller's lines of its event log, by event name.
    func events(_ id: Int32, _ name: String) throws -> [[String: Any]] {
        let text = try String(contentsOfFile: "\(directory)/events-\(id).jsonl", encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }.filter { $0["event"] as? String == name }
    }

    @Test func anElectionOnAStaleIsrIsMadeAgainOnTheFreshState() throws {
        let (controller, _, zk) = try makeController(id: 3)
        let brokers = try register([1, 2, 3])
        try createTopic(zk, "orders", [0: [1, 2, 3]])
        try controller.activate(zk)
        let tp = TopicPartition("orders", 0)
        // Leader 1 drops 2 from the ISR (its own conditional write); the controller has not seen
        // the change notification yet, so its cache still says ISR [1, 2, 3] at version 0.
        let current = try zk.get(ZkPaths.partitionState(tp), watch: false)
        let shrunk = ZkPartitionState(controllerEpoch: 1, leader: 1, leaderEpoch: 0, isr: [1, 3])
        _ = try zk.set(ZkPaths.partitionState(tp), data: ZkJSON.encode(shrunk), expectedVersion: current.stat.version)
        #expect(controller.machine.states[tp]?.isr == [1, 2, 3])
        brokers[1]!.close()
        try controller.handle(.nodeChildrenChanged(path: ZkPaths.brokerIds), zk)
        let after = try state(zk, tp)
        #expect(after.leader == 3, "broker 2 left the committed ISR [1, 3]: it must not lead")
        #expect(after.isr == [3] && after.leaderEpoch == 1)
        let elected = try #require(try events(3, "leader_elected").last)
        #expect(elected["leader"] as? Int == 3)
        #expect(elected["prior_state_version"] as? Int == 1)
        #expect(elected["state_version"] as? Int == 2)
        #expect(elected["old_isr"] as? [Int] == [1, 3])
        #expect(elected["new_isr"] as? [Int] == [3])
        #expect(elected["unclean"] as? Bool == false)
    }

    @Test func everyStateWriteIsRecordedWithBothVersions() throws {
        let (controller, _, zk) = try makeController(id: 3)
        let brokers = try register([1, 2, 3])
        try createTopic(zk, "orders", [0: [1, 2, 3]])
        try controller.activate(zk)
        let created = try #require(try events(3, "leader_elected").first)
        #expect(created["prior_state_version"] as? Int == -1)
        #expect(created["state_version"] as? Int == 0)
        #expect(created["new_isr"] as? [Int] == [1, 2, 3])
        brokers[1]!.close()
        try controller.handle(.nodeChildrenChanged(path: ZkPaths.brokerIds), zk)
        let elected = try #require(try events(3, "leader_elected").last)
        #expect(elected["leader"] as? Int == 2 && elected["old_leader"] as? Int == 1)
        #expect(elected["leader_epoch"] as? Int == 1)
        #expect(elected["prior_state_version"] as? Int == 0 && elected["state_version"] as? Int == 1)
        #expect(elected["old_isr"] as? [Int] == [1, 2, 3] && elected["new_isr"] as? [Int] == [2, 3])
    }

    @Test func anUncleanElectionIsRecordedAfterItsWrite() throws {
        let (controller, _, zk) = try makeController(id: 3, unclean: true)
        let brokers = try register([1, 2, 3])
        try createTopic(zk, "orders", [0: [1, 2, 3]])
        try controller.activate(zk)
        let tp = TopicPartition("orders", 0)
        let current = try zk.get(ZkPaths.partitionState(tp), watch: false)
        let alone = ZkPartitionState(controllerEpoch: 1, leader: 1, leaderEpoch: 0, isr: [1])
        _ = try zk.set(ZkPaths.partitionState(tp), data: ZkJSON.encode(alone), expectedVersion: current.stat.version)
        brokers[1]!.close()
        try controller.handle(.nodeChildrenChanged(path: ZkPaths.brokerIds), zk)
        #expect(try state(zk, tp).leader == 2)
        let unclean = try #require(try events(3, "unclean_election").last)
        #expect(unclean["leader"] as? Int == 2 && unclean["old_isr"] as? [Int] == [1])
        #expect(unclean["state_version"] as? Int == 2 && unclean["leader_epoch"] as? Int == 1)
        let elected = try #require(try events(3, "leader_elected").last)
        #expect(elected["unclean"] as? Bool == true && elected["prior_state_version"] as? Int == 1)
    }
}
