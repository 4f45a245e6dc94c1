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
        for (checker, verdict) in report.verdicts where !timelineCheckers.contains(checker) {
            #expect(verdict == .valid, "\(checker)")
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

    @Test func writeToAPartitionTheFinalReadFoundEmptyIsUnseen() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.send("producer-1", "b", partition: 1, offset: 0)
        h.finalRead([(0, "a")])
        let report = check(h)
        #expect(report.unseen.verdict == .invalid)
        #expect(report.unseen.anomalies.map(\.partition) == [1])
        #expect(report.unseen.anomalies.first?.maxReadOffset == -1)
        #expect(report.lostWrite.verdict == .valid)
    }

    @Test func acknowledgedWriteAboveTheHighestReadIsUnseenNotLost() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.send("producer-1", "b", offset: 1)
        h.finalRead([(0, "a")])
        let report = check(h)
        #expect(report.lostWrite.verdict == .valid)
        #expect(report.unseen.verdict == .invalid)
        #expect(report.unseen.anomalies.map(\.value) == ["b"])
        #expect(report.unseen.anomalies.first?.offset == 1)
        #expect(report.unseen.anomalies.first?.maxReadOffset == 0)
        #expect(report.unseen.anomalies.first?.ackedBeforeFinalRead == true)
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
