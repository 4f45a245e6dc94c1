import Testing
@testable import Verification

@Suite struct TransactionCountTests {
    @Test func transactionalSendsAreCountedByTheirTransactionsOutcome() {
        var h = HistoryBuilder()
        h.send("producer-1", "plain", offset: 0)
        h.txn("producer-2", "producer-2-t1", .txnCommit, writes: [("a", 0, 1), ("b", 0, 2)])
        h.txn("producer-2", "producer-2-t2", .txnAbort, writes: [("c", 0, 4)])
        h.txn("producer-2", "producer-2-t3", .txnCommit, .info, writes: [("d", 0, 6)])
        // A send that certainly failed, in a transaction then committed without it.
        h.line("producer-2", .invoke, .txnBegin, .other(.object(["txn": .string("producer-2-t4")])))
        h.line("producer-2", .ok, .txnBegin, .other(.object(["txn": .string("producer-2-t4")])))
        h.line("producer-2", .invoke, .send, .send(SendValue(topic: "t", value: "e", txn: "producer-2-t4")))
        h.line("producer-2", .fail, .send, .send(SendValue(topic: "t", value: "e", txn: "producer-2-t4")), error: "MSG_SIZE_TOO_LARGE")
        h.line("producer-2", .invoke, .txnCommit, .other(.object(["txn": .string("producer-2-t4")])))
        h.line("producer-2", .ok, .txnCommit, .other(.object(["txn": .string("producer-2-t4")])))
        let history = h.history
        let report = check(h)
        let counts = Figures(history: history, timeline: Timeline(records: []), report: report).counts
        #expect(counts.sendsAttempted == 6)
        // Their own completions, as before: the workload completes transactional sends info.
        #expect(counts.sendsAcknowledged == 1 && counts.sendsFailed == 1 && counts.sendsIndeterminate == 4)
        #expect(counts.transactionalSends == 5)
        #expect(counts.transactionalCommitted == 2)
        #expect(counts.transactionalAborted == 1)
        #expect(counts.transactionalUnknown == 1)
        #expect(counts.transactionalFailed == 1)
        #expect(counts.plainSends == 1 && counts.plainAcknowledged == 1 && counts.plainFailed == 0 && counts.plainIndeterminate == 0)
    }

    @Test func aRunWithoutTransactionsCountsNone() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.send("producer-1", "b", .info, error: "REQUEST_TIMED_OUT")
        let counts = Figures(history: h.history, timeline: Timeline(records: []), report: check(h)).counts
        #expect(counts.transactionalSends == 0 && counts.transactionalCommitted == 0)
        #expect(counts.plainIndeterminate == 1 && counts.sendsIndeterminate == 1)
    }
}
