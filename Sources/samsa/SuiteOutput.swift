import Foundation
import Lab
import Playbook

/// What `samsa suite` prints and writes: the case table, the seeded bug × case table with the
/// checkers that fired, the per-bug result, and `suite.json` / `junit.xml`.
enum SuiteOutput {
    typealias CaseResult = SuiteCommand.CaseResult

    static func render(_ results: [CaseResult], summaries: [BugSummary]) -> String {
        var sections: [String] = []
        let baseline = results.filter { $0.bug == nil }
        if !baseline.isEmpty {
            var table = TextTable(["CASE", "EXPECT", "VERDICT", "EXPECTATIONS", "RESULT", "TIME"])
            for result in baseline {
                table.add([result.name, result.expected, result.verdict, result.expectationsPassed.map { $0 ? "held" : "failed" } ?? "unknown",
                           result.interruptedBy != nil ? "INTERRUPTED" : result.passed ? "PASS" : "FAIL", String(format: "%.0fs", result.durationSeconds)])
            }
            sections.append(table.render())
        }
        let runs = results.filter { $0.bug != nil }
        if !runs.isEmpty {
            var table = TextTable(["BUG", "CASE", "RESULT", "CHECKERS", "TIME"])
            for result in runs {
                let label = BugRunResult(rawValue: result.result ?? "")?.label ?? "error"
                let checkers = (result.checkers ?? []).joined(separator: ",")
                table.add([result.bug ?? "", result.name, label, checkers.isEmpty ? "-" : checkers, String(format: "%.0fs", result.durationSeconds)])
            }
            sections.append(table.render())
        }
        if !summaries.isEmpty {
            var table = TextTable(["BUG", "CAUGHT BY", "REQUIRED", "RESULT", "CHECKERS"])
            for summary in summaries {
                let notRun = summary.casesNotRun == 0 ? "" : ", \(summary.casesNotRun) not run"
                table.add([summary.bug, "\(summary.casesCaught)/\(summary.casesRun) case(s)\(notRun)", "\(summary.minCaught)",
                           summary.caught ? "CAUGHT" : "MISSED", summary.checkers.isEmpty ? "-" : summary.checkers.joined(separator: ",")])
            }
            sections.append(table.render())
        }
        return sections.joined(separator: "\n\n")
    }

    /// suite.json: `{suite, passed, valid, interrupted, interrupted_by, runs_planned, cases: [...],
    /// bugs: [...], catch_rate: {caught, bugs, rate}}`. `valid` is `passed`, or null when a signal
    /// interrupted the suite (then `passed` is false and `cases` lists only the runs started).
    struct SummaryFile: Encodable {
        struct CatchRate: Encodable {
            var caught: Int
            var bugs: Int
            var rate: Double
        }

        var suite: String
        var passed: Bool
        var valid: Bool?
        var interrupted: Bool
        var interruptedBy: String?
        var runsPlanned: Int
        var cases: [CaseResult]
        var bugs: [BugSummary]
        var catchRate: CatchRate?

        enum CodingKeys: String, CodingKey {
            case suite, passed, valid, interrupted, cases, bugs
            case interruptedBy = "interrupted_by"
            case runsPlanned = "runs_planned"
            case catchRate = "catch_rate"
        }

        /// `valid` and `interrupted_by` are written even when null.
        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(suite, forKey: .suite)
            try container.encode(passed, forKey: .passed)
            try container.encode(valid, forKey: .valid)
            try container.encode(interrupted, forKey: .interrupted)
            try container.encode(interruptedBy, forKey: .interruptedBy)
            try container.encode(runsPlanned, forKey: .runsPlanned)
            try container.encode(cases, forKey: .cases)
            try container.encode(bugs, forKey: .bugs)
            try container.encodeIfPresent(catchRate, forKey: .catchRate)
        }
    }

    static func writeSummary(_ results: [CaseResult], summaries: [BugSummary], passed: Bool, root: String, suiteName: String,
                             interruptedBy: String? = nil, runsPlanned: Int? = nil) throws {
        let rate = BugSummary.catchRate(summaries)
        let file = SummaryFile(suite: suiteName, passed: passed, valid: interruptedBy == nil ? passed : nil, interrupted: interruptedBy != nil,
                               interruptedBy: interruptedBy, runsPlanned: runsPlanned ?? results.count, cases: results, bugs: summaries,
                               catchRate: summaries.isEmpty ? nil : .init(caught: rate.caught, bugs: rate.bugs,
                                                                          rate: Double(rate.caught) / Double(max(1, rate.bugs))))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(file).write(to: URL(fileURLWithPath: root + "/suite.json"))
        try junit(results, summaries: summaries, suiteName: suiteName, interruptedBy: interruptedBy, runsPlanned: runsPlanned ?? results.count)
            .write(toFile: root + "/junit.xml", atomically: true, encoding: .utf8)
    }

    /// One test case per case run without a bug, and one per seeded bug (failing when fewer than
    /// its required cases caught it, the per-case results in the message body).
    /// An interrupted suite gets one more test case, `interrupted`, with an error: CI must not read
    /// the cases that did run as the whole suite.
    static func junit(_ results: [CaseResult], summaries: [BugSummary], suiteName: String, interruptedBy: String? = nil, runsPlanned: Int = 0) -> String {
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        let baseline = results.filter { $0.bug == nil }
        let failures = baseline.filter { !$0.passed && $0.interruptedBy == nil }.count + summaries.filter { !$0.caught }.count
        let time = results.reduce(0) { $0 + $1.durationSeconds }
        let extra = interruptedBy == nil ? 0 : 1
        let errors = extra + baseline.filter { $0.interruptedBy != nil }.count
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuite name=\"\(escape(suiteName))\" tests=\"\(baseline.count + summaries.count + extra)\" failures=\"\(failures)\" "
            + "errors=\"\(errors)\" time=\"\(String(format: "%.1f", time))\">\n"
        if !summaries.isEmpty {
            let rate = BugSummary.catchRate(summaries)
            xml += "  <properties>\n"
            xml += "    <property name=\"catch_rate\" value=\"\(escape(rate.text))\"/>\n"
            xml += "    <property name=\"bugs_caught\" value=\"\(rate.caught)\"/>\n"
            xml += "    <property name=\"bugs\" value=\"\(rate.bugs)\"/>\n"
            xml += "  </properties>\n"
        }
        if let interruptedBy {
            xml += "  <testcase classname=\"samsa.suite.\(escape(suiteName))\" name=\"interrupted\" time=\"0.0\">\n"
            xml += "    <error message=\"\(escape("interrupted by \(interruptedBy) after \(results.count) of \(runsPlanned) run(s); verdict unknown"))\"/>\n"
            xml += "  </testcase>\n"
        }
        for result in baseline {
            xml += "  <testcase classname=\"samsa.suite.\(escape(suiteName))\" name=\"\(escape(result.name))\" time=\"\(String(format: "%.1f", result.durationSeconds))\">\n"
            if let signal = result.interruptedBy {
                xml += "    <error message=\"\(escape("interrupted by \(signal); verdict unknown"))\">\(escape(result.note + "\nrun directory: " + result.directory))</error>\n"
            } else if !result.passed {
                xml += "    <failure message=\"\(escape("verdict \(result.verdict), expected \(result.expected)"))\">\(escape(result.note + "\nrun directory: " + result.directory))</failure>\n"
            }
            xml += "  </testcase>\n"
        }
        for summary in summaries {
            let runs = results.filter { $0.bug == summary.bug }
            let lines = runs.map { run in
                let label = BugRunResult(rawValue: run.result ?? "")?.label ?? "error"
                let checkers = (run.checkers ?? []).isEmpty ? "" : " (\((run.checkers ?? []).joined(separator: ", ")))"
                return "\(run.name): \(label)\(checkers)\(run.note.isEmpty ? "" : " — \(run.note)"); run directory: \(run.directory)"
            }
            let seconds = runs.reduce(0) { $0 + $1.durationSeconds }
            xml += "  <testcase classname=\"samsa.suite.\(escape(suiteName)).bugs\" name=\"\(escape(summary.bug))\" time=\"\(String(format: "%.1f", seconds))\">\n"
            let message = "caught by \(summary.casesCaught) of \(summary.casesRun) case(s), \(summary.minCaught) required"
                + (summary.casesNotRun == 0 ? "" : "; \(summary.casesNotRun) case(s) not run (caught already)")
            if summary.caught {
                xml += "    <system-out>\(escape(message + "\n" + lines.joined(separator: "\n")))</system-out>\n"
            } else {
                xml += "    <failure message=\"\(escape(message))\">\(escape(lines.joined(separator: "\n")))</failure>\n"
            }
            xml += "  </testcase>\n"
        }
        xml += "</testsuite>\n"
        return xml
    }
}
