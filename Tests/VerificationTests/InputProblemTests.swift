import Foundation
import Testing
@testable import Verification

@Suite struct InputProblemTests {
    static let goodLines = """
        {"index":0,"time_ns":1,"process":"producer-1","type":"invoke","f":"send","value":{"topic":"t","value":"a"},"error":null}
        {"index":1,"time_ns":2,"process":"producer-1","type":"ok","f":"send","value":{"topic":"t","value":"a","partition":0,"offset":0},"error":null}
        """

    @Test func malformedLineIsReportedWithItsNumberAndMakesEveryHistoryCheckUnknown() {
        let text = Self.goodLines + "\n{\"index\":2,\"time_ns\":3,\"process\":\"final-reader\",\"type\":\"ok\"\n"
        let decoded = JSONL.decode(HistoryOp.self, from: Data(text.utf8), source: "history.jsonl")
        #expect(decoded.items.count == 2)
        #expect(decoded.problems.total == 1)
        #expect(decoded.problems.listed.first?.line == 3)
        let report = CheckReport(
            history: History(ops: decoded.items, problems: decoded.problems), timeline: Timeline(records: []))
        for (checker, verdict) in report.verdicts {
            #expect(verdict == (transactionCheckers.contains(checker) ? .notApplicable : .unknown), "\(checker)")
        }
        #expect(report.valid == .unknown)
    }

    @Test func anomaliesFoundInAProblemHistoryAreKeptButNotTrusted() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.send("producer-1", "b", offset: 1)
        h.finalRead([(1, "b")])
        var problems = InputProblems()
        problems.append(InputProblem(source: "history.jsonl", line: 9, message: "invalid JSON"))
        let report = CheckReport(history: History(ops: h.ops, problems: problems), timeline: Timeline(records: []))
        #expect(report.lostWrite.verdict == .unknown)
        #expect(report.lostWrite.count == 1)
        #expect(report.lostWrite.notes.contains { $0.contains("history.jsonl:9") })
    }

    @Test func unreadableFileIsAProblemNotAnEmptyHistory() {
        let history = History.load(path: "/nonexistent/history.jsonl")
        #expect(history.problems.total == 1)
        #expect(CheckReport(history: history, timeline: Timeline(records: [])).lostWrite.verdict == .unknown)
    }

    @Test func completionWithoutInvokeIsAProblem() {
        var h = HistoryBuilder()
        h.completeSend("producer-1", "a", offset: 0)
        #expect(h.history.problems.total == 1)
        #expect(check(h).duplicate.verdict == .unknown)
    }

    @Test func secondInvokeWhileOneIsOpenNeedsAnOpId() {
        var h = HistoryBuilder()
        h.invokeSend("producer-1", "a")
        h.invokeSend("producer-1", "b")
        #expect(h.history.problems.listed.first?.message.contains("still open") == true)
    }

    @Test func okSendWithoutPartitionAndValueSentTwiceAreProblems() {
        var h = HistoryBuilder()
        h.invokeSend("producer-1", "a")
        h.line("producer-1", .ok, .send, .send(SendValue(topic: "t", value: "a")))
        h.send("producer-2", "a", offset: 3)
        let messages = h.history.problems.listed.map(\.message)
        #expect(messages.contains { $0.contains("has no partition") })
        #expect(messages.contains { $0.contains("sent twice") })
    }

    @Test func pendingInvokeAtTheEndIsIndeterminateNotAProblem() {
        var h = HistoryBuilder()
        h.invokeSend("producer-1", "a")
        let history = h.history
        #expect(history.problems.isEmpty)
        #expect(history.operations.first?.outcome(in: history) == .info)
    }

    @Test func errorThrownInsideACheckerIsUnknownNeverValid() {
        let result = CheckResult<LostWrite>.guarded("lost-write") { throw CheckerError("bookkeeping broke") }
        #expect(result.verdict == .unknown)
        #expect(result.notes == ["checker failed: bookkeeping broke"])
    }

    @Test func linesAreReadFromAFileWithTheirNumbers() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("verification-\(UUID()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data((Self.goodLines + "\n\nnot json\r\n").utf8).write(to: URL(fileURLWithPath: path))
        let history = History.load(path: path)
        #expect(history.ops.count == 2)
        #expect(history.problems.listed.map(\.line) == [4])
    }

    @Test func verdictsCombineInvalidOverUnknownOverValid() {
        #expect(Verdict.combine([.valid, .valid]) == .valid)
        #expect(Verdict.combine([.valid, .unknown]) == .unknown)
        #expect(Verdict.combine([.unknown, .invalid, .valid]) == .invalid)
    }
}
