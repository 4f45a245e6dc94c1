import KafkaProtocol
import Testing
@testable import Replication

/// The controller's decisions without ZooKeeper: elections, ISR changes, epochs, conditional writes
/// that meet a newer state, failover.
@Suite struct ControllerStateMachineTests {
    let orders0 = TopicPartition("orders", 0)
    let orders1 = TopicPartition("orders", 1)

    /// Controller at epoch 1 over brokers 1-3, `orders` with the given assignment, activated.
    func cluster(_ assignment: [Int32: [Int32]] = [0: [1, 2, 3]], configs: [String: [String: String]] = [:], unclean: Bool = false,
                 bugs: SeededBugs = []) -> ControllerHarness {
        let harness = ControllerHarness(topics: ["orders": assignment], configs: configs, unclean: unclean, bugs: bugs)
        harness.activate(epoch: 1, brokers: [1, 2, 3])
        return harness
    }

    @Test func newPartitionsStartAtEpochZeroLedByTheFirstLiveReplica() {
        let harness = ControllerHarness(topics: ["orders": [0: [2, 3, 1], 1: [3, 1, 2]]])
        let directives = harness.activate(epoch: 1, brokers: [1, 2, 3])
        #expect(harness.store[orders0] == ControllerPartitionState(leader: 2, leaderEpoch: 0, isr: [2, 3, 1], controllerEpoch: 1, version: 0))
        #expect(harness.writes.allSatisfy { $0.expectedVersion == nil }, "first states are created")
        #expect(directives.leaderAndIsr[2]?.contains { $0.partition == orders0 && $0.state.leader == 2 } == true)
        #expect(Set(directives.updateMetadataBrokers) == [1, 2, 3])
        #expect(directives.records.map(\.replaced) == [nil, nil])
    }

    @Test func aNewPartitionWithNoLiveReplicaStaysOffline() {
        let harness = ControllerHarness(topics: ["orders": [0: [4, 5]]])
        let directives = harness.activate(epoch: 1, brokers: [1, 2, 3])
        #expect(harness.store[orders0] == nil && harness.writes.isEmpty)
        #expect(directives.contains(.log(.warning, "controller: orders/0 has no live replica; it stays offline")))
    }

    @Test func leaderLossElectsTheFirstLiveIsrMemberAndBumpsTheEpoch() {
        let harness = cluster()
        let directives = harness.feed(harness.machine.onBrokersChanged([2, 3]))
        #expect(harness.store[orders0] == ControllerPartitionState(leader: 2, leaderEpoch: 1, isr: [2, 3], controllerEpoch: 1, version: 1))
        #expect(harness.writes.last?.expectedVersion == 0, "conditional on the version read")
        #expect(directives.contains(.forgetBroker(1)))
        #expect(directives.leaderAndIsr[2]?.first?.state.leaderEpoch == 1)
        #expect(directives.leaderAndIsr[1] == nil, "the dead broker is not told")
        let record = directives.records.last
        #expect(record?.replaced?.leader == 1 && record?.written.leader == 2 && record?.unclean == false)
        #expect(record?.reason == "leader 1 failed")
    }

    @Test func aPartitionAtTheLargestEpochIsNotWrittenAndStaysOffline() {
        let harness = ControllerHarness(topics: ["orders": [0: [1, 2, 3]]])
        harness.store[orders0] = ControllerPartitionState(leader: 1, leaderEpoch: Int32.max, isr: [1, 2, 3], controllerEpoch: 1, version: 7)
        harness.activate(epoch: 2, brokers: [1, 2, 3])
        let directives = harness.feed(harness.machine.onBrokersChanged([2, 3]))
        #expect(harness.writes.isEmpty, "no epoch above Int32.max to write")
        #expect(harness.store[orders0]?.leaderEpoch == Int32.max && harness.store[orders0]?.leader == 1)
        #expect(directives.contains(.log(.warning, "controller: orders/0 is at the largest leader epoch (2147483647); "
            + "leader 1 failed is not written and the partition keeps its last state")))
    }

    @Test func everyLeaderChangeBumpsTheEpoch() {
        let harness = cluster()
        _ = harness.feed(harness.machine.onBrokersChanged([2, 3]))
        _ = harness.feed(harness.machine.onBrokersChanged([1, 2, 3]))
        _ = harness.feed(harness.machine.onBrokersChanged([1, 3]))
        let state = harness.store[orders0]
        #expect(state?.leader == 3 && state?.leaderEpoch == 2)
        let epochs = harness.writes.map(\.leaderEpoch)
        #expect(epochs == epochs.sorted() && Set(epochs).count == epochs.count, "epochs \(epochs) strictly grow")
    }

    @Test func aDeadFollowerLeavesTheIsrWithAnEpochBump() {
        let harness = cluster()
        let directives = harness.feed(harness.machine.onBrokersChanged([1, 2]))
        #expect(harness.store[orders0] == ControllerPartitionState(leader: 1, leaderEpoch: 1, isr: [1, 2], controllerEpoch: 1, version: 1))
        #expect(directives.records.last?.reason == "broker(s) [3] failed")
        #expect(directives.leaderAndIsr.keys.sorted() == [1, 2])
    }

    @Test func noLiveIsrMemberTakesThePartitionOfflineWithoutUncleanElection() {
        let harness = cluster()
        harness.leaderWritesIsr(orders0, [1])
        _ = harness.machine.onPartitionStatesRead(changed: [orders0], read: [orders0: harness.store[orders0]!])
        let directives = harness.feed(harness.machine.onBrokersChanged([2, 3]))
        #expect(harness.store[orders0]?.leader == -1 && harness.store[orders0]?.isr == [1], "offline, keeping its last ISR")
        #expect(directives.records.last?.unclean == false)
        #expect(harness.feed(harness.machine.onBrokersChanged([3])).records.isEmpty, "an offline partition is not rewritten")
    }

    @Test func uncleanElectionTakesALiveOutOfSyncReplicaWhenTheTopicAllowsIt() {
        let harness = cluster(configs: ["orders": ["unclean.leader.election.enable": "true"]])
        harness.leaderWritesIsr(orders0, [1])
        _ = harness.machine.onPartitionStatesRead(changed: [orders0], read: [orders0: harness.store[orders0]!])
        let directives = harness.feed(harness.machine.onBrokersChanged([2, 3]))
        #expect(harness.store[orders0]?.leader == 2 && harness.store[orders0]?.isr == [2])
        let record = directives.records.last
        #expect(record?.unclean == true && record?.replaced?.isr == [1] && record?.written.leaderEpoch == 1)
    }

    @Test func theBrokerDefaultAppliesWhereTheTopicIsSilent() {
        let harness = cluster(unclean: true)
        harness.leaderWritesIsr(orders0, [1])
        _ = harness.machine.onPartitionStatesRead(changed: [orders0], read: [orders0: harness.store[orders0]!])
        _ = harness.feed(harness.machine.onBrokersChanged([2, 3]))
        #expect(harness.store[orders0]?.leader == 2)
        let strict = cluster(configs: ["orders": ["unclean.leader.election.enable": "false"]], unclean: true)
        strict.leaderWritesIsr(orders0, [1])
        _ = strict.machine.onPartitionStatesRead(changed: [orders0], read: [orders0: strict.store[orders0]!])
        _ = strict.feed(strict.machine.onBrokersChanged([2, 3]))
        #expect(strict.store[orders0]?.leader == -1)
    }

    @Test func anElectionOnAStaleIsrIsDecidedAgainOnTheStateReadBack() {
        let harness = cluster()
        // Leader 1 drops 2 from the ISR; the controller has not seen the notification.
        harness.leaderWritesIsr(orders0, [1, 3])
        #expect(harness.machine.states[orders0]?.isr == [1, 2, 3])
        let directives = harness.feed(harness.machine.onBrokersChanged([2, 3]))
        #expect(harness.store[orders0] == ControllerPartitionState(leader: 3, leaderEpoch: 1, isr: [3], controllerEpoch: 1, version: 2),
                "broker 2 left the committed ISR [1, 3]: it must not lead")
        #expect(harness.writes.suffix(2).map(\.leader) == [2, 3], "the first decision was made on the stale ISR")
        let record = directives.records.last
        #expect(record?.replaced?.version == 1 && record?.replaced?.isr == [1, 3])
        #expect(directives.leaderAndIsr[3]?.first?.state == harness.store[orders0])
    }

    @Test func aDecisionThatNoLongerAppliesWritesNothingAndTellsNobody() {
        let harness = cluster()
        // Broker 3 dies, but before the controller's write lands the leader already removed it.
        harness.interfere = { write, store in
            if write.partition == TopicPartition("orders", 0), store[write.partition]?.version == 0 {
                store[write.partition]?.isr = [1, 2]
                store[write.partition]?.version = 1
            }
        }
        let directives = harness.feed(harness.machine.onBrokersChanged([1, 2]))
        #expect(harness.store[orders0]?.version == 1 && harness.writes.count == 2)
        #expect(directives.records.isEmpty && directives.leaderAndIsr.isEmpty)
        #expect(harness.machine.states[orders0]?.isr == [1, 2], "the cache holds what was read back")
    }

    @Test func conflictRetriesAreBoundedAndOtherPartitionsStillGetTheirLeaders() {
        let harness = cluster([0: [1, 2, 3], 1: [1, 3, 2]])
        // Someone rewrites orders-0 before every write of it.
        harness.interfere = { write, store in
            if write.partition == TopicPartition("orders", 0) { store[write.partition]?.version += 1 }
        }
        let directives = harness.feed(harness.machine.onBrokersChanged([2, 3]))
        #expect(harness.writes.filter { $0.partition == orders0 && $0.expectedVersion != nil }.count == ControllerStateMachine.conflictRetriesMax + 1)
        #expect(directives.contains { if case .log(.warning, _) = $0 { return true } else { return false } })
        #expect(harness.store[orders1]?.leader == 3 && harness.store[orders1]?.leaderEpoch == 1)
        #expect(directives.leaderAndIsr[3]?.map(\.partition) == [orders1])
        #expect(!harness.machine.isBusy)
    }

    @Test func aNewControllerReadsTheStateAgainAndWritesAtItsOwnEpoch() {
        let first = cluster()
        _ = first.feed(first.machine.onBrokersChanged([2, 3]))
        // The first controller dies with broker 2; broker 3 takes over and reads the store.
        let second = ControllerHarness(topics: ["orders": [0: [1, 2, 3]]])
        second.store = first.store
        let directives = second.activate(epoch: 2, brokers: [3])
        #expect(second.machine.controllerEpoch == 2)
        #expect(second.writes.first?.expectedVersion == 1, "conditional on the version it read")
        #expect(second.store[orders0] == ControllerPartitionState(leader: 3, leaderEpoch: 2, isr: [3], controllerEpoch: 2, version: 2))
        #expect(directives.records.first?.reason == "leader 2 not alive")
        #expect(directives.leaderAndIsr[3]?.last?.state.leaderEpoch == 2, "every broker hears everything")
        #expect(directives.updateMetadataBrokers.allSatisfy { $0 == 3 })
    }

    @Test func aNewControllerLeavesHealthyPartitionsAlone() {
        let first = cluster()
        let second = ControllerHarness(topics: ["orders": [0: [1, 2, 3]]])
        second.store = first.store
        let directives = second.activate(epoch: 2, brokers: [1, 2, 3])
        #expect(second.writes.isEmpty && second.store == first.store)
        #expect(directives.leaderAndIsr.keys.sorted() == [1, 2, 3])
    }

    @Test func aReturningBrokerIsToldItsPartitionsAndOfflinePartitionsTryAgain() {
        let harness = cluster()
        harness.leaderWritesIsr(orders0, [1])
        _ = harness.machine.onPartitionStatesRead(changed: [orders0], read: [orders0: harness.store[orders0]!])
        _ = harness.feed(harness.machine.onBrokersChanged([2, 3]))
        #expect(harness.store[orders0]?.leader == -1)
        let directives = harness.feed(harness.machine.onBrokersChanged([1, 2, 3]))
        #expect(harness.store[orders0]?.leader == 1 && harness.store[orders0]?.leaderEpoch == 2)
        #expect(directives.records.last?.reason == "replica came back")
        #expect(directives.leaderAndIsr[1]?.last?.state.leader == 1)
    }

    @Test func isrChangeNotificationsUpdateTheCacheAndEveryBroker() {
        let harness = cluster()
        harness.leaderWritesIsr(orders0, [1, 2])
        let directives = harness.machine.onPartitionStatesRead(changed: [orders0], read: [orders0: harness.store[orders0]!])
        #expect(harness.machine.states[orders0]?.isr == [1, 2] && harness.machine.states[orders0]?.version == 1)
        #expect(directives.updateMetadataBrokers == [1, 2, 3])
        // An ISR expansion a leader wrote is taken as read, without a write of the controller's own.
        harness.leaderWritesIsr(orders0, [1, 2, 3])
        _ = harness.machine.onPartitionStatesRead(changed: [orders0], read: [orders0: harness.store[orders0]!])
        #expect(harness.machine.states[orders0]?.isr == [1, 2, 3] && harness.writes.count == 1)
    }

    @Test func controlledShutdownMovesLeadershipAndShrinksTheIsr() {
        let harness = cluster([0: [1, 2, 3], 1: [2, 1, 3]])
        let directives = harness.feed(harness.machine.onControlledShutdownRequested(broker: 1))
        #expect(harness.store[orders0]?.leader == 2 && harness.store[orders0]?.isr == [2, 3])
        #expect(harness.store[orders1]?.leader == 2 && harness.store[orders1]?.isr == [2, 3])
        #expect(directives.last == .answerControlledShutdown(broker: 1, remaining: [], newLeaders: [2]))
        #expect(harness.machine.shuttingDown == [1])
        // A later election never picks the broker that is shutting down.
        _ = harness.feed(harness.machine.onBrokersChanged([1, 3]))
        #expect(harness.store[orders0]?.leader == 3)
    }

    @Test func controlledShutdownOfTheLastIsrMemberLeavesItLeading() {
        let harness = cluster([0: [1, 2]])
        harness.leaderWritesIsr(orders0, [1])
        _ = harness.machine.onPartitionStatesRead(changed: [orders0], read: [orders0: harness.store[orders0]!])
        let directives = harness.feed(harness.machine.onControlledShutdownRequested(broker: 1))
        #expect(directives.last == .answerControlledShutdown(broker: 1, remaining: [orders0], newLeaders: []))
        #expect(harness.store[orders0]?.leader == 1)
        #expect(harness.feed(harness.machine.onControlledShutdownRequested(broker: 9)).last
                == .answerControlledShutdown(broker: 9, remaining: [], newLeaders: []), "an unknown broker gets an empty answer")
    }

    @Test func rebalanceMovesLeadershipBackToThePreferredReplica() {
        let harness = cluster([0: [1, 2, 3], 1: [1, 3, 2]])
        _ = harness.feed(harness.machine.onBrokersChanged([2, 3]))
        _ = harness.feed(harness.machine.onBrokersChanged([1, 2, 3]))
        harness.leaderWritesIsr(orders0, [2, 3, 1])
        harness.leaderWritesIsr(orders1, [3, 2, 1])
        _ = harness.machine.onPartitionStatesRead(changed: [orders0, orders1],
                                                  read: [orders0: harness.store[orders0]!, orders1: harness.store[orders1]!])
        let directives = harness.feed(harness.machine.onRebalanceDue(imbalancePercentMax: 10))
        #expect(harness.store[orders0]?.leader == 1 && harness.store[orders1]?.leader == 1)
        #expect(harness.store[orders0]?.leaderEpoch == 2)
        #expect(directives.records.allSatisfy { $0.reason == "preferred replica 1" })
        #expect(harness.feed(harness.machine.onRebalanceDue(imbalancePercentMax: 10)).isEmpty, "balanced: nothing to do")
    }

    @Test func aDeletedTopicIsStoppedThenForgotten() {
        let harness = cluster([0: [1, 2], 1: [2, 3]])
        let marked = harness.machine.onTopicMarkedForDeletion("orders")
        #expect(marked == [.stopReplica(broker: 1, partitions: [orders0], delete: true),
                           .stopReplica(broker: 2, partitions: [orders0, orders1], delete: true),
                           .stopReplica(broker: 3, partitions: [orders1], delete: true), .deleteTopic("orders")])
        let deleted = harness.machine.onTopicDeleted("orders")
        #expect(harness.machine.states.isEmpty && harness.machine.assignments.isEmpty)
        #expect(deleted.contains(.updateMetadata(broker: 2, liveBrokers: [1, 2, 3], partitions: [], deleted: [orders0, orders1], topicConfigs: [:])))
        #expect(harness.machine.onTopicMarkedForDeletion("orders") == [.deleteMarker("orders")])
    }

    @Test func aCreatedTopicGetsFirstStates() {
        let harness = cluster()
        harness.machine.onTopicRead("events", assignment: [0: [3, 1]], config: nil, states: [0: nil])
        let directives = harness.feed(harness.machine.onTopicsCreated(["events"]))
        #expect(harness.store[TopicPartition("events", 0)]?.leader == 3)
        #expect(directives.contains(.log(.info, "controller: topic events created")))
    }

    @Test func anAbandonedOperationLeavesTheMachineReadyForTheNextEvent() {
        let harness = cluster()
        let directives = harness.machine.onBrokersChanged([2, 3])
        #expect(harness.machine.isBusy && directives.contains { if case .writeState = $0 { return true } else { return false } })
        harness.machine.abandonOperation()
        #expect(!harness.machine.isBusy)
        #expect(harness.machine.onStateWriteOutcome(orders0, .written(version: 1)).isEmpty, "a late outcome is ignored")
        #expect(harness.machine.states[orders0]?.leader == 1, "not applied")
    }

    // MARK: Seeded bugs

    @Test func noEpochBumpKeepsTheEpochOnALeaderChangeOnly() {
        let harness = cluster(bugs: [.noEpochBump])
        _ = harness.feed(harness.machine.onBrokersChanged([1, 2]))
        #expect(harness.store[orders0]?.leaderEpoch == 1, "an ISR-only change still bumps it")
        _ = harness.feed(harness.machine.onBrokersChanged([2]))
        #expect(harness.store[orders0]?.leader == 2 && harness.store[orders0]?.leaderEpoch == 1)
    }

    @Test func uncleanAlwaysElectsOutsideTheIsrWithUncleanDisabled() {
        for bug in [SeededBug.uncleanAlways, .uncleanAlwaysV2] {
            let harness = cluster(bugs: [bug])
            harness.leaderWritesIsr(orders0, [1, 3])
            _ = harness.machine.onPartitionStatesRead(changed: [orders0], read: [orders0: harness.store[orders0]!])
            _ = harness.feed(harness.machine.onBrokersChanged([2]))
            #expect(harness.store[orders0]?.leader == 2, "\(bug): broker 2 was not in the ISR [1, 3]")
        }
        let correct = cluster()
        correct.leaderWritesIsr(orders0, [1, 3])
        _ = correct.machine.onPartitionStatesRead(changed: [orders0], read: [orders0: correct.store[orders0]!])
        _ = correct.feed(correct.machine.onBrokersChanged([2]))
        #expect(correct.store[orders0]?.leader == -1)
    }
    @Test func addedPartitionsGetFirstStatesWhileExistingOnesKeepTheirs() {
        let harness = cluster([0: [1, 2, 3]])
        let before = harness.store[orders0]
        let writesBefore = harness.writes.count
        let directives = harness.feed(harness.machine.onPartitionsAdded("orders", assignment: [0: [3, 2, 1], 1: [2, 3, 1]]))
        #expect(harness.store[orders0] == before, "partition 0 is untouched")
        #expect(harness.store[orders1] == ControllerPartitionState(leader: 2, leaderEpoch: 0, isr: [2, 3, 1], controllerEpoch: 1, version: 0))
        #expect(harness.writes.count == writesBefore + 1 && harness.writes.last?.expectedVersion == nil)
        #expect(harness.machine.replicas(of: orders0) == [1, 2, 3], "an existing partition's replicas do not change")
        #expect(directives.leaderAndIsr[2]?.contains { $0.partition == orders1 } == true)
        #expect(Set(directives.updateMetadataBrokers) == [1, 2, 3])
    }

    @Test func anAssignmentWithoutNewPartitionsChangesNothing() {
        let harness = cluster([0: [1, 2, 3]])
        #expect(harness.machine.onPartitionsAdded("orders", assignment: [0: [1, 2, 3]]).isEmpty)
        #expect(harness.machine.onPartitionsAdded("nosuch", assignment: [0: [1]]).isEmpty)
    }
    @Test func aPreferredElectionMovesLeadershipBackOnlyWhereItCan() {
        let harness = cluster([0: [1, 2, 3], 1: [2, 3, 1]])
        _ = harness.feed(harness.machine.onBrokersChanged([2, 3]))
        _ = harness.feed(harness.machine.onBrokersChanged([1, 2, 3]))
        #expect(harness.store[orders0]?.leader == 2, "broker 1 came back but does not lead yet")
        #expect(harness.machine.preferredElectionRefusal(orders0) == .preferredLeaderNotAvailable, "broker 1 is not in the ISR yet")
        harness.leaderWritesIsr(orders0, [2, 3, 1])
        _ = harness.machine.onPartitionStatesRead(changed: [orders0], read: [orders0: harness.store[orders0]!])
        #expect(harness.machine.preferredElectionRefusal(orders0) == nil)
        #expect(harness.machine.preferredElectionRefusal(orders1) == .electionNotNeeded)
        #expect(harness.machine.preferredElectionRefusal(TopicPartition("orders", 9)) == .unknownTopicOrPartition)
        let epoch = harness.store[orders0]!.leaderEpoch
        let directives = harness.feed(harness.machine.onPreferredElectionRequested([orders0, orders1]))
        #expect(harness.store[orders0]?.leader == 1 && harness.store[orders0]?.leaderEpoch == epoch + 1)
        #expect(harness.store[orders1]?.leader == 2, "already led by its preferred replica")
        #expect(directives.leaderAndIsr[1]?.contains { $0.partition == orders0 } == true)
    }

    @Test func anUncleanElectionRequestGivesAnOfflinePartitionAnyLiveReplicaWhateverTheTopicSays() {
        let harness = cluster(configs: ["orders": ["unclean.leader.election.enable": "false"]])
        harness.leaderWritesIsr(orders0, [1])
        _ = harness.machine.onPartitionStatesRead(changed: [orders0], read: [orders0: harness.store[orders0]!])
        _ = harness.feed(harness.machine.onBrokersChanged([2, 3]))
        #expect(harness.store[orders0]?.leader == -1, "offline: the topic refuses unclean elections on its own")
        #expect(harness.machine.uncleanElectionRefusal(orders0) == nil)
        #expect(harness.machine.uncleanElectionRefusal(TopicPartition("orders", 9)) == .unknownTopicOrPartition)
        let directives = harness.feed(harness.machine.onUncleanElectionRequested([orders0]))
        #expect(harness.store[orders0] == ControllerPartitionState(leader: 2, leaderEpoch: 2, isr: [2], controllerEpoch: 1, version: 3))
        let record = directives.records.last
        #expect(record?.unclean == true && record?.replaced?.isr == [1] && record?.reason == "unclean leader election requested")
        #expect(directives.leaderAndIsr.keys.sorted() == [2, 3], "the live replicas learn the new leader")
        #expect(harness.machine.uncleanElectionRefusal(orders0) == .electionNotNeeded, "a live leader needs no election")
    }

    @Test func anUncleanElectionPrefersALiveIsrMemberAndRefusesWhenNoReplicaLives() {
        let harness = cluster([0: [1, 2], 1: [3]])
        _ = harness.feed(harness.machine.onBrokersChanged([1, 2]))
        #expect(harness.store[orders1]?.leader == -1)
        #expect(harness.machine.uncleanElectionRefusal(orders1) == .eligibleLeadersNotAvailable)
        #expect(harness.machine.uncleanElectionRefusal(orders0) == .electionNotNeeded)
        let before = harness.writes.count
        #expect(harness.feed(harness.machine.onUncleanElectionRequested([orders0, orders1])).records.isEmpty)
        #expect(harness.writes.count == before, "nothing to elect, nothing written")
        // Broker 3 comes back as the only ISR member of orders/1, and 1 dies with orders/0's ISR [1, 2]: clean choices.
        _ = harness.feed(harness.machine.onBrokersChanged([2, 3]))
        #expect(harness.store[orders0]?.leader == 2 && harness.store[orders1]?.leader == 3)
    }
}
