import Testing
@testable import Verification

@Suite struct AbortedReadTests {
    @Test func readOfADefinitelyFailedSendIsAnAbortedRead() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", .fail, error: "NOT_ENOUGH_REPLICAS")
        h.finalRead([(0, "a")])
        let report = check(h)
        #expect(report.abortedRead.verdict == .invalid)
        let anomaly = report.abortedRead.anomalies[0]
        #expect(anomaly.kind == .failedSend)
        #expect(anomaly.value == "a")
        #expect(anomaly.offset == 0)
        #expect(anomaly.sendIndex == 1)
        #expect(anomaly.sendError == "NOT_ENOUGH_REPLICAS")
        #expect(anomaly.readBy.process == "final-reader")
    }

    @Test func failureThatMayHaveAppendedIsNotTrusted() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", .fail, error: "NOT_ENOUGH_REPLICAS_AFTER_APPEND")
        h.finalRead([(0, "a")])
        #expect(check(h).abortedRead.verdict == .valid)
    }

    @Test func readOfAValueNobodySentIsReported() {
        var h = HistoryBuilder()
        h.finalRead([(0, "ghost")])
        let anomaly = check(h).abortedRead.anomalies.first
        #expect(anomaly?.kind == .neverSent)
        #expect(anomaly?.value == "ghost")
    }
}
