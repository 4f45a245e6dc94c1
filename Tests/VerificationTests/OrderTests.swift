import Testing
@testable import Verification

@Suite struct OrderTests {
    @Test func laterSendLandingEarlierIsNonmonotonic() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 5)
        h.send("producer-1", "b", offset: 3)
        h.send("producer-2", "c", offset: 4)
        h.finalRead([(3, "b"), (4, "c"), (5, "a")])
        let report = check(h)
        #expect(report.nonmonotonicSend.verdict == .invalid)
        #expect(report.nonmonotonicSend.count == 1)
        let anomaly = report.nonmonotonicSend.anomalies[0]
        #expect(anomaly.process == "producer-1")
        #expect(anomaly.earlier.value == "a")
        #expect(anomaly.earlier.offset == 5)
        #expect(anomaly.later.value == "b")
        #expect(anomaly.later.offset == 3)
    }

    @Test func pipelinedSendsAreOrderedByInvokeNotCompletion() {
        var h = HistoryBuilder()
        h.invokeSend("producer-1", "a", opId: 1)
        h.invokeSend("producer-1", "b", opId: 2)
        h.completeSend("producer-1", "b", offset: 1, opId: 2)
        h.completeSend("producer-1", "a", offset: 0, opId: 1)
        h.finalRead([(0, "a"), (1, "b")])
        let report = check(h)
        #expect(report.historyProblems.isEmpty)
        #expect(report.nonmonotonicSend.verdict == .valid)

        var reordered = HistoryBuilder()
        reordered.invokeSend("producer-1", "a", opId: 1)
        reordered.invokeSend("producer-1", "b", opId: 2)
        reordered.completeSend("producer-1", "b", offset: 0, opId: 2)
        reordered.completeSend("producer-1", "a", offset: 1, opId: 1)
        reordered.finalRead([(0, "b"), (1, "a")])
        #expect(check(reordered).nonmonotonicSend.verdict == .invalid)
    }

    @Test func pollSkippingAnExistingOffsetIsASkip() {
        var h = HistoryBuilder()
        for offset in 0..<4 { h.send("producer-1", "v\(offset)", offset: Int64(offset)) }
        h.assign("consumer-1", [0])
        h.poll("consumer-1", [(0, "v0")])
        h.poll("consumer-1", [(3, "v3")])
        h.finalRead([(0, "v0"), (1, "v1"), (2, "v2"), (3, "v3")])
        let report = check(h)
        #expect(report.pollSkip.verdict == .invalid)
        let skip = report.pollSkip.anomalies[0]
        #expect(skip.process == "consumer-1")
        #expect(skip.previousOffset == 0)
        #expect(skip.offset == 3)
        #expect(skip.skippedCount == 2)
        #expect(skip.skipped == [1, 2])
        #expect(report.nonmonotonicPoll.verdict == .valid)
    }

    @Test func skipInsideOnePollIsASkip() {
        var h = HistoryBuilder()
        for offset in 0..<3 { h.send("producer-1", "v\(offset)", offset: Int64(offset)) }
        h.poll("consumer-1", [(0, "v0"), (2, "v2")])
        h.finalRead([(0, "v0"), (1, "v1"), (2, "v2")])
        #expect(check(h).pollSkip.anomalies.map(\.skipped) == [[1]])
    }

    @Test func gapsMissingFromTheFinalReadAreNotSkips() {
        // Offsets 1 and 2 hold no visible records (compacted away, or an aborted batch and its
        // marker): jumping from 0 to 3 skips nothing.
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.send("producer-1", "b", offset: 3)
        h.poll("consumer-1", [(0, "a")])
        h.poll("consumer-1", [(3, "b")])
        h.finalRead([(0, "a"), (3, "b")])
        let report = check(h)
        #expect(report.pollSkip.verdict == .valid)
        #expect(report.nonmonotonicPoll.verdict == .valid)
    }

    @Test func pollGoingBackIsNonmonotonic() {
        var h = HistoryBuilder()
        for offset in 0..<3 { h.send("producer-1", "v\(offset)", offset: Int64(offset)) }
        h.poll("consumer-1", [(0, "v0"), (1, "v1")])
        h.poll("consumer-1", [(1, "v1"), (2, "v2")])
        h.finalRead([(0, "v0"), (1, "v1"), (2, "v2")])
        let report = check(h)
        #expect(report.nonmonotonicPoll.verdict == .invalid)
        let anomaly = report.nonmonotonicPoll.anomalies[0]
        #expect(anomaly.previousOffset == 1)
        #expect(anomaly.offset == 1)
        #expect(anomaly.process == "consumer-1")
    }

    @Test func rebalanceResetsPollOrderTracking() {
        var h = HistoryBuilder()
        for offset in 0..<4 { h.send("producer-1", "v\(offset)", offset: Int64(offset)) }
        h.assign("consumer-1", [0])
        h.poll("consumer-1", [(0, "v0"), (1, "v1"), (2, "v2")])
        h.assign("consumer-1", [0])  // rebalanced: resumes from the committed offset
        h.poll("consumer-1", [(1, "v1")])
        h.assign("consumer-1", [0])
        h.poll("consumer-1", [(3, "v3")])
        h.finalRead([(0, "v0"), (1, "v1"), (2, "v2"), (3, "v3")])
        let report = check(h)
        #expect(report.nonmonotonicPoll.verdict == .valid)
        #expect(report.pollSkip.verdict == .valid)
    }

    @Test func otherConsumersAndPartitionsAreTrackedApart() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.send("producer-1", "b", partition: 1, offset: 0)
        h.poll("consumer-1", [(0, "a")])
        h.poll("consumer-1", [(0, "b")], partition: 1)
        h.poll("consumer-2", [(0, "a")])
        h.finalRead([(0, "a")])
        h.finalRead([(0, "b")], partition: 1)
        let report = check(h)
        #expect(report.nonmonotonicPoll.verdict == .valid)
        #expect(report.pollSkip.verdict == .valid)
    }
}
