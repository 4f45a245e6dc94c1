import Foundation
import Lab
import Playbook
import Testing
import Verification

/// The schedule limits (`StepBudget`), the accounting of steps that did not run (`steps_run`), and
/// the rule for which files are read as playbooks and schedules (`SourceFile`).
@Suite struct StepLimitTests {
    static let stepsBlock = """
      steps:
        - at: 5s
          do: crash leader_of orders/0
          heal_after: 5s

    """

    /// The valid playbook with its steps replaced by `steps` (each `at` and `do`). The first step
    /// is on line 20, each taking two lines.
    func playbook(_ steps: [(at: String, command: String)], duration: String = "20s") -> String {
        let block = "  steps:\n" + steps.map { "    - at: \($0.at)\n      do: \($0.command)\n" }.joined()
        return breaking(Self.stepsBlock, with: block).replacingOccurrences(of: "  duration: 20s", with: "  duration: \(duration)")
    }

    @Test func moreStepsThanTheLimitAreRefusedBeforeTheyAreRead() {
        let steps = (0...StepBudget.maxSteps).map { (at: "\(1000 + $0)ms", command: "isolate 2") }
        let found = problems(playbook(steps, duration: "1h"))
        #expect(found.count == 1)
        #expect(found.first?.line == 20)
        #expect(found.first?.message == "steps lists 1001 steps; at most 1000 are allowed")
    }

    @Test func aBurstTooDenseToApplyIsRefusedAtTheFirstStepThatWouldStartLate() {
        // Nine steps at one instant take 0-2 s to apply; the tenth would start 2.25 s late.
        let steps = (1...12).map { index in (at: "5s", command: index % 2 == 0 ? "heal network" : "isolate 2") }
        let found = problems(playbook(steps))
        #expect(found.count == 1)
        #expect(found.first?.line == 20 + 2 * 9)
        #expect(found.first?.message.hasPrefix("step 10 ('heal network' at 5s) would start 2.25s late: too many steps too close together") == true)
        #expect(problems(playbook(Array(steps.prefix(9)))).isEmpty)
    }

    @Test func stepsThatCannotStartBeforeTheWorkloadEndsAreRefused() {
        let found = problems(playbook([(at: "19900ms", command: "stop 2"), (at: "19950ms", command: "heal")]))
        #expect(found.first?.line == 22)
        #expect(found.first?.message.contains("cannot start before the workload ends (20s)") == true)
    }

    @Test func aScheduleAtFourStepsPerSecondFits() throws {
        let steps = (0..<60).map { (at: "\(1000 + 250 * $0)ms", command: $0 % 2 == 0 ? "isolate 2" : "heal network") }
        let plan = try PlaybookLoader.parse(playbook(steps), file: "test.yaml")
        #expect(plan.steps.count == 60)
    }

    @Test func aRandomBlockThatWouldDrawTooManyStepsIsRefusedAtItsEvery() {
        let text = breaking(Self.stepsBlock, with: """
          random:
            every: 100ms
            faults:
              - isolate random

        """).replacingOccurrences(of: "  duration: 20s", with: "  duration: 1h")
        let found = problems(text)
        #expect(found.count == 1)
        #expect(found.first?.line == 20)
        #expect(found.first?.message.hasPrefix("random gives 36000 steps") == true)
    }

    @Test func theBudgetReplaysTheScheduleWithEachStepsCost() {
        let step = { (at: Int64, command: String) in RunPlan.Step(atMs: at, command: try! FaultParser.parse(command)) }
        #expect(StepBudget.check([step(0, "stop 1"), step(1000, "stop 2"), step(2000, "stop 3"), step(3000, "stop 1")], durationMs: 10_000)?.index == 3)
        #expect(StepBudget.check([step(0, "stop 1"), step(2000, "stop 2"), step(4000, "stop 3")], durationMs: 10_000) == nil)
        #expect(StepBudget.check([step(9_900, "isolate 1"), step(9_950, "heal")], durationMs: 10_000)?.index == 1)
    }

    // MARK: Steps that did not run

    static func outcome(_ index: Int, _ status: StepOutcome.Status) -> StepOutcome {
        StepOutcome(index: index, atMs: Int64(index) * 1000, command: "isolate 2", status: status)
    }

    @Test func aStepThatDidNotRunMakesTheVerdictUnknown() throws {
        let outcomes = [Self.outcome(1, .applied), Self.outcome(2, .refused), Self.outcome(3, .notReached), Self.outcome(4, .timedOutApplied)]
        let result = try #require(ExpectationEvaluation.stepsRun(outcomes, plannedSteps: 4, maxNotRun: 0))
        #expect(result.name == "steps_run")
        #expect(result.passed == nil, "not run is never a pass, and nothing was shown wrong")
        #expect(result.observed == "2 of 4 did not run")
        #expect(result.evidence.contains("step 3"))
        #expect(ExpectationEvaluation.overall([result]) == nil)
    }

    @Test func aPlaybookMayAllowSomeStepsNotToRun() throws {
        let outcomes = [Self.outcome(1, .applied), Self.outcome(2, .timedOutSkipped)]
        #expect(ExpectationEvaluation.stepsRun(outcomes, plannedSteps: 2, maxNotRun: 1)?.passed == true)
        #expect(ExpectationEvaluation.stepsRun([Self.outcome(1, .held), Self.outcome(2, .applied)], plannedSteps: 2, maxNotRun: 0)?.passed == true)
        #expect(ExpectationEvaluation.stepsRun([], plannedSteps: 0, maxNotRun: 0) == nil)
        let plan = try PlaybookLoader.parse(validPlaybook.replacingOccurrences(of: "  no_lost_writes: true", with: "  no_lost_writes: true\n  max_steps_not_run: 2"),
                                            file: "test.yaml")
        #expect(plan.expectations.maxStepsNotRun == 2)
    }

    @Test func plannedStepsWithoutARecordCountAsNotRun() throws {
        let result = try #require(ExpectationEvaluation.stepsRun([Self.outcome(1, .applied)], plannedSteps: 3, maxNotRun: 0))
        #expect(result.passed == nil)
        #expect(result.observed == "2 of 3 did not run")
    }

    @Test func interruptedAndRefusedStepsDidNotRun() {
        #expect(!Self.outcome(1, .interrupted).ran && !Self.outcome(1, .refused).ran && !Self.outcome(1, .unfinished).ran)
        #expect(Self.outcome(1, .applied).ran && Self.outcome(1, .held).ran && Self.outcome(1, .timedOutApplied).ran)
    }

    // MARK: Which files are read

    func directory() throws -> String {
        let path = NSTemporaryDirectory() + "samsa-step-limit-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    func loadProblems(_ path: String) -> [PlaybookDiagnostic] {
        do {
            _ = try PlaybookLoader.load(path: path)
            return []
        } catch let error as PlaybookError {
            return error.diagnostics
        } catch {
            Issue.record("unexpected error \(error)")
            return []
        }
    }

    @Test func aScheduleThatIsNotAYAMLFileIsNeverQuoted() throws {
        let root = try directory()
        try "root:$6$salt$secrethash:19000:0:99999:7:::\n".write(toFile: root + "/shadow", atomically: true, encoding: .utf8)
        try breaking(Self.stepsBlock, with: "  schedule: shadow\n").write(toFile: root + "/play.yaml", atomically: true, encoding: .utf8)
        let found = loadProblems(root + "/play.yaml")
        #expect(found.count == 1)
        #expect(found.first?.message == "'shadow' is not read as a schedule: schedule files must end in .yaml or .yml")
        #expect(!found.contains { $0.message.contains("secrethash") || $0.message.contains("root") })
    }

    @Test func aYAMLFileWithoutScheduleKeysIsRefusedWithoutQuotingIt() throws {
        let root = try directory()
        try "password: hunter2\nuser: admin\n".write(toFile: root + "/config.yaml", atomically: true, encoding: .utf8)
        try breaking(Self.stepsBlock, with: "  schedule: config.yaml\n").write(toFile: root + "/play.yaml", atomically: true, encoding: .utf8)
        let found = loadProblems(root + "/play.yaml")
        #expect(found.map(\.message) == ["this is not a schedule: none of its top-level keys is one of steps, random"])
        #expect(found.first?.line == 0)
        let asPlaybook = loadProblems(root + "/config.yaml")
        #expect(asPlaybook.count == 1)
        #expect(!asPlaybook.contains { $0.message.contains("hunter2") || $0.message.contains("password") })
        #expect(loadProblems(root + "/missing.yaml").first?.message.hasPrefix("cannot read the playbook") == true)
    }

    @Test func aScheduleWithItsOwnKeysStillGetsPositions() throws {
        let root = try directory()
        try "steps:\n  - at: 3s\n    do: crush 1\n".write(toFile: root + "/typo.yml", atomically: true, encoding: .utf8)
        try breaking(Self.stepsBlock, with: "  schedule: typo.yml\n").write(toFile: root + "/play.yaml", atomically: true, encoding: .utf8)
        let found = loadProblems(root + "/play.yaml")
        #expect(found.first?.line == 3)
        #expect(found.first?.message.contains("unknown fault 'crush'") == true)
    }
}
