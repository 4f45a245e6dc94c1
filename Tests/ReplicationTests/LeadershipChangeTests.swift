import KafkaProtocol
import Testing
@testable import Replication

/// Which LeaderAndIsr decisions a broker applies (`leadershipChange`) and which leader epochs its
/// leader-only requests accept (`leaderRequestError`).
@Suite struct LeadershipChangeTests {
    /// Broker 1 with replicas [1, 2, 3], leading at epoch 5, state version 7, ISR [1, 2, 3].
    func leader(bugs: SeededBugs = []) -> PartitionReplicaState {
        var state = PartitionReplicaState(brokerId: 1, highWatermark: 0, logEndOffset: 0, minInsyncReplicas: 2, lagTimeMaxMs: 10_000)
        state.seededBugs = bugs
        _ = state.becomeLeader(epoch: 5, isr: [1, 2, 3], replicas: [1, 2, 3], stateVersion: 7, nowMs: 0)
        return state
    }

    func follower() -> PartitionReplicaState {
        var state = PartitionReplicaState(brokerId: 1, highWatermark: 0, logEndOffset: 0, minInsyncReplicas: 2, lagTimeMaxMs: 10_000)
        _ = state.becomeFollower(leader: 2, epoch: 5, isr: [1, 2, 3], replicas: [1, 2, 3], stateVersion: 7)
        return state
    }

    @Test func anOlderLeaderEpochIsNeverApplied() {
        #expect(leader().leadershipChange(leader: 2, leaderEpoch: 4, isr: [2, 3], replicas: [1, 2, 3], stateVersion: 9) == .staleEpoch)
        #expect(leader().leadershipChange(leader: 1, leaderEpoch: 4, isr: [1], replicas: [1, 2, 3], stateVersion: 9) == .staleEpoch)
        #expect(follower().leadershipChange(leader: 3, leaderEpoch: 4, isr: [3], replicas: [1, 2, 3], stateVersion: 9) == .staleEpoch)
    }

    @Test func aNewerEpochMakesLeaderOrFollower() {
        #expect(follower().leadershipChange(leader: 1, leaderEpoch: 6, isr: [1, 3], replicas: [1, 2, 3], stateVersion: 8) == .becomeLeader(controllerChangedIsr: false))
        #expect(leader().leadershipChange(leader: 2, leaderEpoch: 6, isr: [2, 3], replicas: [1, 2, 3], stateVersion: 8) == .becomeFollower)
        let fresh = PartitionReplicaState(brokerId: 1, highWatermark: 0, logEndOffset: 0, minInsyncReplicas: 1, lagTimeMaxMs: 1)
        #expect(fresh.leadershipChange(leader: 1, leaderEpoch: 0, isr: [1], replicas: [1], stateVersion: 0) == .becomeLeader(controllerChangedIsr: false))
    }

    @Test func atTheSameEpochALeaderTakesOnlyANewerStateVersion() {
        let state = leader()
        #expect(state.leadershipChange(leader: 1, leaderEpoch: 5, isr: [1, 2, 3], replicas: [1, 2, 3], stateVersion: 7) == .unchanged)
        #expect(state.leadershipChange(leader: 1, leaderEpoch: 5, isr: [1, 2], replicas: [1, 2, 3], stateVersion: 6) == .unchanged,
                "a request built before the leader's own ISR write would fence its next one")
        #expect(state.leadershipChange(leader: 1, leaderEpoch: 5, isr: [1, 2], replicas: [1, 2, 3], stateVersion: 8) == .becomeLeader(controllerChangedIsr: true))
        #expect(state.leadershipChange(leader: 1, leaderEpoch: 5, isr: [3, 2, 1], replicas: [1, 2, 3], stateVersion: 8) == .becomeLeader(controllerChangedIsr: false))
    }

    @Test func aFencedLeaderTakesAnyDecisionOfItsEpoch() {
        var state = leader()
        _ = state.onTick(nowMs: 20_000)
        _ = state.onIsrRejected(currentVersion: 8)
        #expect(state.fenced)
        #expect(state.leadershipChange(leader: 1, leaderEpoch: 5, isr: [1, 2], replicas: [1, 2, 3], stateVersion: 7) == .becomeLeader(controllerChangedIsr: false))
    }

    @Test func aFollowerReappliesOnlyAChangeOfLeaderOrEpoch() {
        let state = follower()
        #expect(state.leadershipChange(leader: 2, leaderEpoch: 5, isr: [2], replicas: [1, 2, 3], stateVersion: 9) == .unchanged)
        #expect(state.leadershipChange(leader: 3, leaderEpoch: 5, isr: [3], replicas: [1, 2, 3], stateVersion: 9) == .becomeFollower)
        #expect(state.leadershipChange(leader: 2, leaderEpoch: 6, isr: [2], replicas: [1, 2, 3], stateVersion: 9) == .becomeFollower)
    }

    @Test func leadershipOutsideTheIsrAndOfflineDecisionsAreNotApplied() {
        #expect(follower().leadershipChange(leader: 1, leaderEpoch: 6, isr: [2, 3], replicas: [1, 2, 3], stateVersion: 8) == .leaderOutsideIsr)
        #expect(follower().leadershipChange(leader: 1, leaderEpoch: 6, isr: [1, 4], replicas: [1, 2, 3], stateVersion: 8) == .leaderOutsideIsr)
        #expect(leader().leadershipChange(leader: -1, leaderEpoch: 6, isr: [1], replicas: [1, 2, 3], stateVersion: 8) == .noLeader)
    }

    @Test func staleLeaderKeepsServingDropsTheDemotion() {
        #expect(leader(bugs: [.staleLeaderKeepsServing]).leadershipChange(leader: 2, leaderEpoch: 6, isr: [2, 3], replicas: [1, 2, 3], stateVersion: 8)
                == .demotionIgnored)
        #expect(leader().leadershipChange(leader: 2, leaderEpoch: 6, isr: [2, 3], replicas: [1, 2, 3], stateVersion: 8) == .becomeFollower)
    }

    @Test func leaderRequestsAreFencedByTheClientsLeaderEpoch() {
        let state = leader()
        #expect(state.leaderRequestError(currentLeaderEpoch: -1) == nil, "-1: the client names no epoch")
        #expect(state.leaderRequestError(currentLeaderEpoch: 5) == nil)
        #expect(state.leaderRequestError(currentLeaderEpoch: 4) == .fencedLeaderEpoch)
        #expect(state.leaderRequestError(currentLeaderEpoch: 6) == .unknownLeaderEpoch)
        #expect(follower().leaderRequestError(currentLeaderEpoch: 5) == .notLeaderOrFollower)
        var fenced = leader()
        _ = fenced.onTick(nowMs: 20_000)
        _ = fenced.onIsrRejected(currentVersion: 8)
        #expect(fenced.leaderRequestError(currentLeaderEpoch: -1) == .notLeaderOrFollower)
    }
}
