import Testing
@testable import Verification

@Suite struct ClientCheckTests {
    func exit(_ process: String, code: Int32? = 0, signal: Int32? = nil, overran: Bool = false, error: String? = nil) -> ClientExit {
        ClientExit(process: process, pid: 7, startedNs: 0, endedNs: 5, exitCode: code, signal: signal, overran: overran, error: error)
    }

    func history() -> History {
        var h = HistoryBuilder()
        h.send("producer-1-1", "a", offset: 0)
        h.finalRead([(0, "a")])
        return h.history
    }

    @Test func everyClientEndingCleanlyIsValid() {
        let result = ClientChecker.check(history: history(), clients: ([exit("producer-1-1"), exit("final-reader")], InputProblems()), limit: 10)
        #expect(result.verdict == .valid)
    }

    @Test func aFatalClientErrorFailsTheRunAndNamesTheProcess() {
        let fatal = exit("producer-1-1", code: 4, error: "FATAL client error: OUT_OF_ORDER_SEQUENCE_NUMBER: Broker: Out of order sequence number")
        let result = ClientChecker.check(history: history(), clients: ([fatal, exit("final-reader")], InputProblems()), limit: 10)
        #expect(result.verdict == .invalid)
        #expect(result.anomalies.map(\.process) == ["producer-1-1"])
        #expect(result.anomalies.first?.summary.contains("OUT_OF_ORDER_SEQUENCE_NUMBER") == true)
    }

    @Test func aClientKilledByASignalOrOverrunningItsBoundFails() {
        let killed = exit("producer-1-1", code: nil, signal: 9)
        let overran = exit("final-reader", code: 0, overran: true)
        let result = ClientChecker.check(history: history(), clients: ([killed, overran], InputProblems()), limit: 10)
        #expect(result.verdict == .invalid)
        #expect(result.count == 2)
        #expect(result.anomalies.first?.summary == "killed by signal 9")
    }

    @Test func anIncompleteFinalReadIsLeftToTheLostWriteCheck() {
        let result = ClientChecker.check(history: history(), clients: ([exit("producer-1-1"), exit("final-reader", code: 3)], InputProblems()), limit: 10)
        #expect(result.verdict == .valid)
        let producer = ClientChecker.check(history: history(), clients: ([exit("producer-1-1", code: 3), exit("final-reader")], InputProblems()), limit: 10)
        #expect(producer.verdict == .invalid)
    }

    @Test func aProcessWhoseEndWasNotRecordedMakesItUnknown() {
        let result = ClientChecker.check(history: history(), clients: ([exit("final-reader")], InputProblems()), limit: 10)
        #expect(result.verdict == .unknown)
        #expect(result.notes.contains { $0.contains("producer-1-1") })
        let none = ClientChecker.check(history: history(), clients: nil, limit: 10)
        #expect(none.verdict == .unknown)
    }
}
