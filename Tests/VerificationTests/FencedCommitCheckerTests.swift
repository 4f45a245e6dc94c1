import Testing
@testable import Verification

extension HistoryBuilder {
    mutating func txnInit(_ process: String, _ type: OpType = .ok) {
        line(process, .invoke, .txnInit)
        line(process, type, .txnInit, error: type == .ok ? nil : "_TIMED_OUT")
    }

    mutating func txnBegin(_ process: String, _ txn: String) {
        line(process, .invoke, .txnBegin, .other(.object(["txn": .string(txn)])))
        line(process, .ok, .txnBegin, .other(.object(["txn": .string(txn)])))
    }

    @discardableResult
    mutating func txnEnd(_ process: String, _ txn: String, _ end: OpFunction, _ type: OpType, error: String? = nil) -> Int {
        line(process, .invoke, end, .other(.object(["txn": .string(txn)])))
        return line(process, type, end, .other(.object(["txn": .string(txn), "writes": .array([])])), error: error)
    }
}

@Suite struct FencedCommitCheckerTests {
    /// producer-1's first producer begins t1 and is set aside; a replacement inits and begins t2;
    /// the zombie then commits t1 — `zombieCommit` says how the cluster answered it.
    func zombie(_ zombieCommit: OpType) -> (HistoryBuilder, commitIndex: Int) {
        var h = HistoryBuilder()
        h.txnInit("producer-1")
        h.txn("producer-1", "producer-1-t0", .txnCommit, writes: [("a", 0, 0)])
        h.txnBegin("producer-1", "producer-1-t1")
        h.txnSend("producer-1", "z", txn: "producer-1-t1", offset: 2)
        h.txnInit("producer-1")
        h.txnBegin("producer-1", "producer-1-t2")
        let index = h.txnEnd("producer-1", "producer-1-t1", .txnCommit, zombieCommit, error: zombieCommit == .ok ? nil : "PRODUCER_FENCED")
        h.txnEnd("producer-1", "producer-1-t2", .txnCommit, .ok)
        return (h, index)
    }

    @Test func aZombieWhoseCommitSucceedsAfterItsReplacementInitialisedIsCaught() throws {
        let (h, commitIndex) = zombie(.ok)
        let result = check(h).fencedCommit
        #expect(result.verdict == .invalid)
        #expect(result.count == 1)
        let anomaly = try #require(result.anomalies.first)
        #expect(anomaly.txn == "producer-1-t1")
        #expect(anomaly.producer == "producer-1")
        #expect(anomaly.commitIndex == commitIndex)
        #expect(anomaly.beginIndex < anomaly.initIndex && anomaly.initIndex < anomaly.commitIndex)
    }

    @Test func aFencedZombieIsValid() {
        let result = check(zombie(.fail).0).fencedCommit
        #expect(result.verdict == .valid)
        #expect(result.notes == ["1 producer re-initialisation(s) after transactions of the same transactional id began"])
    }

    @Test func transactionsCommittedBeforeAReplacementOrAfterItAreFine() {
        var h = HistoryBuilder()
        h.txnInit("producer-1")
        h.txn("producer-1", "producer-1-t1", .txnCommit, writes: [("a", 0, 0)])
        h.txnBegin("producer-1", "producer-1-t2")
        h.txnEnd("producer-1", "producer-1-t2", .txnAbort, .info, error: "send_offsets_to_transaction did not return")
        h.txnInit("producer-1")
        h.txn("producer-1", "producer-1-t3", .txnCommit, writes: [("b", 0, 2)])
        #expect(check(h).fencedCommit.verdict == .valid)
    }

    @Test func anotherProcessesInitFencesNothing() {
        var h = HistoryBuilder()
        h.txnInit("producer-1")
        h.txnBegin("producer-1", "producer-1-t1")
        h.txnInit("producer-2")
        h.txnEnd("producer-1", "producer-1-t1", .txnCommit, .ok)
        let result = check(h).fencedCommit
        #expect(result.verdict == .notApplicable)
    }

    @Test func withoutAReplacementThereIsNothingToJudge() {
        var h = HistoryBuilder()
        h.txnInit("producer-1")
        h.txn("producer-1", "producer-1-t1", .txnCommit, writes: [("a", 0, 0)])
        let result = check(h).fencedCommit
        #expect(result.verdict == .notApplicable)
        #expect(result.notes.first?.contains("no producer was fenced") == true)
        var none = HistoryBuilder()
        none.send("producer-1", "a", offset: 0)
        #expect(check(none).fencedCommit.notes == ["the history has no transactions"])
    }
}
