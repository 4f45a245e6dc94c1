import Testing
@testable import Verification

@Suite struct LostWriteTests {
    @Test func cleanHistoryIsValidEverywhere() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.send("producer-1", "b", offset: 1)
        h.assign("consumer-1", [0])
        h.poll("consumer-1", [(0, "a")])
        h.poll("consumer-1", [(1, "b")])
        h.finalRead([(0, "a"), (1, "b")])
        let report = check(h)
        for (checker, verdict) in report.verdicts where !checkersBeyondTheHistory.contains(checker) {
            #expect(verdict == (transactionCheckers.contains(checker) ? .notApplicable : .valid), "\(checker)")
        }
        #expect(report.lostWrite.count == 0)
        #expect(report.unseen.count == 0)
    }

    @Test func acknowledgedWriteBelowTheHighestReadIsLostWithEvidence() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0, broker: 1, epoch: 3)
        h.send("producer-1", "b", offset: 1, broker: 1, epoch: 3)
        h.send("producer-1", "c", offset: 2, broker: 2, epoch: 4)
        h.finalRead([(0, "a"), (1, "x"), (2, "c")])
        let report = check(h)
        #expect(report.lostWrite.verdict == .invalid)
        #expect(report.lostWrite.count == 1)
        let lost = report.lostWrite.anomalies[0]
        #expect(lost.value == "b")
        #expect(lost.reason == .unread)
        #expect(lost.topic == "t")
        #expect(lost.partition == 0)
        #expect(lost.offset == 1)
        #expect(lost.broker == 1)
        #expect(lost.leaderEpoch == 3)
        #expect(lost.ackIndex == 3)
        #expect(lost.ackTimeNs == 4_000_000)
        #expect(lost.readInstead.map(\.value) == ["x"])
        #expect(lost.readInstead.first?.seenBy.process == "final-reader")
        #expect(lost.maxReadOffset == 2)
        #expect(report.unseen.count == 0)
        #expect(report.valid == .invalid)
    }

    @Test func writeAtExactlyTheHighestReadOffsetIsLostWhenSomethingElseWasReadThere() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.send("producer-1", "b", offset: 1)
        h.finalRead([(0, "a"), (1, "x")])
        let report = check(h)
        #expect(report.lostWrite.anomalies.map(\.value) == ["b"])
        #expect(report.lostWrite.anomalies.first?.maxReadOffset == 1)
        #expect(report.unseen.count == 0)
    }

    @Test func writeToAPartitionACompleteFinalReadFoundEmptyIsLost() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.send("producer-1", "b", partition: 1, offset: 0)
        h.finalRead([(0, "a")])
        let report = check(h)
        #expect(report.lostWrite.verdict == .invalid)
        #expect(report.lostWrite.anomalies.map(\.partition) == [1])
        #expect(report.lostWrite.anomalies.first?.reason == .beyondLogEnd)
        #expect(report.unseen.verdict == .valid)
    }

    @Test func acknowledgedWriteAboveTheEndOfACompleteFinalReadIsLostWhateverItsOffset() {
        // A leader acknowledged 1 and 2, then a follower without them took over: nothing was written
        // after the hole, so no read ever passed offsets 1 and 2. The final read reached the end the
        // leader gave (1): they are gone, not merely unseen.
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.send("producer-1", "b", offset: 1, broker: 3, epoch: 2)
        h.send("producer-1", "c", offset: 2, broker: 3, epoch: 2)
        h.finalReadBounds([(0, 0, 1)])
        h.finalRead([(0, "a")])
        let report = check(h)
        #expect(report.lostWrite.verdict == .invalid)
        #expect(report.lostWrite.anomalies.map(\.value) == ["b", "c"])
        #expect(report.lostWrite.anomalies.allSatisfy { $0.reason == .beyondLogEnd && $0.finalEnd == 1 })
        #expect(report.unseen.verdict == .valid)
        #expect(report.lostRanges.count == 1)
        #expect(report.lostRanges.first?.firstOffset == 1)
        #expect(report.lostRanges.first?.lastOffset == 2)
        #expect(report.lostRanges.first?.count == 2)
    }

    @Test func aPartitionWhoseFinalReadStoppedBeforeItsEndLeavesItsWritesUnseenAndUnknown() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.send("producer-1", "b", offset: 1)
        h.send("producer-1", "c", partition: 1, offset: 0)
        h.send("producer-1", "d", partition: 1, offset: 1)
        h.finalReadBounds([(0, 0, 2), (1, 0, 2)])
        h.finalRead([(0, "a")])  // partition 0 stops at 1, before its end 2
        h.finalRead([(0, "c"), (1, "x")], partition: 1)
        let report = check(h)
        // Partition 1 is complete: "d" at 1 was read as "x" instead, lost. Partition 0 is not: "b" is unseen.
        #expect(report.lostWrite.anomalies.map(\.value) == ["d"])
        #expect(report.unseen.verdict == .unknown)
        #expect(report.unseen.anomalies.map(\.value) == ["b"])
        #expect(report.unseen.notes.contains { $0.contains("stopped at 1, before its end 2") })
    }

    @Test func aPartitionTheFinalReadDidNotCoverLeavesItsWritesUnseen() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.send("producer-1", "b", partition: 1, offset: 0)
        h.finalReadBounds([(0, 0, 1)])
        h.finalRead([(0, "a")])
        let report = check(h)
        #expect(report.lostWrite.verdict == .valid)
        #expect(report.unseen.verdict == .unknown)
        #expect(report.unseen.anomalies.first?.why?.contains("did not cover t/1") == true)
    }

    @Test func aPartitionWhoseEndTheFinalReaderCouldNotLearnIsNotJudged() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.finalReadBounds([(0, 0, nil)])
        let report = check(h)
        #expect(report.lostWrite.verdict == .valid)
        #expect(report.unseen.verdict == .unknown)
    }

    @Test func anEmptyPartitionWithARecordedEndIsCompleteWithoutAnyRead() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.finalReadBounds([(0, 0, 0)])
        let report = check(h)
        #expect(report.lostWrite.anomalies.map(\.reason) == [.beyondLogEnd])
    }

    @Test func aWriteAcknowledgedAfterTheFinalReadBeganIsUnseenNotLost() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.finalReadBounds([(0, 0, 1)])
        h.finalRead([(0, "a")])
        h.send("producer-2", "b", offset: 1)
        let report = check(h)
        #expect(report.lostWrite.verdict == .valid)
        #expect(report.unseen.verdict == .unknown)
        #expect(report.unseen.anomalies.first?.why == "acknowledged after the final read began")
    }

    @Test func incompleteFinalReadProvesNothingMissing() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.send("producer-1", "b", offset: 1)
        h.send("producer-1", "c", offset: 2)
        h.poll("consumer-1", [(0, "a"), (1, "b")])
        h.finalRead([(0, "a")])
        h.poll("final-reader", [], .info, f: .finalRead)  // the final reader gave up
        let report = check(h)
        #expect(!h.history.finalReadComplete)
        #expect(report.lostWrite.verdict == .valid)
        #expect(report.unseen.verdict == .unknown)
        #expect(report.unseen.anomalies.map(\.value) == ["c"])
    }

    @Test func unseenWithoutAFinalReadIsUnknownNotInvalid() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.send("producer-1", "b", offset: 1)
        h.poll("consumer-1", [(0, "a")])
        let report = check(h)
        #expect(report.unseen.verdict == .unknown)
        #expect(report.unseen.count == 1)
        #expect(report.lostWrite.verdict == .valid)
    }

    @Test func indeterminateSendSeenByAReadCountsAsCommitted() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", .info, error: "REQUEST_TIMED_OUT")
        h.send("producer-1", "b", offset: 1)
        h.finalRead([(0, "a"), (1, "b")])
        let report = check(h)
        #expect(report.lostWrite.verdict == .valid)
        #expect(report.abortedRead.verdict == .valid)
        let figures = Figures(history: h.history, timeline: Timeline(records: []), report: report)
        #expect(figures.counts.sendsIndeterminate == 1)
        #expect(figures.counts.sendsIndeterminateSeen == 1)
        #expect(figures.counts.sendsAcknowledged == 1)
    }

    @Test func indeterminateSendNeverReadIsNeitherLostNorUnseen() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.send("producer-1", "b", .info, error: "timed out")
        h.send("producer-1", "c", offset: 2)
        h.finalRead([(0, "a"), (2, "c")])
        // A send the run ended before it completed is indeterminate too.
        h.invokeSend("producer-2", "d")
        let report = check(h)
        #expect(report.lostWrite.verdict == .valid)
        #expect(report.unseen.verdict == .valid)
        #expect(report.valid == .unknown)  // no leadership events: single-leader cannot say
    }

    @Test func writeReadByAConsumerButMissingFromTheFinalReadIsLost() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.send("producer-1", "b", offset: 1, broker: 1, epoch: 2)
        h.send("producer-1", "c", .info, error: "timed out")
        h.poll("consumer-1", [(0, "a"), (1, "b"), (2, "c")])
        // The log lost offsets 1 and 2 after they were consumed, then took a new write at 1.
        h.send("producer-1", "d", offset: 1)
        h.finalRead([(0, "a"), (1, "d")])
        let report = check(h)
        #expect(report.lostWrite.verdict == .invalid)
        let lost = report.lostWrite.anomalies
        #expect(lost.map(\.value) == ["b", "c"])
        #expect(lost.allSatisfy { $0.reason == .missingFromFinalRead })
        #expect(lost[0].offset == 1)
        #expect(lost[0].outcome == .ok)
        #expect(lost[0].broker == 1)
        #expect(lost[0].readBy?.process == "consumer-1")
        #expect(lost[0].readInstead.map(\.value) == ["d"])
        #expect(lost[1].offset == 2)
        #expect(lost[1].outcome == .info)
        #expect(lost[1].ackIndex == nil)
    }

    @Test func writeBelowTheFinalReadsStartWasDeletedByRetentionNotLost() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.send("producer-1", "b", offset: 1)
        h.poll("consumer-1", [(0, "a"), (1, "b")])
        h.finalRead([(1, "b")])
        #expect(check(h).lostWrite.verdict == .valid)
    }

    @Test func writeReadByAnOkPollIsNotUnreadEvenWithoutAFinalRead() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.send("producer-1", "b", offset: 1)
        h.poll("consumer-1", [(0, "a")])
        h.poll("consumer-2", [(0, "a"), (1, "b")])
        #expect(check(h).lostWrite.verdict == .valid)
    }
}
