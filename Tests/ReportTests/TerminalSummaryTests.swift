import Testing
@testable import Report
import Verification

@Suite struct TerminalSummaryTests {
    @Test func verdictLineThenMarkedExpectationsThenFigures() {
        let text = TerminalSummary.render(RunFixture(lose: ["producer-1-10"]).report(), colour: false)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first?.hasPrefix("FAIL  fixture-run (playbook fixture): 1 of 2 expectations failed") == true)
        #expect(lines.contains("  ✗ no_lost_writes: expected 0 lost writes, observed 1 lost writes"))
        #expect(lines.contains("      t/0 offset 5: producer-1-10"))
        #expect(lines.contains("  ✓ isr_shrinks: expected at least 1, observed 2"))
        #expect(lines.contains("  checks: lost-write invalid (1)"))
        #expect(lines.contains { $0.hasPrefix("  sends: 40 attempted, 39 acknowledged, 0 failed, 1 indeterminate; lost 1") })
        #expect(lines.contains { $0.hasPrefix("  produce latency: p50 ") })
        #expect(lines.contains("  ISR: 2 shrinks, 2 expands"))
        #expect(lines.contains("  lag g: max 30, at end 0, recovered 1.00 s after the last fault"))
        #expect(lines.contains("  faults: crash broker-2 at +1.000 s for 1.50 s"))
        #expect(!text.contains("\u{1B}"))
    }

    @Test func cleanRunSaysPassAndAllChecksValid() {
        let report = RunFixture().report()
        let text = TerminalSummary.render(report, colour: false)
        #expect(text.hasPrefix("PASS  fixture-run (playbook fixture): all 2 expectations held\n"))
        #expect(text.contains("  checks: all \(report.checks.verdicts.filter { $0.verdict != .notApplicable }.count) valid\n"))
    }

    @Test func colourIsANSIOnlyWhenAsked() {
        let report = RunFixture(lose: ["producer-1-10"]).report()
        let coloured = TerminalSummary.render(report, colour: true)
        #expect(coloured.hasPrefix("\u{1B}[1;31mFAIL\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[1;32m✓\u{1B}[0m"))
        #expect(!TerminalSummary.render(report, colour: false).contains("\u{1B}["))
    }

    @Test func colourFollowsTheTerminalAndNoColor() {
        #expect(TerminalSummary.wantsColour(isTerminal: true, environment: ["TERM": "xterm-256color"]))
        #expect(!TerminalSummary.wantsColour(isTerminal: false, environment: [:]))
        #expect(!TerminalSummary.wantsColour(isTerminal: true, environment: ["NO_COLOR": "1"]))
        #expect(TerminalSummary.wantsColour(isTerminal: true, environment: ["NO_COLOR": ""]))
        #expect(!TerminalSummary.wantsColour(isTerminal: true, environment: ["TERM": "dumb"]))
    }

    @Test func controlCharactersInUserTextCannotReachTheTerminal() {
        let report = RunFixture().report(
            runName: "run\u{1B}]0;owned\u{7}", expectations: [
                Expectation(name: "x\rPASS", expected: "a\u{1B}[2J", observed: "b", passed: false, evidence: "line\u{9B}31m"),
            ])
        let text = TerminalSummary.render(report, colour: false)
        #expect(!text.contains("\u{1B}"))
        #expect(!text.contains("\r"))
        #expect(!text.contains("\u{7}"))
        #expect(!text.contains("\u{9B}"))
        #expect(text.hasPrefix("FAIL  run\u{FFFD}]0;owned\u{FFFD}"))
    }
}

@Suite struct TransactionalSendFiguresTests {
    @Test func transactionalSendsAreShownByTheirTransactionsOutcome() {
        var counts = OperationCounts()
        counts.sendsAttempted = 1_250
        counts.sendsAcknowledged = 240
        counts.sendsFailed = 3
        counts.sendsIndeterminate = 1_007
        counts.transactionalSends = 1_000
        counts.transactionalCommitted = 690
        counts.transactionalAborted = 300
        counts.transactionalUnknown = 8
        counts.transactionalFailed = 2
        counts.transactionalIndeterminate = 998
        #expect(TerminalSummary.sendFigures(counts)
            == "1,250 attempted; 250 plain: 240 acknowledged, 1 failed, 9 indeterminate; 1,000 in transactions: 690 committed, 300 aborted, 8 unknown, 2 failed; ")

        var onlyTransactional = OperationCounts()
        onlyTransactional.sendsAttempted = 10
        onlyTransactional.sendsIndeterminate = 10
        onlyTransactional.transactionalSends = 10
        onlyTransactional.transactionalIndeterminate = 10
        onlyTransactional.transactionalCommitted = 7
        onlyTransactional.transactionalAborted = 3
        #expect(TerminalSummary.sendFigures(onlyTransactional) == "10 attempted; 10 in transactions: 7 committed, 3 aborted, 0 unknown; ")
    }
}
