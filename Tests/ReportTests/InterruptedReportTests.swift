import Foundation
import Testing
import Report
import Verification

/// A run stopped by a signal: the runner's `interrupted` record read back, and every writer saying
/// so with an unknown verdict, whatever the checkers found.
@Suite struct InterruptedReportTests {
    static let record = TimelineRecord(timeNs: RunFixture.startNs + 6_200 * RunFixture.ms,
                                       .interrupted(RunInterruption(signal: "SIGINT", phase: "running the workload", elapsedMs: 6_200)))

    @Test func theTimelineRecordIsReadBack() throws {
        let interruption = try #require(Timeline(records: [Self.record]).interruption)
        #expect(interruption == RunInterruption(signal: "SIGINT", phase: "running the workload", elapsedMs: 6_200))
        #expect(interruption.summary == "interrupted by SIGINT at +6.2 s of the workload")
        #expect(Timeline(records: []).interruption == nil)
    }

    @Test func anInterruptedRunIsNeverAPass() throws {
        var report = RunFixture().report()
        #expect(report.verdict == .valid, "the fixture passes when it ends by itself")
        report.interruption = Timeline(records: [Self.record]).interruption
        #expect(report.verdict == .unknown)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(JSONReport.render(report).utf8)) as? [String: Any])
        #expect(json["interrupted"] as? Bool == true)
        #expect(json["valid"] is NSNull)
        #expect(json["verdict"] as? String == "unknown")
        let interruption = try #require(json["interruption"] as? [String: Any])
        #expect(interruption["signal"] as? String == "SIGINT" && interruption["elapsed_ms"] as? Int == 6_200)
        let terminal = TerminalSummary.render(report, colour: false)
        #expect(terminal.hasPrefix("UNKNOWN "))
        #expect(terminal.contains("interrupted by SIGINT at +6.2 s of the workload"))
        #expect(MarkdownReport.render(report).contains("interrupted by SIGINT"))
    }

    @Test func aRunThatEndedByItselfSaysSo() throws {
        let json = try #require(try JSONSerialization.jsonObject(with: Data(JSONReport.render(RunFixture().report()).utf8)) as? [String: Any])
        #expect(json["interrupted"] as? Bool == false)
        #expect(json["interruption"] is NSNull)
    }

    @Test func stepsThatDidNotRunAreCountedOnTheTerminal() {
        var report = RunFixture().report()
        report.steps = [
            StepOutcome(index: 1, atMs: 1000, command: "isolate 2", status: .applied),
            StepOutcome(index: 2, atMs: 2000, command: "heal", status: .refused),
            StepOutcome(index: 3, atMs: 3000, command: "crash 1", status: .notReached),
        ]
        let terminal = TerminalSummary.render(report, colour: false)
        #expect(terminal.contains("steps: 2 of 3 steps did not run: 1 refused by the lab, 1 not reached (the workload ended first)"))
        #expect(MarkdownReport.render(report).contains("2 of 3 steps did not run"))
    }
}
