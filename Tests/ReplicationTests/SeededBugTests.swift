import Testing
@testable import Replication

/// Each seeded bug in the pure state machines really changes behaviour: every test shows the rule
/// held without the switch and broken with it, so a switch that does nothing fails here.
@Suite struct SeededBugTests {
    /// Broker 1 leads replicas [1, 2, 3] at epoch 5.
    func leader(isr: [Int32] = [1, 2, 3], minIsr: Int = 2, lagMs: Int64 = 1000, bugs: SeededBugs = []) -> PartitionReplicaState {
        var state = PartitionReplicaState(brokerId: 1, highWatermark: 0, logEndOffset: 0, minInsyncReplicas: minIsr, lagTimeMaxMs: lagMs)
        state.seededBugs = bugs
        _ = state.becomeLeader(epoch: 5, isr: isr, replicas: [1, 2, 3], stateVersion: 7, nowMs: 0)
        return state
    }

    @Test func namesParseAndUnknownOnesAreListedWithTheKnownOnes() throws {
        #expect(try SeededBug.parseList(" no-dedup, hw-regression ,").get() == [.noDedup, .highWatermarkRegression])
        #expect(try SeededBug.parseList("").get().isEmpty)
        guard case .failure(let unknown) = SeededBug.parseList("no-dedup,ack-early") else {
            Issue.record("an unknown name was accepted")
            return
        }
        #expect(unknown.names == ["ack-early"])
        #expect(unknown.description.contains("known: ack-before-replication, ack-before-replication.v2"))
    }

    @Test func everyBugHasAPlaceASummaryAndCheckers() {
        for bug in SeededBug.allCases {
            #expect(!bug.location.isEmpty && !bug.summary.isEmpty && !bug.expectedCheckers.isEmpty, "\(bug)")
        }
        #expect(SeededBug.allCases.filter { $0.rawValue.hasSuffix(".v2") }.count >= 3)
    }

    @Test func ackBeforeReplicationV2AdvancesTheHighWatermarkWithoutTheFollowers() {
        var correct = leader()
        _ = correct.onLocalAppend(logEndOffset: 10)
        #expect(correct.highWatermark == 0, "followers have not fetched")
        var buggy = leader(bugs: [.ackBeforeReplicationV2])
        let directives = buggy.onLocalAppend(logEndOffset: 10)
        #expect(buggy.highWatermark == 10)
        #expect(directives.contains(.highWatermarkAdvanced(10)))
    }

    @Test func ignoreMinIsrAppendsAndCommitsWithTheLeaderAlone() {
        var correct = leader(isr: [1], minIsr: 2)
        #expect(correct.appendCheck(requiredAcks: -1) == .reject(.notEnoughReplicas))
        _ = correct.onLocalAppend(logEndOffset: 10)
        #expect(correct.highWatermark == 0)
        #expect(correct.isrBelowMinimum)
        var buggy = leader(isr: [1], minIsr: 2, bugs: [.ignoreMinIsr])
        #expect(buggy.appendCheck(requiredAcks: -1) == .allowed)
        _ = buggy.onLocalAppend(logEndOffset: 10)
        #expect(buggy.highWatermark == 10, "the ISR of one counted as three assigned replicas")
        #expect(!buggy.isrBelowMinimum && !buggy.isUnderMinIsr)
    }

    /// The leader appended 10 records while both followers were gone; the ISR shrinks to the leader.
    func shrunkToLeader(bugs: SeededBugs) -> (PartitionReplicaState, [ReplicaDirective]) {
        var state = leader(lagMs: 1000, bugs: bugs)
        _ = state.onLocalAppend(logEndOffset: 10)
        let proposal = state.onTick(nowMs: 1001)
        #expect(proposal == [.proposeIsr([1], expectedVersion: 7, reason: .lagging(replicas: [2, 3], lagTimeMaxMs: 1000))])
        let directives = state.onIsrCommitted([1], newVersion: 8)
        return (state, directives)
    }

    @Test func ignoreMinIsrV2AdvancesTheHighWatermarkAfterTheIsrShrankBelowMin() {
        let (correct, correctDirectives) = shrunkToLeader(bugs: [])
        #expect(correct.highWatermark == 0)
        #expect(correctDirectives.contains(.underMinIsr(isr: [1])))
        let (buggy, buggyDirectives) = shrunkToLeader(bugs: [.ignoreMinIsrV2])
        #expect(buggy.highWatermark == 10, "the waiting acks=all requests now complete")
        #expect(buggyDirectives.contains(.highWatermarkAdvanced(10)))
        #expect(buggy.appendCheck(requiredAcks: -1) == .reject(.notEnoughReplicas), "v2 leaves the append check alone")
    }

    @Test func noIsrShrinkKeepsAStalledFollowerInTheIsr() {
        var correct = leader(lagMs: 1000)
        #expect(!correct.onTick(nowMs: 1001).isEmpty)
        var buggy = leader(lagMs: 1000, bugs: [.noIsrShrink])
        #expect(buggy.onTick(nowMs: 1001).isEmpty)
        #expect(buggy.onTick(nowMs: 60_000).isEmpty)
        #expect(buggy.isr == [1, 2, 3])
    }

    @Test func skipTruncationKeepsTheDivergentTail() {
        // The follower wrote offsets 0..<100 in epoch 3; the new leader's epoch 3 ended at 60.
        let local = Truncation.LocalEpochs(entries: [(epoch: 3, startOffset: 0)], logEndOffset: 100)
        #expect(Truncation.decide(local: local, askedEpoch: 3, leaderEpoch: 3, leaderEndOffset: 60) == .truncate(to: 60))
        #expect(Truncation.decide(local: local, askedEpoch: 3, leaderEpoch: 3, leaderEndOffset: 60, seededBugs: [.skipTruncation])
            == .truncate(to: 100))
    }

    @Test func uncleanAlwaysElectsAnOutOfSyncReplicaWithUncleanElectionDisabled() {
        #expect(LeaderElection.offlinePartition(assignment: [1, 2, 3], isr: [1], live: [2, 3], uncleanEnabled: false) == nil)
        let result = LeaderElection.offlinePartition(assignment: [1, 2, 3], isr: [1], live: [2, 3], uncleanEnabled: false,
                                                     seededBugs: [.uncleanAlways])
        #expect(result == LeaderElection.Result(leader: 2, isr: [2], unclean: true))
        #expect(LeaderElection.offlinePartition(assignment: [1, 2, 3], isr: [1, 3], live: [2, 3], uncleanEnabled: false,
                                                seededBugs: [.uncleanAlways])?.leader == 3, "a live ISR member still wins")
    }

    @Test func noDedupAppendsARetryAgain() {
        var table = ProducerStateTable()
        table.record(producerId: 7, epoch: 0, firstSequence: 0, lastSequence: 4, firstOffset: 100, lastOffset: 104)
        #expect(table.check(producerId: 7, epoch: 0, firstSequence: 0, lastSequence: 4) == .duplicate(firstOffset: 100, lastOffset: 104))
        #expect(table.check(producerId: 7, epoch: 0, firstSequence: 0, lastSequence: 4, seededBugs: [.noDedup]) == .append)
        #expect(table.check(producerId: 7, epoch: 0, firstSequence: 9, lastSequence: 9, seededBugs: [.noDedup])
            == .reject(.outOfOrderSequenceNumber, "producer 7 sent sequence 9, expected 5"), "gaps are still refused")
    }

    @Test func bugsOnlyTouchTheirOwnRule() {
        var state = leader(bugs: [.noDedup, .lossyRecovery, .highWatermarkRegression])
        _ = state.onLocalAppend(logEndOffset: 10)
        #expect(state.highWatermark == 0)
        #expect(!state.onTick(nowMs: 1001).isEmpty)
    }
}
