import Testing
@testable import Replication

@Suite struct LeaderElectionTests {
    @Test func electsFirstLiveIsrMemberInAssignmentOrder() {
        let result = LeaderElection.offlinePartition(assignment: [1, 2, 3], isr: [3, 2], live: [2, 3], uncleanEnabled: false)
        #expect(result == .init(leader: 2, isr: [3, 2], unclean: false))
    }

    @Test func noLiveIsrMeansOfflineWithoutUncleanElection() {
        #expect(LeaderElection.offlinePartition(assignment: [1, 2, 3], isr: [1], live: [2, 3], uncleanEnabled: false) == nil)
    }

    @Test func uncleanElectionPicksAnyLiveReplicaAndShrinksIsrToIt() {
        let result = LeaderElection.offlinePartition(assignment: [1, 2, 3], isr: [1], live: [3, 2], uncleanEnabled: true)
        #expect(result == .init(leader: 2, isr: [2], unclean: true))
    }

    @Test func uncleanElectionStillPrefersTheIsr() {
        let result = LeaderElection.offlinePartition(assignment: [1, 2, 3], isr: [1, 3], live: [2, 3], uncleanEnabled: true)
        #expect(result == .init(leader: 3, isr: [3], unclean: false))
    }

    @Test func controlledShutdownMovesLeadershipAndLeavesIsr() {
        let result = LeaderElection.controlledShutdown(assignment: [1, 2, 3], isr: [1, 2, 3], live: [1, 2, 3], shuttingDown: [1])
        #expect(result == .init(leader: 2, isr: [2, 3], unclean: false))
        #expect(LeaderElection.controlledShutdown(assignment: [1, 2], isr: [1], live: [1, 2], shuttingDown: [1]) == nil)
    }

    @Test func preferredReplicaMustBeAliveAndInSync() {
        #expect(LeaderElection.preferredReplica(assignment: [1, 2], isr: [2, 1], live: [1, 2])?.leader == 1)
        #expect(LeaderElection.preferredReplica(assignment: [1, 2], isr: [2], live: [1, 2]) == nil)
        #expect(LeaderElection.preferredReplica(assignment: [1, 2], isr: [1, 2], live: [2]) == nil)
    }

    @Test func newPartitionLedByFirstLiveReplica() {
        #expect(LeaderElection.newPartition(assignment: [3, 1, 2], live: [1, 2]) == .init(leader: 1, isr: [1, 2], unclean: false))
    }

    @Test func imbalance() {
        let pairs: [(preferred: Int32, leader: Int32)] = [(1, 1), (1, 2), (1, 2), (2, 2)]
        #expect(LeaderElection.imbalancePercentage(preferredLed: pairs, broker: 1) == 66)
        #expect(LeaderElection.imbalancePercentage(preferredLed: pairs, broker: 2) == 0)
    }
}

/// KIP-101 and KIP-279 truncation cases.
@Suite struct TruncationTests {
    @Test func sameEpochTruncatesToLeaderEnd() {
        // Follower wrote offsets 0..<12 in epoch 1; the leader's epoch 1 ended at 10 (it never got 10, 11).
        let local = Truncation.LocalEpochs(entries: [(0, 0), (1, 5)], logEndOffset: 12)
        #expect(Truncation.decide(local: local, askedEpoch: 1, leaderEpoch: 1, leaderEndOffset: 10) == .truncate(to: 10))
    }

    @Test func leaderAheadMeansNothingToTruncate() {
        let local = Truncation.LocalEpochs(entries: [(0, 0), (1, 5)], logEndOffset: 8)
        #expect(Truncation.decide(local: local, askedEpoch: 1, leaderEpoch: 1, leaderEndOffset: 20) == .truncate(to: 8))
    }

    /// KIP-101's scenario: the follower's uncommitted tail from an epoch the leader never saw is cut
    /// where the leader's older epoch ended, not at the high watermark.
    @Test func leaderAnswersOlderEpochTheFollowerHas() {
        let local = Truncation.LocalEpochs(entries: [(0, 0), (1, 5), (2, 9)], logEndOffset: 14)
        // Leader has epochs 0, 1 and then 3 from offset 11: asked about 2, it answers (1, 11).
        #expect(Truncation.decide(local: local, askedEpoch: 2, leaderEpoch: 1, leaderEndOffset: 11) == .truncate(to: 9))
    }

    /// KIP-279's divergent-log case: the leader answers with an epoch the follower does not have;
    /// the follower cuts back to its own history for the nearest earlier epoch and asks again.
    @Test func divergentLogAsksAgain() {
        let local = Truncation.LocalEpochs(entries: [(0, 0), (2, 6), (4, 12)], logEndOffset: 20)
        let first = Truncation.decide(local: local, askedEpoch: 4, leaderEpoch: 3, leaderEndOffset: 15)
        #expect(first == .truncateAndAskAgain(to: 12, epoch: 2))
        let after = Truncation.LocalEpochs(entries: [(0, 0), (2, 6)], logEndOffset: 12)
        #expect(Truncation.decide(local: after, askedEpoch: 2, leaderEpoch: 2, leaderEndOffset: 9) == .truncate(to: 9))
    }

    @Test func leaderWithNoHistoryAtOrBelowOurEpoch() {
        let local = Truncation.LocalEpochs(entries: [(3, 40)], logEndOffset: 50)
        #expect(Truncation.decide(local: local, askedEpoch: 3, leaderEpoch: -1, leaderEndOffset: -1) == .truncate(to: 40))
    }

    @Test func endOffsetForSemantics() {
        let local = Truncation.LocalEpochs(entries: [(1, 0), (3, 10), (5, 20)], logEndOffset: 30)
        #expect(local.endOffset(for: 5) == (5, 30))
        #expect(local.endOffset(for: 4) == (3, 20))
        #expect(local.endOffset(for: 3) == (3, 20))
        #expect(local.endOffset(for: 1) == (1, 10))
        #expect(local.endOffset(for: 0) == (-1, -1))
        #expect(local.endOffset(for: 9) == (5, 30))
    }
}
