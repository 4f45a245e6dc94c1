import Foundation
import Playbook
import Testing
import Verification

/// The `bugs:` section of a suite, how a bug run's plan is built, and how its outcome is judged.
@Suite struct SeededSuiteTests {
    /// good.yaml (safe), bad.yaml (unsafe) and lib.yaml, a suite with cases safe-a, safe-b and unsafe.
    func fixtures() throws -> String {
        let directory = NSTemporaryDirectory() + "samsa-seeded-suite-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try validPlaybook.write(toFile: directory + "/good.yaml", atomically: true, encoding: .utf8)
        try """
        cases:
          - name: safe-a
            playbook: good.yaml
            expect: valid
          - name: safe-b
            playbook: good.yaml
            seed: 4
            expect: valid
          - name: unsafe
            playbook: good.yaml
            expect: invalid
        """.write(toFile: directory + "/lib.yaml", atomically: true, encoding: .utf8)
        return directory
    }

    func diagnostics(_ text: String, in directory: String) -> [String] {
        do {
            try text.write(toFile: directory + "/seeded.yaml", atomically: true, encoding: .utf8)
            _ = try Suite.load(path: directory + "/seeded.yaml")
            return []
        } catch let error as PlaybookError {
            return error.diagnostics.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test func bugsNameCasesOfTheSuiteAndOfItsCasesFromSuites() throws {
        let directory = try fixtures()
        try """
        name: seeded
        cases_from: lib.yaml
        cases:
          - name: own
            playbook: good.yaml
            expect: valid
        bugs:
          - bug: no-dedup
            cases: [safe-a, own]
          - bug: skip-truncation.v2
            cases: [safe-a, safe-b]
            min_caught: 1
        """.write(toFile: directory + "/seeded.yaml", atomically: true, encoding: .utf8)
        let suite = try Suite.load(path: directory + "/seeded.yaml")
        #expect(suite.cases.map(\.name) == ["own"])
        #expect(suite.library.map(\.name) == ["safe-a", "safe-b", "unsafe"])
        #expect(suite.bugs == [Suite.Bug(name: "no-dedup", cases: ["safe-a", "own"], minCaught: 2),
                               Suite.Bug(name: "skip-truncation.v2", cases: ["safe-a", "safe-b"], minCaught: 1)])
        #expect(suite.baselineCases.map(\.name) == ["own", "safe-a", "safe-b"], "the unnamed library case does not run")
        #expect(suite.lookup("safe-b")?.plan.seed == 4)
    }

    @Test func badBugEntriesAreReportedWithTheirPositions() throws {
        let directory = try fixtures()
        let found = diagnostics("""
        cases_from: lib.yaml
        bugs:
          - bug: ack-early
            cases: [safe-a]
          - bug: no-dedup
            cases: [safe-c, unsafe]
          - bug: no-dedup
            cases: [safe-a]
          - bug: hw-regression
        """, in: directory)
        #expect(found.contains { $0.contains("seeded.yaml:3:10: unknown seeded bug 'ack-early'") && $0.contains("known: ack-before-replication") })
        #expect(found.contains { $0.contains("seeded.yaml:6:13: no case named 'safe-c'") && $0.contains("did you mean 'safe-a'?") })
        #expect(found.contains { $0.contains("seeded.yaml:6:21: case 'unsafe' expects invalid") })
        #expect(found.contains { $0.contains("seeded.yaml:7:10: bug 'no-dedup' is listed twice") })
        #expect(found.contains { $0.contains("seeded.yaml:9:5: bug 'hw-regression' needs 'cases'") })
        #expect(found.count == 5, "\(found)")
    }

    @Test func aMissingCasesFromSuiteIsReported() throws {
        let directory = try fixtures()
        let found = diagnostics("cases_from: nowhere.yaml\nbugs:\n  - bug: no-dedup\n    cases: [safe-a]\n", in: directory)
        #expect(found.first?.contains("seeded.yaml:1:13: suite 'nowhere.yaml' not found") == true)
    }

    @Test func aBugRunAddsThePropertyAndAllowsItForTheBrokersOnly() throws {
        let plan = try PlaybookLoader.parse(validPlaybook, file: "test.yaml")
        let buggy = Suite.bugPlan(plan, bug: "no-dedup")
        #expect(buggy.brokerConfig["samsa.test.seeded.bugs"] == "no-dedup")
        #expect(buggy.brokerConfig["min.insync.replicas"] == "2", "the case's own configuration is kept")
        #expect(buggy.brokerEnvironment == ["SAMSA_ALLOW_SEEDED_BUGS": "1"])
        #expect(plan.brokerEnvironment == nil)
        #expect(buggy.steps == plan.steps && buggy.producers == plan.producers)
    }

    @Test func aPlaybookMayNameSeededBugsButNotUnknownOnes() throws {
        let plan = try PlaybookLoader.parse(breaking("    min.insync.replicas: 2", with: "    min.insync.replicas: 2\n    samsa.test.seeded.bugs: no-dedup,lossy-recovery"),
                                            file: "test.yaml")
        #expect(plan.brokerConfig["samsa.test.seeded.bugs"] == "no-dedup,lossy-recovery")
        let found = problems(breaking("    min.insync.replicas: 2", with: "    min.insync.replicas: 2\n    samsa.test.seeded.bugs: no-dedupe"))
        #expect(found.count == 1 && found[0].message.contains("unknown: no-dedupe") && found[0].message.contains("no-dedup, no-epoch-bump"))
    }

    @Test func anyInvalidCheckerCatchesTheBugAndIsNamed() {
        let judgement = BugRunJudgement.judge(verdicts: [("lost-write", .invalid), ("unseen", .valid), ("duplicate", .invalid),
                                                         ("single-leader", .unknown)], expectationsPassed: false)
        #expect(judgement == BugRunJudgement(result: .caught, checkers: ["lost-write", "duplicate"]))
    }

    @Test func aFailedExpectationAloneIsNotACatch() {
        let valid: [(checker: String, verdict: Verdict)] = [("lost-write", .valid), ("duplicate", .valid)]
        #expect(BugRunJudgement.judge(verdicts: valid, expectationsPassed: false).result == .missedLivenessOnly)
        #expect(BugRunJudgement.judge(verdicts: valid, expectationsPassed: true).result == .missed)
        #expect(BugRunJudgement.judge(verdicts: valid, expectationsPassed: nil).result == .missed)
        let unknown = BugRunJudgement.judge(verdicts: [("lost-write", .valid), ("single-leader", .unknown)], expectationsPassed: true)
        #expect(unknown == BugRunJudgement(result: .unknown, checkers: ["single-leader"]))
    }

    @Test func aBugIsCaughtWhenEnoughOfItsCasesCatchItAndTheRateCountsBugs() {
        let twice = BugSummary(bug: "no-dedup", results: [(.caught, ["duplicate"]), (.caught, ["duplicate", "lost-write"]), (.missed, [])], minCaught: 2)
        #expect(twice.caught && twice.casesCaught == 2 && twice.casesRun == 3 && twice.checkers == ["duplicate", "lost-write"])
        let once = BugSummary(bug: "hw-regression", results: [(.caught, ["hw-monotonic"]), (.missedLivenessOnly, [])], minCaught: 2)
        #expect(!once.caught)
        let rate = BugSummary.catchRate([twice, once])
        #expect(rate.caught == 1 && rate.bugs == 2 && rate.text == "1/2 (50%)")
        #expect(BugSummary.catchRate([]).text == "0/0 (0%)")
    }

    @Test func minCaughtFromTheCommandLineIsBoundedByTheCases() {
        let bug = Suite.Bug(name: "no-dedup", cases: ["a", "b"], minCaught: 2)
        #expect(bug.requiring(1).minCaught == 1 && bug.requiring(1).cases == ["a", "b"])
        #expect(bug.requiring(5).minCaught == 2)
        #expect(bug.requiring(0).minCaught == 1)
    }

    @Test func casesNotRunAreWrittenAndReadBack() throws {
        let summary = BugSummary(bug: "no-dedup", results: [(.caught, ["duplicate"])], minCaught: 1, casesNotRun: 1)
        let data = try JSONEncoder().encode(summary)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object["cases_not_run"] as? Int == 1 && object["cases_run"] as? Int == 1 && object["caught"] as? Bool == true)
        #expect(try JSONDecoder().decode(BugSummary.self, from: data) == summary)
        let older = #"{"bug":"x","cases_run":2,"cases_caught":2,"min_caught":2,"checkers":[],"caught":true}"#
        #expect(try JSONDecoder().decode(BugSummary.self, from: Data(older.utf8)).casesNotRun == 0)
    }
}
