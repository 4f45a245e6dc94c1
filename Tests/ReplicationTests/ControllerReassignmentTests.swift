import KafkaProtocol
import Testing
@testable import Replication

/// Partition reassignment in the controller without ZooKeeper: the full replica set while a move
/// lasts, completion once the target is in sync, leadership leaving a removed leader, cancellation,
/// and a new controller carrying a move on from what the assignment node records.
@Suite struct ControllerReassignmentTests {
    let orders0 = TopicPartition("orders", 0)

    /// `orders/0` on brokers 1-3, led by 1, in a cluster of brokers 1-4.
    func cluster() -> ControllerHarness {
        let harness = ControllerHarness(topics: ["orders": [0: [1, 2, 3]]])
        harness.activate(epoch: 1, brokers: [1, 2, 3, 4])
        return harness
    }

    /// The leader's ISR change, as its notification reaches the controller.
    func leaderReports(_ harness: ControllerHarness, isr: [Int32]) -> [ControllerDirective] {
        harness.leaderWritesIsr(orders0, isr)
        return harness.feed(harness.machine.onPartitionStatesRead(changed: [orders0], read: [orders0: harness.store[orders0]!]))
    }

    @Test func aMoveAddsTheNewReplicaWaitsForItThenMovesLeadershipAndRemovesTheOldOne() {
        let harness = cluster()
        let started = harness.feed(harness.machine.onReassignmentsRequested([orders0: [4, 2, 3]]))
        let move = PartitionReassignment(target: [4, 2, 3], original: [1, 2, 3])
        #expect(started.first == .writeAssignment(topic: "orders", assignment: [0: [4, 2, 3, 1]], reassignments: [0: move]),
                "the node records the full set and the move before anything else")
        #expect(harness.store[orders0] == ControllerPartitionState(leader: 1, leaderEpoch: 1, isr: [1, 2, 3], controllerEpoch: 1, version: 1),
                "same leader and ISR under a new epoch")
        #expect(started.leaderAndIsr.keys.sorted() == [1, 2, 3, 4], "the new replica is told to follow")
        #expect(started.leaderAndIsr[4]?.first?.replicas == [4, 2, 3, 1])
        #expect(!started.contains { if case .stopReplica = $0 { return true } else { return false } })
        #expect(harness.machine.reassignmentsInProgress(nil) == [orders0: move])
        #expect(move.replicas == [4, 2, 3, 1] && move.adding == [4] && move.removing == [1])

        // Not yet in sync: nothing completes.
        let partial = leaderReports(harness, isr: [1, 2])
        #expect(partial.records.isEmpty && harness.machine.reassignments[orders0] == move)

        let done = leaderReports(harness, isr: [1, 2, 3, 4])
        #expect(harness.store[orders0] == ControllerPartitionState(leader: 4, leaderEpoch: 2, isr: [2, 3, 4], controllerEpoch: 1, version: 4),
                "the leader leaves: the first target replica in sync takes over, the ISR shrinks to the target")
        #expect(done.records.last?.reason == "reassignment to [4, 2, 3] completed" && done.records.last?.unclean == false)
        #expect(done.leaderAndIsr.keys.sorted() == [2, 3, 4])
        #expect(done.contains(.stopReplica(broker: 1, partitions: [orders0], delete: true)))
        #expect(done.contains(.writeAssignment(topic: "orders", assignment: [0: [4, 2, 3]], reassignments: [:])))
        #expect(harness.machine.replicas(of: orders0) == [4, 2, 3] && harness.machine.reassignments.isEmpty)
    }

    @Test func aMoveWithinTheIsrCompletesAtOnceAndKeepsALeaderThatStays() {
        let harness = cluster()
        let directives = harness.feed(harness.machine.onReassignmentsRequested([orders0: [2, 1]]))
        #expect(harness.store[orders0]?.leader == 1 && harness.store[orders0]?.isr == [1, 2])
        #expect(directives.contains(.stopReplica(broker: 3, partitions: [orders0], delete: true)))
        #expect(harness.machine.replicas(of: orders0) == [2, 1] && harness.machine.reassignments.isEmpty)
    }

    @Test func cancellingSendsThePartitionBackAndStopsTheReplicaBeingAdded() {
        let harness = cluster()
        _ = harness.feed(harness.machine.onReassignmentsRequested([orders0: [1, 2, 4]]))
        #expect(harness.machine.replicas(of: orders0) == [1, 2, 4, 3])
        let cancelled = harness.feed(harness.machine.onReassignmentsRequested([orders0: nil]))
        #expect(cancelled.contains(.stopReplica(broker: 4, partitions: [orders0], delete: true)))
        #expect(cancelled.contains(.writeAssignment(topic: "orders", assignment: [0: [1, 2, 3]], reassignments: [:])))
        #expect(harness.machine.replicas(of: orders0) == [1, 2, 3] && harness.machine.reassignments.isEmpty)
        #expect(harness.store[orders0]?.leader == 1 && harness.store[orders0]?.isr == [1, 2, 3])
        #expect(harness.machine.reassignmentRefusal(orders0, target: nil)?.0 == .noReassignmentInProgress)
    }

    @Test func refusalsNameTheProblem() {
        let harness = cluster()
        let machine = harness.machine
        #expect(machine.reassignmentRefusal(TopicPartition("orders", 7), target: [1])?.0 == .unknownTopicOrPartition)
        #expect(machine.reassignmentRefusal(orders0, target: [])?.0 == .invalidReplicaAssignment)
        #expect(machine.reassignmentRefusal(orders0, target: [2, 2])?.1 == "the replica list [2, 2] of orders/0 names a broker twice")
        #expect(machine.reassignmentRefusal(orders0, target: [1, 9])?.1 == "brokers [9] of the replica list [1, 9] of orders/0 are not registered")
        #expect(machine.reassignmentRefusal(orders0, target: [1, 2], allowReplicationFactorChange: false)?.0 == .invalidReplicaAssignment)
        #expect(machine.reassignmentRefusal(orders0, target: [4, 2, 1], allowReplicationFactorChange: false) == nil)
        let before = harness.writes.count
        #expect(harness.feed(harness.machine.onReassignmentsRequested([orders0: [1, 9]])).isEmpty)
        #expect(harness.writes.count == before)
    }

    @Test func aNewControllerCarriesTheMoveOnFromTheAssignmentNode() {
        let harness = cluster()
        _ = harness.feed(harness.machine.onReassignmentsRequested([orders0: [4, 2, 3]]))
        // Controller 1 dies; the next reads the node: the full set and the move.
        let recorded = PartitionReassignment(target: [4, 2, 3], original: [1, 2, 3])
        harness.machine = ControllerStateMachine(uncleanLeaderElectionDefault: false)
        harness.machine.onBecameController(epoch: 2)
        harness.machine.onBrokersRead([1, 2, 3, 4])
        harness.machine.onTopicRead("orders", assignment: [0: recorded.replicas], config: [:], states: [0: harness.store[orders0]],
                                    reassignments: [0: recorded])
        let loaded = harness.feed(harness.machine.onClusterLoaded())
        #expect(loaded.leaderAndIsr[4]?.contains { $0.partition == orders0 } == true, "the new replica is told again")
        #expect(harness.machine.reassignments[orders0] == recorded, "not in sync yet: the move goes on")
        _ = leaderReports(harness, isr: [1, 2, 3, 4])
        #expect(harness.store[orders0]?.leader == 4 && harness.store[orders0]?.isr == [2, 3, 4] && harness.store[orders0]?.controllerEpoch == 2)
        #expect(harness.machine.replicas(of: orders0) == [4, 2, 3])
    }
}
