import ArgumentParser
import Foundation
import Lab
import Playbook
import Report
import Verification

/// `samsa suite`: every playbook × schedule case of a suite, each compared with its expected
/// verdict, then every seeded bug × case run of its `bugs:` section. Exit status: 0 every case as
/// expected and every bug caught by enough of its cases, 1 otherwise, 2 invalid suite or lab failure,
/// 130 interrupted (the running case's reports, suite.json and junit.xml are written, marked
/// interrupted; the cases not started are not listed).
struct SuiteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suite",
        abstract: "Run a CI suite (Chaos/suite.yaml): each case's checkers must give its expected verdict.",
        discussion: """
        A case passes when the checkers' verdict equals its `expect` (valid or invalid) and every \
        expectation of its playbook holds. Each case runs in OUT/<case>; OUT/suite.json and \
        OUT/junit.xml (one test case per suite case) sum them up.

        A suite with a `bugs:` section (Chaos/seeded-bugs.yaml) also runs each seeded bug against \
        its cases (OUT/<bug>/<case>), with the broker property samsa.test.seeded.bugs and \
        SAMSA_ALLOW_SEEDED_BUGS=1 for the broker processes. A run catches the bug when a safety \
        checker's verdict is invalid; a bug is caught when at least min_caught (default 2) of its \
        cases catch it. The catch rate is bugs caught over bugs run. The cases a bug names also run \
        once without it (the baseline), and must come out as expected. --min-caught N asks N of \
        every bug's cases instead (at most its number of cases); --stop-when-caught runs a bug's \
        cases only until it is caught and counts the rest as not run (CI runs the seeded bugs with \
        --min-caught 1 --stop-when-caught: every bug must still be caught, at half the cost).

        SIGINT or SIGTERM stops the running case as `samsa run` does (its reports are written, marked \
        interrupted), starts no other case, writes suite.json (interrupted: true, valid: null) and \
        junit.xml (an error test case for the interruption) and exits 130.
        """
    )

    @Argument(help: "The suite file.") var suite: String
    @Option(name: .long, help: "Output directory (default: runs/suite-<time>).") var out: String?
    @Option(name: .long, help: "Seed for every case (overrides the cases' seeds).") var seed: UInt64?
    @Option(name: .long, help: "Run only the named case(s), with and without bugs. Repeatable.") var only: [String] = []
    @Option(name: .long, help: "Run only the named seeded bug(s) (and the baselines of their cases). Repeatable.") var bug: [String] = []
    @Flag(name: .long, help: "Skip the runs without a bug (the baseline); only bug runs decide the exit status.") var skipBaseline = false
    @Option(name: .long, help: "Cases that must catch each bug, instead of its min_caught (at most its number of cases).") var minCaught: Int?
    @Flag(name: .long, help: "Run a bug's cases only until it is caught; the rest are counted as not run.") var stopWhenCaught = false
    @Flag(name: .long, help: "No progress display.") var quiet = false
    @Option(name: .long, help: "Log level of the lab.") var logLevel: String = "warning"

    /// One run: a case as it is (`bug` nil, judged against `expect`) or with a seeded bug.
    struct CaseResult: Codable {
        var name: String
        var bug: String?
        var playbook: String
        var schedule: String?
        var seed: UInt64
        var expected: String
        var verdict: String
        var expectationsPassed: Bool?
        var passed: Bool
        /// Bug runs: caught, missed, missed-liveness-only, unknown or error.
        var result: String?
        /// Bug runs: the checkers that fired (or answered unknown).
        var checkers: [String]?
        var durationSeconds: Double
        var directory: String
        var note: String
        /// The signal that stopped this run; nil for a run that ended by itself.
        var interruptedBy: String?

        enum CodingKeys: String, CodingKey {
            case name, bug, playbook, schedule, seed, expected, verdict, passed, result, checkers, directory, note
            case interruptedBy = "interrupted_by"
            case expectationsPassed = "expectations_passed"
            case durationSeconds = "duration_s"
        }
    }

    func run() async throws {
        StandardStreams.exitOnClosedOutput = false
        let shutdown = ShutdownSignal.install()
        bootstrapLogging(level: .warning)
        let loaded: Suite
        do { loaded = try Suite.load(path: suite, seedOverride: seed) } catch {
            StandardStreams.writeError("\(error)\n")
            throw ExitCode(2)
        }
        let allCases = (loaded.cases + loaded.library).map(\.name)
        let unknown = only.filter { !allCases.contains($0) }
        guard unknown.isEmpty else {
            StandardStreams.writeError("samsa suite: no case named \(unknown.joined(separator: ", ")); cases: \(allCases.joined(separator: ", "))\n")
            throw ExitCode(2)
        }
        if let minCaught, minCaught < 1 {
            StandardStreams.writeError("samsa suite: --min-caught must be at least 1, got \(minCaught)\n")
            throw ExitCode(2)
        }
        let unknownBugs = bug.filter { name in !loaded.bugs.contains { $0.name == name } }
        guard unknownBugs.isEmpty else {
            StandardStreams.writeError("samsa suite: no bug named \(unknownBugs.joined(separator: ", ")) in this suite; bugs: \(loaded.bugs.map(\.name).joined(separator: ", "))\n")
            throw ExitCode(2)
        }
        let bugs = loaded.bugs.filter { bug.isEmpty || bug.contains($0.name) }
            .map { entry in Suite.Bug(name: entry.name, cases: entry.cases.filter { only.isEmpty || only.contains($0) }, minCaught: entry.minCaught) }
            .filter { !$0.cases.isEmpty }
            .map { entry in minCaught.map { entry.requiring($0) } ?? entry }
        let baselines = skipBaseline ? [] : loaded.baselineCases.filter { entry in
            (only.isEmpty || only.contains(entry.name)) && (bug.isEmpty || bugs.contains { $0.cases.contains(entry.name) })
        }
        let root: String
        do { root = try RunDirectories.prepare(out, name: "suite-" + loaded.name) } catch {
            StandardStreams.writeError("samsa suite: \(error)\n")
            throw ExitCode(2)
        }
        let total = baselines.count + bugs.reduce(0) { $0 + $1.cases.count }
        // With --stop-when-caught a caught bug's later cases are skipped: the count is a bound.
        let totalText = stopWhenCaught && !bugs.isEmpty ? "at most \(total)" : "\(total)"
        var results: [CaseResult] = []
        for entry in baselines where !shutdown.hasFired {
            StandardStreams.writeError("» run \(results.count + 1) of \(totalText): \(entry.name) (expect \(entry.expect))\n")
            let result = try await runCase(entry, bug: nil, directory: root + "/" + entry.name, shutdown: shutdown)
            results.append(result)
            StandardStreams.writeError("  \(result.interruptedBy != nil ? "INTERRUPTED" : result.passed ? "PASS" : "FAIL") \(entry.name): verdict \(result.verdict) (expected \(entry.expect))\(result.note.isEmpty ? "" : " — \(result.note)")\n")
        }
        var notRun: [String: Int] = [:]
        for seeded in bugs where !shutdown.hasFired {
            for name in seeded.cases where !shutdown.hasFired {
                guard let entry = loaded.lookup(name) else { continue }
                let catches = results.filter { $0.bug == seeded.name && $0.result == BugRunResult.caught.rawValue }.count
                if stopWhenCaught && catches >= seeded.minCaught {
                    notRun[seeded.name, default: 0] += 1
                    StandardStreams.writeError("  \(seeded.name) × \(name): not run (caught already by \(catches) case(s))\n")
                    continue
                }
                StandardStreams.writeError("» run \(results.count + 1) of \(totalText): seeded bug \(seeded.name) × \(name)\n")
                let result = try await runCase(entry, bug: seeded.name, directory: root + "/" + seeded.name + "/" + name, shutdown: shutdown)
                results.append(result)
                let fired = (result.checkers ?? []).isEmpty ? "" : " by " + (result.checkers ?? []).joined(separator: ", ")
                StandardStreams.writeError("  \(seeded.name) × \(name): \(BugRunResult(rawValue: result.result ?? "")?.label ?? "error")\(fired)\(result.note.isEmpty ? "" : " — \(result.note)")\n")
            }
        }
        let summaries = bugs.map { seeded in
            BugSummary(bug: seeded.name, results: results.filter { $0.bug == seeded.name }.map {
                (BugRunResult(rawValue: $0.result ?? "") ?? .error, $0.checkers ?? [])
            }, minCaught: seeded.minCaught, casesNotRun: notRun[seeded.name] ?? 0)
        }
        let baselineResults = results.filter { $0.bug == nil }
        let interruptedBy = shutdown.first
        let passed = interruptedBy == nil && baselineResults.allSatisfy { $0.passed } && summaries.allSatisfy { $0.caught }
        try SuiteOutput.writeSummary(results, summaries: summaries, passed: passed, root: root, suiteName: loaded.name,
                                     interruptedBy: interruptedBy, runsPlanned: total)
        print(SuiteOutput.render(results, summaries: summaries))
        if let interruptedBy {
            print("suite \(loaded.name): interrupted by \(interruptedBy) after \(results.count) of \(totalText) run(s); verdict unknown")
            print("results: \(root)/suite.json \(root)/junit.xml")
            throw ExitCode(130)
        }
        let failures = baselineResults.filter { !$0.passed }.count
        if !baselineResults.isEmpty {
            print(failures == 0 ? "suite \(loaded.name): all \(baselineResults.count) case(s) as expected"
                  : "suite \(loaded.name): \(failures) of \(baselineResults.count) case(s) differ")
        }
        if !summaries.isEmpty {
            let rate = BugSummary.catchRate(summaries)
            let missed = summaries.filter { !$0.caught }.map { $0.bug }
            print("catch rate: \(rate.text) seeded bug(s) caught by at least their required number of cases" + (missed.isEmpty ? "" : "; not caught: \(missed.joined(separator: ", "))"))
        }
        print("results: \(root)/suite.json \(root)/junit.xml")
        throw ExitCode(passed ? 0 : 1)
    }

    /// Runs one case, with `bug` switched on when given, and judges it. A failed run is recorded as
    /// an error result, an interrupted one as unknown with the signal.
    func runCase(_ entry: Suite.Case, bug: String?, directory: String, shutdown: ShutdownSignal) async throws -> CaseResult {
        let plan = bug.map { Suite.bugPlan(entry.plan, bug: $0) } ?? entry.plan
        let started = Date()
        var result = CaseResult(name: entry.name, bug: bug, playbook: entry.playbook, schedule: entry.schedule, seed: plan.seed,
                                expected: bug == nil ? "\(entry.expect)" : "invalid", verdict: "error", expectationsPassed: nil,
                                passed: false, result: bug == nil ? nil : BugRunResult.error.rawValue, checkers: bug == nil ? nil : [],
                                durationSeconds: 0, directory: directory, note: "")
        do {
            _ = try RunDirectories.prepare(directory, name: entry.name)
            let run = try await RunExecution.execute(plan, directory: directory, quiet: quiet, logLevel: logLevel, shutdown: shutdown)
            Self.judge(run.outcome, expect: entry.expect, bug: bug, into: &result)
            if let signal = run.interruptedBy { Self.markInterrupted(&result, signal) }
        } catch let exit as ExitCode where exit.rawValue == 130 {
            Self.markInterrupted(&result, shutdown.first ?? "a signal")
        } catch {
            result.note = "the run failed: \(error)"
        }
        result.durationSeconds = Date().timeIntervalSince(started)
        return result
    }

    /// Why the checkers' verdict is not the expected one, naming every checker that said invalid
    /// or unknown (`lost-write invalid`), so that a suite log alone shows where to look.
    static func verdictMismatch(_ checks: CheckReport, expect: Verdict) -> String {
        let off = checks.verdicts.filter { $0.verdict == .invalid || $0.verdict == .unknown }
        let named = off.map { "\($0.checker) \($0.verdict)" }
        let which = named.isEmpty ? "" : " (\(named.joined(separator: ", ")))"
        return "checkers said \(checks.valid)\(which), expected \(expect)"
    }

    /// An interrupted run neither passes nor fails: its verdict is unknown.
    static func markInterrupted(_ result: inout CaseResult, _ signal: String) {
        result.interruptedBy = signal
        result.verdict = "unknown"
        result.expectationsPassed = nil
        result.passed = false
        if result.bug != nil { result.result = BugRunResult.unknown.rawValue }
        result.note = "interrupted by \(signal)" + (result.note.isEmpty ? "" : "; \(result.note)")
    }

    /// The one place a run's outcome becomes a suite result. A case without a bug passes when the
    /// checkers' overall verdict equals its expectation and every expectation held; a bug run
    /// passes when it is caught (`BugRunJudgement`).
    static func judge(_ outcome: RunOutcome, expect: Verdict, bug: String?, into result: inout CaseResult) {
        let verdict = outcome.report.checks.valid
        result.verdict = "\(verdict)"
        result.expectationsPassed = outcome.passed
        let failed = outcome.expectations.filter { $0.passed != true }.map { "\($0.name): expected \($0.expected), observed \($0.observed)" }
        guard bug != nil else {
            result.passed = verdict == expect && outcome.passed == true
            result.note = verdict != expect ? Self.verdictMismatch(outcome.report.checks, expect: expect) : failed.joined(separator: "; ")
            return
        }
        let judgement = BugRunJudgement.judge(verdicts: outcome.report.checks.verdicts, expectationsPassed: outcome.passed)
        result.result = judgement.result.rawValue
        result.checkers = judgement.checkers
        result.passed = judgement.result == .caught
        result.note = judgement.result == .missedLivenessOnly ? failed.joined(separator: "; ") : ""
    }
}
