import Foundation
import Verification

/// `junit.xml` for CI systems: one `<testsuite>` for the run, one `<testcase>` per expectation.
/// A failed expectation is a `<failure>` carrying its evidence; one that could not be judged is
/// an `<error>`, not a skip, because CI dashboards hide skips and an unverifiable run must not
/// look green. A run without expectations gets one test case per checker instead, judged the
/// same way, so the file never reports "no tests".
public enum JUnitReport {
    public static let fileName = "junit.xml"

    struct Case {
        var name: String
        var passed: Bool?
        var message: String
        var evidence: String
    }

    public static func render(_ report: RunReport) -> String {
        let cases = testCases(report)
        let failures = cases.filter { $0.passed == false }.count
        let errors = cases.filter { $0.passed == nil }.count
        let seconds = String(format: "%.3f", report.durationMs / 1000)
        let counts: [(String, String)] = [
            ("tests", String(cases.count)), ("failures", String(failures)), ("errors", String(errors)), ("skipped", "0"),
            ("time", seconds),
        ]
        var xml = MarkupWriter(selfClosing: true)
        xml.within("testsuites", [("name", "samsa")] + counts) { suites in
            suites.newline()
            suites.within("testsuite", [("name", report.runName)] + counts) { suite in
                suite.newline()
                suite.within("properties") { properties in
                    var values = [("playbook", report.playbook.name), ("verdict", Format.verdictWord(report.verdict))]
                    if let seed = report.seed { values.append(("seed", String(seed))) }
                    for (name, value) in values { properties.element("property", [("name", name), ("value", value)]) }
                }
                suite.newline()
                for testCase in cases {
                    testCase.write(into: &suite, className: "samsa.\(report.playbook.name)")
                    suite.newline()
                }
                suite.element("system-out", text: TerminalSummary.render(report, colour: false))
                suite.newline()
            }
            suites.newline()
        }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + xml.finished + "\n"
    }

    static func testCases(_ report: RunReport) -> [Case] {
        guard !report.expectations.isEmpty else {
            return report.checkSections.filter { $0.verdict != .notApplicable }.map { check in
                let evidence = check.evidence.prefix(report.evidenceLimit).map(JSONText.compact) + check.notes
                return Case(
                    name: check.checker, passed: check.verdict == .unknown ? nil : check.verdict == .valid,
                    message: "\(check.checker): \(check.verdict.rawValue), \(check.count) anomalies",
                    evidence: evidence.joined(separator: "\n"))
            }
        }
        return report.expectations.map { expectation in
            Case(
                name: expectation.name, passed: expectation.passed,
                message: "expected \(expectation.expected), observed \(expectation.observed)", evidence: expectation.evidence)
        }
    }
}

extension JUnitReport.Case {
    func write(into suite: inout MarkupWriter, className: String) {
        suite.within("testcase", [("name", name), ("classname", className), ("time", "0")]) { testCase in
            switch passed {
            case true?: break
            case false?: testCase.element("failure", [("message", message), ("type", "expectation failed")], text: evidence)
            case nil: testCase.element("error", [("message", "unknown: " + message), ("type", "unknown")], text: evidence)
            }
        }
    }
}
