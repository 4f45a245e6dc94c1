import Coordination
import Foundation
import KafkaProtocol
import Replication
import Testing
@testable import Broker

/// Reassignment and unclean elections through the controller's shell, against the in-memory
/// coordination store: what lands in ZooKeeper, and a new controller finishing a move from it.
@Suite struct ControllerReassignmentTests {
    let base = ControllerTests()
    let orders0 = TopicPartition("orders", 0)

    func assignmentNode(_ zk: any CoordinationClient) throws -> ZkTopicAssignment {
        try ZkJSON.decode(ZkTopicAssignment.self, try zk.get(ZkPaths.topic("orders"), watch: false).data, path: "")
    }

    /// The leader's ISR write and its notification, as a leader makes them.
    func leaderWritesIsr(_ zk: any CoordinationClient, _ isr: [Int32]) throws {
        let current = try zk.get(ZkPaths.partitionState(orders0), watch: false)
        var state = try ZkJSON.decode(ZkPartitionState.self, current.data, path: "")
        state.isr = isr
        _ = try zk.set(ZkPaths.partitionState(orders0), data: ZkJSON.encode(state), expectedVersion: current.stat.version)
        let note = ZkIsrChangeNotification(partitions: [.init(topic: "orders", partition: 0)])
        _ = try zk.create(ZkPaths.isrChangeNotifications + "/isr_change_", data: ZkJSON.encode(note), mode: .persistentSequential)
    }

    @Test func aMoveIsRecordedInTheAssignmentNodeAndANewControllerFinishesIt() throws {
        let (first, _, zk) = try base.makeController(id: 1)
        _ = try base.register([1, 2, 3, 4])
        try base.createTopic(zk, "orders", [0: [1, 2, 3]])
        try first.activate(zk)
        let answers = try #require(try first.alterPartitionReassignments(zk, [orders0: [4, 2, 3], TopicPartition("orders", 5): [1]],
                                                                        allowReplicationFactorChange: true))
        #expect(answers[orders0]?.0 == ErrorCode.none && answers[TopicPartition("orders", 5)]?.0 == .unknownTopicOrPartition)
        let node = try assignmentNode(zk)
        #expect(node.assignment == [0: [4, 2, 3, 1]] && node.addingReplicas == ["0": [4]] && node.removingReplicas == ["0": [1]])
        // As in Kafka's node, the original replicas read back are the full set less the adding ones, in full-set order.
        #expect(node.reassignments == [0: PartitionReassignment(target: [4, 2, 3], original: [2, 3, 1])])
        #expect(try base.state(zk, orders0).leaderEpoch == 1)

        // Controller 1 loses its place; broker 2 takes over and reads the move back from the node.
        let (second, channel, _) = try base.makeController(id: 2)
        try second.activate(zk)
        #expect(second.partitionReassignments(nil)?[orders0]?.adding == [4])
        #expect(channel.leaderAndIsr(to: 4).contains { $0.topicPartition == orders0 && $0.replicas == [4, 2, 3, 1] })
        try leaderWritesIsr(zk, [1, 2, 3, 4])
        try second.handle(.nodeChildrenChanged(path: ZkPaths.isrChangeNotifications), zk)
        let state = try base.state(zk, orders0)
        #expect(state.leader == 4 && state.isr == [2, 3, 4] && state.controllerEpoch == 2)
        let done = try assignmentNode(zk)
        #expect(done.assignment == [0: [4, 2, 3]] && done.addingReplicas == nil && done.removingReplicas == nil)
        #expect(second.partitionReassignments(nil)?.isEmpty == true)
        #expect(channel.sent.withLockedValue { $0 }.contains { id, request in
            id == 1 && request == .stopReplica(controllerId: 2, controllerEpoch: 2, partitions: [orders0], delete: true)
        })
    }

    @Test func anUncleanElectionOnRequestIsRecordedAsOne() throws {
        let (controller, _, zk) = try base.makeController(id: 3)
        let brokers = try base.register([1, 2, 3])
        try base.createTopic(zk, "orders", [0: [1, 2]])
        try controller.activate(zk)
        try leaderWritesIsr(zk, [1])
        try controller.handle(.nodeChildrenChanged(path: ZkPaths.isrChangeNotifications), zk)
        brokers[1]!.close()
        try controller.handle(.nodeChildrenChanged(path: ZkPaths.brokerIds), zk)
        #expect(try base.state(zk, orders0).leader == -1)
        let results = try controller.electUncleanLeaders(zk, [orders0, TopicPartition("orders", 9)])
        #expect(results == [orders0: ErrorCode.none, TopicPartition("orders", 9): .unknownTopicOrPartition])
        #expect(try base.state(zk, orders0).leader == 2)
        let events = try String(contentsOfFile: "\(base.directory)/events-3.jsonl", encoding: .utf8)
        #expect(events.contains("unclean_election"), "the unclean_election check reads this event")
    }
}
