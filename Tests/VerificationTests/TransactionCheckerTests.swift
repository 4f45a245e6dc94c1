import Foundation
import Testing
@testable import Verification

extension HistoryBuilder {
    /// A send of transaction `txn`, completed as the workload completes them: `info`, with its offset.
    mutating func txnSend(_ process: String, _ value: String, txn: String, partition: Int32 = 0, offset: Int64, topic: String = "t") {
        line(process, .invoke, .send, .send(SendValue(topic: topic, value: value, txn: txn)))
        line(process, .info, .send, .send(SendValue(topic: topic, value: value, partition: partition, offset: offset, txn: txn)),
             error: "TRANSACTIONAL")
    }

    /// `txn_begin` then `txn_commit` or `txn_abort` ending `type`, listing its writes and inputs.
    mutating func txn(
        _ process: String, _ txn: String, _ end: OpFunction, _ type: OpType = .ok, writes: [(String, Int32, Int64)] = [],
        inputs: [(Int32, Int64)] = [], inputTopic: String = "in", topic: String = "t"
    ) {
        line(process, .invoke, .txnBegin, .other(.object(["txn": .string(txn)])))
        line(process, .ok, .txnBegin, .other(.object(["txn": .string(txn)])))
        for (value, partition, offset) in writes { txnSend(process, value, txn: txn, partition: partition, offset: offset, topic: topic) }
        line(process, .invoke, end, .other(.object(["txn": .string(txn)])))
        let listed: [JSONValue] = writes.map {
            .object(["topic": .string(topic), "partition": .int(Int64($0.1)), "offset": .int($0.2), "value": .string($0.0)])
        }
        let consumed: [JSONValue] = inputs.map {
            .object(["topic": .string(inputTopic), "partition": .int(Int64($0.0)), "offset": .int($0.1)])
        }
        line(process, type, end, .other(.object(["txn": .string(txn), "writes": .array(listed), "inputs": .array(consumed)])),
             error: type == .ok ? nil : "_TIMED_OUT")
    }

    /// A poll at an isolation level returning `(offset, value)` pairs from one partition.
    mutating func read(_ process: String, _ records: [(Int64, String)], _ isolation: IsolationLevel, partition: Int32 = 0, topic: String = "t") {
        line(process, .invoke, .poll)
        let read = records.map { ReadRecord(topic: topic, partition: partition, offset: $0.0, value: $0.1) }
        line(process, .ok, .poll, .poll(PollValue(records: read, isolation: isolation)))
    }
}

@Suite struct TransactionCheckerTests {
    @Test func withoutTransactionsTheCheckersAreNotApplicableAndLeaveTheVerdictAlone() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.read("consumer-1", [(0, "a")], .readCommitted)
        h.finalRead([(0, "a")])
        let report = check(h)
        for result in [report.txnAbortedRead.verdict, report.txnLostWrite.verdict, report.tornTransaction.verdict, report.eosDuplicate.verdict] {
            #expect(result == .notApplicable)
        }
        #expect(report.txnAbortedRead.notes == ["the history has no transactions"])
        #expect(Verdict.combine([.valid, .notApplicable]) == .valid)
        #expect(Verdict.combine([.notApplicable, .unknown]) == .unknown)
    }

    /// Producer 1 commits a@0 and aborts b@1 (its marker at 2); c@3 is committed after it.
    func abortedInTheMiddle() -> HistoryBuilder {
        var h = HistoryBuilder()
        h.txn("producer-1", "producer-1-t1", .txnCommit, writes: [("a", 0, 0)])
        h.txn("producer-1", "producer-1-t2", .txnAbort, writes: [("b", 0, 1)])
        h.txn("producer-1", "producer-1-t3", .txnCommit, writes: [("c", 0, 3)])
        return h
    }

    @Test func aReadCommittedConsumerSeeingAnAbortedRecordIsAnAbortedRead() throws {
        var h = abortedInTheMiddle()
        h.read("consumer-1", [(0, "a"), (1, "b"), (4, "c")], .readCommitted)
        let report = check(h)
        #expect(report.txnAbortedRead.verdict == .invalid)
        let anomaly = try #require(report.txnAbortedRead.anomalies.first)
        #expect(anomaly.value == "b" && anomaly.txn == "producer-1-t2" && anomaly.producer == "producer-1")
        #expect(anomaly.offset == 1 && anomaly.readBy.process == "consumer-1" && anomaly.isolation == .readCommitted)
        #expect(anomaly.abortIndex != nil)
        #expect(report.valid == .invalid)
    }

    @Test func readUncommittedConsumersMaySeeAbortedRecords() {
        var h = abortedInTheMiddle()
        h.read("consumer-1", [(0, "a"), (1, "b"), (3, "c")], .readUncommitted)
        h.read("consumer-2", [(0, "a"), (3, "c")], .readCommitted)
        let report = check(h)
        #expect(report.txnAbortedRead.verdict == .valid)
        #expect(report.txnAbortedRead.notes.contains { $0.contains("1 read(s) of aborted records by read_uncommitted") })
        #expect(report.txnLostWrite.verdict == .valid)
        #expect(report.tornTransaction.verdict == .valid)
        // The aborted record read by consumer-1 and absent from the read_committed reads is no plain lost write.
        #expect(report.lostWrite.verdict == .valid)
        #expect(report.abortedRead.verdict == .valid)
    }

    @Test func aRecordOfAnUnknownTransactionIsNeitherAbortedNorLost() {
        var h = HistoryBuilder()
        h.txn("producer-1", "producer-1-t1", .txnCommit, writes: [("a", 0, 0)])
        h.txn("producer-1", "producer-1-t2", .txnCommit, .info, writes: [("b", 0, 1)])
        h.txn("producer-1", "producer-1-t3", .txnCommit, writes: [("c", 0, 3)])
        h.read("consumer-1", [(0, "a"), (3, "c")], .readCommitted)
        h.read("consumer-2", [(0, "a"), (1, "b"), (3, "c")], .readCommitted)
        let report = check(h)
        #expect(report.txnAbortedRead.verdict == .valid)
        #expect(report.txnAbortedRead.notes.contains { $0.contains("outcome is unknown") })
        #expect(report.txnLostWrite.verdict == .valid)
        #expect(report.txnLostWrite.notes.contains { $0.contains("unknown, not lost") })
        #expect(report.txnLostWrite.notes.first == "3 transaction(s): 2 committed, 0 aborted, 1 unknown")
    }

    @Test func aCommittedRecordReadPastIsLostAndItsTransactionTorn() throws {
        var h = HistoryBuilder()
        h.txn("producer-1", "producer-1-t1", .txnCommit, writes: [("a", 0, 0), ("b", 0, 1), ("c", 0, 2)])
        h.txn("producer-1", "producer-1-t2", .txnCommit, writes: [("d", 0, 4)])
        h.read("consumer-1", [(0, "a")], .readCommitted)
        h.read("consumer-1", [(2, "c"), (4, "d")], .readCommitted)
        let report = check(h)
        #expect(report.txnLostWrite.verdict == .invalid)
        let lost = try #require(report.txnLostWrite.anomalies.first)
        #expect(lost.value == "b" && lost.offset == 1 && lost.reader == "consumer-1" && lost.txn == "producer-1-t1")
        #expect(lost.before?.offset == 0 && lost.after?.offset == 2)
        #expect(report.tornTransaction.verdict == .invalid)
        let torn = try #require(report.tornTransaction.anomalies.first)
        #expect(torn.reader == "consumer-1" && torn.seen.map(\.value) == ["a", "c"] && torn.missing.map(\.value) == ["b"])
    }

    @Test func aReaderThatStoppedBeforeARecordOrWasReassignedDidNotReadPastIt() {
        var h = HistoryBuilder()
        h.txn("producer-1", "producer-1-t1", .txnCommit, writes: [("a", 0, 0), ("b", 0, 1), ("c", 0, 2)])
        h.read("consumer-1", [(0, "a")], .readCommitted)
        // A rebalance moved its position: a new stretch of reading starts at c.
        h.assign("consumer-1", [0])
        h.read("consumer-1", [(2, "c")], .readCommitted)
        h.read("consumer-2", [(0, "a"), (1, "b"), (2, "c")], .readCommitted)
        let report = check(h)
        #expect(report.txnLostWrite.verdict == .valid)
        #expect(report.tornTransaction.verdict == .valid)
    }

    @Test func aCompleteFinalReadOwesEveryCommittedRecordBelowItsEnd() throws {
        var h = HistoryBuilder()
        h.txn("producer-1", "producer-1-t1", .txnCommit, writes: [("a", 0, 0)])
        h.txn("producer-1", "producer-1-t2", .txnCommit, writes: [("b", 0, 2)])
        h.finalReadBounds([(partition: 0, start: 0, end: 4)])
        h.finalRead([(2, "b")])
        let report = check(h)
        let lost = try #require(report.txnLostWrite.anomalies.first)
        #expect(lost.value == "a" && lost.reader == "final-reader" && lost.finalEnd == 4 && lost.after?.offset == 2)
        var complete = HistoryBuilder()
        complete.txn("producer-1", "producer-1-t1", .txnCommit, writes: [("a", 0, 0)])
        complete.finalReadBounds([(partition: 0, start: 0, end: 2)])
        complete.finalRead([(0, "a")])
        #expect(check(complete).txnLostWrite.verdict == .valid)
    }

    @Test func withoutAReadCommittedReaderNothingWasShown() {
        var h = abortedInTheMiddle()
        h.read("consumer-1", [(0, "a"), (1, "b")], .readUncommitted)
        let report = check(h)
        #expect(report.txnAbortedRead.verdict == .unknown)
        #expect(report.txnLostWrite.verdict == .unknown)
    }

    @Test func anInputConsumedByTwoCommittedTransformsIsAnExactlyOnceDuplicate() throws {
        var h = HistoryBuilder()
        h.txn("transform-1", "transform-1-t1", .txnCommit, writes: [("x0", 0, 0)], inputs: [(0, 5)], topic: "out")
        h.txn("transform-1", "transform-1-t2", .txnCommit, writes: [("x1", 0, 2)], inputs: [(0, 5), (0, 6)], topic: "out")
        let report = check(h)
        #expect(report.eosDuplicate.verdict == .invalid)
        let duplicate = try #require(report.eosDuplicate.anomalies.first)
        #expect(duplicate.topic == "in" && duplicate.partition == 0 && duplicate.offset == 5)
        #expect(duplicate.transactions.map(\.txn) == ["transform-1-t1", "transform-1-t2"])
        #expect(report.eosDuplicate.count == 1)
    }

    @Test func anAbortedOrUnknownReprocessingIsNoDuplicate() {
        var h = HistoryBuilder()
        h.txn("transform-1", "transform-1-t1", .txnAbort, writes: [("x0", 0, 0)], inputs: [(0, 5)], topic: "out")
        h.txn("transform-1", "transform-1-t2", .txnCommit, writes: [("x1", 0, 2)], inputs: [(0, 5)], topic: "out")
        h.txn("transform-1", "transform-1-t3", .txnCommit, .info, writes: [("x2", 0, 4)], inputs: [(0, 5)], topic: "out")
        let report = check(h)
        #expect(report.eosDuplicate.verdict == .valid)
        #expect(report.eosDuplicate.notes.contains { $0.contains("unknown outcome") })
        var plain = HistoryBuilder()
        plain.txn("producer-1", "producer-1-t1", .txnCommit, writes: [("a", 0, 0)])
        #expect(check(plain).eosDuplicate.verdict == .notApplicable, "no transform ran")
    }

    @Test func anIdEndedBothWaysMakesTheVerdictsUnknown() {
        var h = HistoryBuilder()
        h.txn("producer-1", "producer-1-t1", .txnCommit, writes: [("a", 0, 0)])
        h.line("producer-1", .invoke, .txnAbort, .other(.object(["txn": .string("producer-1-t1")])))
        h.line("producer-1", .ok, .txnAbort, .other(.object(["txn": .string("producer-1-t1")])))
        h.read("consumer-1", [(0, "a")], .readCommitted)
        let report = check(h)
        #expect(report.txnAbortedRead.verdict == .unknown)
        #expect(report.txnAbortedRead.notes.contains { $0.contains("both committed and aborted") })
    }

    @Test func transactionsReadBackFromTheWorkloadsLines() throws {
        let lines = [
            #"{"index":0,"time_ns":1,"process":"p","type":"invoke","f":"txn_begin","value":{"txn":"p-t1"},"op_id":1}"#,
            #"{"index":1,"time_ns":2,"process":"p","type":"ok","f":"txn_begin","value":{"txn":"p-t1"},"op_id":1}"#,
            #"{"index":2,"time_ns":3,"process":"p","type":"invoke","f":"send","value":{"topic":"t","value":"v","txn":"p-t1"},"op_id":2}"#,
            #"{"index":3,"time_ns":4,"process":"p","type":"info","f":"send","value":{"topic":"t","value":"v","partition":1,"offset":7,"txn":"p-t1"},"error":"TRANSACTIONAL","op_id":2}"#,
            #"{"index":4,"time_ns":5,"process":"p","type":"invoke","f":"txn_abort","value":{"txn":"p-t1"},"op_id":3}"#,
            #"{"index":5,"time_ns":6,"process":"p","type":"ok","f":"txn_abort","value":{"txn":"p-t1","writes":[{"topic":"t","partition":1,"offset":7,"value":"v"}],"inputs":[{"topic":"in","partition":0,"offset":2}]},"op_id":3}"#,
            #"{"index":6,"time_ns":7,"process":"c","type":"invoke","f":"poll","value":null,"op_id":0}"#,
            #"{"index":7,"time_ns":8,"process":"c","type":"ok","f":"poll","value":{"records":[{"topic":"t","partition":1,"offset":7,"value":"v"}],"isolation":"read_committed"},"op_id":0}"#,
        ]
        let path = NSTemporaryDirectory() + "samsa-txn-history-\(UUID().uuidString).jsonl"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        let history = History.load(path: path)
        #expect(history.problems.isEmpty, "\(history.problems.listed)")
        let log = TransactionLog(history)
        #expect(log.transactions.count == 1)
        let transaction = try #require(log.transactions.first)
        #expect(transaction.outcome == .aborted && transaction.endIndex == 5 && transaction.process == "p")
        #expect(transaction.writes == [TransactionWrite(value: "v", topic: "t", partition: 1, offset: 7)])
        #expect(transaction.inputs == [TransactionInput(topic: "in", partition: 0, offset: 2)])
        let report = CheckReport(history: history, timeline: Timeline(records: []))
        #expect(report.txnAbortedRead.verdict == .invalid)
        #expect(report.txnAbortedRead.anomalies.first?.readBy.index == 7)
    }
}
