import Testing
@testable import Replication

/// The leader and follower rules of `PartitionReplicaState`, with time injected.
@Suite struct PartitionReplicaStateTests {
    /// Broker 1 leads replicas [1, 2, 3] at epoch 5 with the given ISR, log at `leo`.
    func leader(isr: [Int32] = [1, 2, 3], minIsr: Int = 2, leo: Int64 = 0, lagMs: Int64 = 10_000, now: Int64 = 0) -> PartitionReplicaState {
        var state = PartitionReplicaState(brokerId: 1, highWatermark: 0, logEndOffset: leo, minInsyncReplicas: minIsr, lagTimeMaxMs: lagMs)
        _ = state.becomeLeader(epoch: 5, isr: isr, replicas: [1, 2, 3], stateVersion: 7, nowMs: now)
        return state
    }

    @Test func highWatermarkIsMinimumLogEndOffsetOverIsr() {
        var state = leader()
        _ = state.onLocalAppend(logEndOffset: 10)
        #expect(state.highWatermark == 0, "followers have not fetched yet")
        _ = state.onFollowerFetch(replica: 2, fetchOffset: 10, nowMs: 1)
        #expect(state.highWatermark == 0, "replica 3 is in the ISR and unknown")
        let directives = state.onFollowerFetch(replica: 3, fetchOffset: 4, nowMs: 1)
        #expect(state.highWatermark == 4)
        #expect(directives.contains(.highWatermarkAdvanced(4)))
        _ = state.onFollowerFetch(replica: 3, fetchOffset: 10, nowMs: 2)
        #expect(state.highWatermark == 10)
    }

    @Test func highWatermarkNeverMovesBackwards() {
        var state = leader()
        _ = state.onLocalAppend(logEndOffset: 10)
        _ = state.onFollowerFetch(replica: 2, fetchOffset: 10, nowMs: 1)
        _ = state.onFollowerFetch(replica: 3, fetchOffset: 10, nowMs: 1)
        #expect(state.highWatermark == 10)
        _ = state.onFollowerFetch(replica: 3, fetchOffset: 6, nowMs: 2)
        #expect(state.highWatermark == 10)
    }

    @Test func highWatermarkDoesNotAdvanceBelowMinIsr() {
        var state = leader(isr: [1], minIsr: 2)
        _ = state.onLocalAppend(logEndOffset: 10)
        #expect(state.highWatermark == 0)
        var unsafe = leader(isr: [1], minIsr: 1)
        _ = unsafe.onLocalAppend(logEndOffset: 10)
        #expect(unsafe.highWatermark == 10, "min ISR 1: the leader alone commits")
    }

    @Test func acksAllIsRejectedBeforeAppendWhenIsrBelowMin() {
        let state = leader(isr: [1], minIsr: 2)
        #expect(state.appendCheck(requiredAcks: -1) == .reject(.notEnoughReplicas))
        #expect(state.appendCheck(requiredAcks: 1) == .allowed)
        #expect(state.appendCheck(requiredAcks: 0) == .allowed)
    }

    @Test func followerLeavesIsrAfterLagTimeMax() {
        var state = leader(lagMs: 1000, now: 0)
        _ = state.onLocalAppend(logEndOffset: 5)
        _ = state.onFollowerFetch(replica: 2, fetchOffset: 5, nowMs: 900)
        #expect(state.onTick(nowMs: 1000).isEmpty, "nobody is past the lag time yet")
        let directives = state.onTick(nowMs: 1001)
        #expect(directives == [.proposeIsr([1, 2], expectedVersion: 7, reason: .lagging(replicas: [3], lagTimeMaxMs: 1000))])
        #expect(state.isr == [1, 2, 3], "not acted on before it is committed")
        #expect(state.maximalIsr == [1, 2, 3])
        #expect(state.onTick(nowMs: 5000).isEmpty, "one change in flight at a time")
        let hwBefore = state.highWatermark
        let committed = state.onIsrCommitted([1, 2], newVersion: 8)
        // The change reports the HW it found, before the advance the smaller ISR allows.
        #expect(committed.contains(.isrChanged(old: [1, 2, 3], new: [1, 2], reason: .lagging(replicas: [3], lagTimeMaxMs: 1000), leaderEpoch: state.leaderEpoch, stateVersion: 8,
                                                  highWatermark: hwBefore)))
        #expect(state.highWatermark > hwBefore)
        #expect(state.isr == [1, 2])
        #expect(state.stateVersion == 8)
    }

    @Test func followerThatKeepsUpWithOldLogEndStaysInSync() {
        var state = leader(lagMs: 1000, now: 0)
        _ = state.onLocalAppend(logEndOffset: 10)
        _ = state.onFollowerFetch(replica: 2, fetchOffset: 10, nowMs: 500)
        _ = state.onFollowerFetch(replica: 3, fetchOffset: 10, nowMs: 500)
        // The leader keeps appending; each fetch reaches the LEO the leader had at the previous fetch.
        var leo: Int64 = 10
        for step in 1...10 {
            let now = Int64(500 + step * 400)
            let previous = leo
            leo += 10
            _ = state.onLocalAppend(logEndOffset: leo)
            _ = state.onFollowerFetch(replica: 2, fetchOffset: previous, nowMs: now)
            _ = state.onFollowerFetch(replica: 3, fetchOffset: previous, nowMs: now)
            #expect(state.onTick(nowMs: now).isEmpty, "step \(step): a follower one fetch behind is caught up")
        }
    }

    @Test func shrinkWhileWaitingKeepsHighWatermarkOnMaximalIsr() {
        var state = leader(lagMs: 100, now: 0)
        _ = state.onLocalAppend(logEndOffset: 10)
        _ = state.onFollowerFetch(replica: 2, fetchOffset: 10, nowMs: 150)
        #expect(state.onTick(nowMs: 200) == [.proposeIsr([1, 2], expectedVersion: 7, reason: .lagging(replicas: [3], lagTimeMaxMs: 100))])
        #expect(state.highWatermark == 0, "replica 3 is still formally in sync")
        _ = state.onIsrCommitted([1, 2], newVersion: 8)
        #expect(state.highWatermark == 10)
    }

    @Test func shrinkBelowMinIsrIsReported() {
        var state = leader(isr: [1, 2], minIsr: 2, lagMs: 100)
        _ = state.onTick(nowMs: 200)
        let directives = state.onIsrCommitted([1], newVersion: 8)
        #expect(directives.contains(.underMinIsr(isr: [1])))
        #expect(state.isUnderMinIsr)
    }

    @Test func followerRejoinsWhenCaughtUpToHighWatermarkAndEpochStart() {
        var state = PartitionReplicaState(brokerId: 1, highWatermark: 0, logEndOffset: 20, minInsyncReplicas: 1, lagTimeMaxMs: 1000)
        _ = state.becomeLeader(epoch: 3, isr: [1, 2], replicas: [1, 2, 3], stateVersion: 1, nowMs: 0)
        #expect(state.leaderEpochStartOffset == 20)
        _ = state.onFollowerFetch(replica: 2, fetchOffset: 20, nowMs: 1)
        #expect(state.highWatermark == 20)
        #expect(state.onFollowerFetch(replica: 3, fetchOffset: 15, nowMs: 2).isEmpty)
        _ = state.onLocalAppend(logEndOffset: 30)
        let directives = state.onFollowerFetch(replica: 3, fetchOffset: 20, nowMs: 3)
        #expect(directives.contains(.proposeIsr([1, 2, 3], expectedVersion: 1, reason: .caughtUp(replica: 3))))
        _ = state.onIsrCommitted([1, 2, 3], newVersion: 2)
        #expect(state.isr == [1, 2, 3])
    }

    @Test func failedConditionalWriteFencesTheLeader() {
        var state = leader(lagMs: 100)
        _ = state.onTick(nowMs: 200)
        let directives = state.onIsrRejected(currentVersion: 9)
        #expect(directives == [.fenced(expectedVersion: 7, actualVersion: 9)])
        #expect(!state.isLeader)
        #expect(state.appendCheck(requiredAcks: 1) == .reject(.notLeaderOrFollower))
        _ = state.onLocalAppend(logEndOffset: 3)
        #expect(state.highWatermark == 0, "a fenced leader never advances the HW")
        _ = state.becomeLeader(epoch: 6, isr: [1, 2], replicas: [1, 2, 3], stateVersion: 10, nowMs: 300)
        #expect(state.isLeader, "a new LeaderAndIsr lifts the fence")
    }

    @Test func followerHighWatermarkIsCappedAtItsLogEnd() {
        var state = PartitionReplicaState(brokerId: 2, highWatermark: 0, logEndOffset: 5, minInsyncReplicas: 2, lagTimeMaxMs: 1000)
        _ = state.becomeFollower(leader: 1, epoch: 4, isr: [1, 2], replicas: [1, 2], stateVersion: 3)
        _ = state.onLeaderHighWatermark(9)
        #expect(state.highWatermark == 5)
        _ = state.onLocalAppend(logEndOffset: 12)
        _ = state.onLeaderHighWatermark(9)
        #expect(state.highWatermark == 9)
        state.onTruncation(logEndOffset: 7)
        #expect(state.highWatermark == 7)
    }

    @Test func newEpochResetsFollowerTracking() {
        var state = leader()
        _ = state.onLocalAppend(logEndOffset: 10)
        _ = state.onFollowerFetch(replica: 2, fetchOffset: 10, nowMs: 1)
        _ = state.becomeLeader(epoch: 6, isr: [1, 2, 3], replicas: [1, 2, 3], stateVersion: 9, nowMs: 2)
        #expect(state.followers[2]?.logEndOffset == -1)
        #expect(state.leaderEpochStartOffset == 10)
    }
    @Test func deleteRecordsGoesUpToTheHighWatermarkOnTheLeaderOnly() {
        var state = leader()
        _ = state.onLocalAppend(logEndOffset: 10)
        _ = state.onFollowerFetch(replica: 2, fetchOffset: 6, nowMs: 1)
        _ = state.onFollowerFetch(replica: 3, fetchOffset: 6, nowMs: 1)
        #expect(state.highWatermark == 6)
        #expect(state.deleteRecordsDecision(4) == .advance(to: 4))
        #expect(state.deleteRecordsDecision(6) == .advance(to: 6))
        #expect(state.deleteRecordsDecision(-1) == .advance(to: 6), "-1 means the high watermark")
        #expect(state.deleteRecordsDecision(7) == .refuse(.offsetOutOfRange), "above the HW, though below the LEO")
        #expect(state.deleteRecordsDecision(-2) == .refuse(.offsetOutOfRange))
        _ = state.becomeFollower(leader: 2, epoch: 6, isr: [1, 2, 3], replicas: [1, 2, 3], stateVersion: 8)
        #expect(state.deleteRecordsDecision(4) == .refuse(.notLeaderOrFollower))
    }
}
