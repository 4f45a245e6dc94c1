import Foundation
import Testing
import Report
import Verification

@Suite struct JUnitReportTests {
    @Test func oneTestCasePerExpectationWithAFailureForEachFailed() {
        let xml = JUnitReport.render(RunFixture(lose: ["producer-1-10"]).report())
        let parsed = XMLCounter(xml)
        #expect(parsed.error == nil, "\(parsed.error ?? "")")
        #expect(parsed.count("testsuite") == 1)
        #expect(parsed.count("testcase") == 2)
        #expect(parsed.count("failure") == 1)
        #expect(parsed.count("error") == 0)
        #expect(xml.contains("tests=\"2\" failures=\"1\" errors=\"0\""))
        #expect(parsed.text.contains("t/0 offset 5: producer-1-10"))
    }

    @Test func anUnknownExpectationIsAnErrorNotASkip() {
        let report = RunFixture().report(expectations: [
            Expectation(name: "no_lost_writes", expected: "0", observed: "0", passed: true),
            Expectation(name: "lag_recovers_within", expected: "5 s", observed: "no lag samples", passed: nil, evidence: "lag observer saw no group"),
        ])
        let parsed = XMLCounter(JUnitReport.render(report))
        #expect(parsed.error == nil)
        #expect(parsed.count("testcase") == 2)
        #expect(parsed.count("error") == 1)
        #expect(parsed.count("failure") == 0)
        #expect(parsed.count("skipped") == 0)
    }

    @Test func withoutExpectationsEachCheckerIsATestCase() {
        let report = RunFixture(lose: ["producer-1-10"]).report(expectations: [])
        let parsed = XMLCounter(JUnitReport.render(report))
        #expect(parsed.error == nil)
        // A check with nothing to judge (transactions, in a run without any) is no test case.
        #expect(parsed.count("testcase") == report.checks.verdicts.filter { $0.verdict != .notApplicable }.count)
        #expect(parsed.count("failure") == 1)
    }

    @Test func hostileStringsKeepTheFileParseable() {
        let report = RunFixture(lose: [hostile], hostileValue: true).report(
            runName: hostile,
            expectations: [Expectation(name: hostile, expected: hostile, observed: hostile, passed: false, evidence: hostile + "\u{0}\u{FFFF}")])
        let xml = JUnitReport.render(report)
        let parsed = XMLCounter(xml)
        #expect(parsed.error == nil, "\(parsed.error ?? "")")
        #expect(parsed.count("failure") == 1)
        #expect(!xml.contains("<script>"))
        #expect(parsed.text.contains("<script>alert(1)</script>"))
    }
}

@Suite struct MarkdownReportTests {
    @Test func verdictComesFirstThenTheExpectations() throws {
        let markdown = MarkdownReport.render(RunFixture(lose: ["producer-1-10"]).report())
        let verdict = try #require(markdown.range(of: "**Verdict: FAIL**"))
        let expectations = try #require(markdown.range(of: "## Expectations"))
        #expect(verdict.lowerBound < expectations.lowerBound)
        #expect(markdown.contains("| ✗ | no_lost_writes | 0 lost writes | 1 lost writes | failed |"))
        #expect(markdown.contains("| ✓ | isr_shrinks | at least 1 | 2 | passed |"))
        #expect(markdown.contains("### lost-write: invalid"))
        #expect(markdown.contains("\"value\":\"producer-1-10\""))
        #expect(markdown.contains("## Faults"))
        #expect(markdown.contains("crash broker-2"))
    }

    @Test func cleanRunPasses() {
        let markdown = MarkdownReport.render(RunFixture().report())
        #expect(markdown.contains("**Verdict: PASS**: all 2 expectations held."))
        #expect(!markdown.contains("### lost-write"))
    }

    @Test func userTextCannotBreakTablesOrInjectHTML() {
        let name = "a|b\n<img src=x onerror=alert(1)>"
        let markdown = MarkdownReport.render(RunFixture().report(expectations: [
            Expectation(name: name, expected: "```", observed: "x", passed: false, evidence: "```\n" + hostile),
        ]))
        #expect(markdown.contains("a\\|b &lt;img src=x onerror=alert(1)&gt;"))
        #expect(!markdown.contains("<img"))
        #expect(!markdown.contains("<script>") || markdown.contains("````\n```\n<script>"))
    }
}
