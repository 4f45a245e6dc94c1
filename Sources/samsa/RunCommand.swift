import ArgumentParser
import Foundation
import Lab
import Logging
import Playbook
import Report

/// `samsa run`: one playbook against a fresh local cluster, then the checkers and the reports.
/// Exit status: 0 every expectation held, 1 one failed (or could not be judged), 2 the playbook is
/// invalid or the lab could not run, 130 interrupted by SIGINT or SIGTERM (the reports are written,
/// marked interrupted, verdict unknown).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a playbook: cluster, workload, faults, then check the invariants and write reports.",
        discussion: """
        The playbook is validated first (every problem as file:line:column). Then ZooKeeper and the \
        brokers start in the run directory, the topics are created, the workload runs with the fault \
        schedule, every fault is healed, the cluster settles, a final reader reads every partition, \
        and the checkers judge the history. Reports: report.json, report.md, report.html, junit.xml. \
        Exit status: 0 every expectation held; 1 one failed or could not be judged (a scheduled step \
        that did not run makes the verdict unknown); 2 invalid playbook or the lab could not run; \
        130 interrupted by SIGINT or SIGTERM: the workload and the cluster stop, the checkers judge \
        what was recorded and the reports are written, marked interrupted (valid: null). A second \
        signal kills the lab's processes at once (the reports are still written).
        """
    )

    @Argument(help: "The playbook (YAML).") var playbook: String
    @Option(name: .long, help: "Run directory (default: runs/<playbook>-<time>). Must not exist or be empty.") var out: String?
    @Option(name: .long, help: "Seed for randomized schedules and the `random` target (overrides the playbook's).") var seed: UInt64?
    @Option(name: .long, help: "Use this schedule file instead of the playbook's faults.") var schedule: String?
    @Flag(name: .long, help: "No progress display; only the summary.") var quiet = false
    @Option(name: .long, help: "Log level of the lab (debug, info, warning, error).") var logLevel: String = "warning"
    @Option(name: .long, help: "Client port of broker 1; broker i gets base-port + i - 1, its metrics port base-port + 100 + i - 1 (default: a free range).")
    var basePort: Int?

    func validate() throws {
        if let basePort, let problem = LocalCluster.basePortProblem(basePort) { throw ValidationError(problem) }
    }

    func run() async throws {
        StandardStreams.exitOnClosedOutput = false
        let shutdown = ShutdownSignal.install()
        bootstrapLogging(level: Logger.Level(rawValue: logLevel) ?? .warning)
        let plan: RunPlan
        do {
            plan = try PlaybookLoader.load(path: playbook, seedOverride: seed, scheduleOverride: schedule)
        } catch {
            StandardStreams.writeError("\(error)\n")
            throw ExitCode(2)
        }
        if basePort != nil, plan.external != nil {
            StandardStreams.writeError("samsa run: --base-port chooses the ports of the built-in lab; \(playbook) runs against an existing cluster (external:)\n")
            throw ExitCode(2)
        }
        let directory: String
        do { directory = try RunDirectories.prepare(out, name: plan.name) } catch {
            StandardStreams.writeError("samsa run: \(error)\n")
            throw ExitCode(2)
        }
        let result = try await RunExecution.execute(plan, directory: directory, quiet: quiet, logLevel: logLevel, shutdown: shutdown,
                                                    basePort: basePort)
        RunExecution.printSummary(result.outcome)
        if let signal = result.interruptedBy {
            StandardStreams.writeError("interrupted by \(signal): the reports in \(directory) judge what was recorded until then (verdict unknown)\n")
            throw ExitCode(130)
        }
        throw ExitCode(result.outcome.passed == true ? 0 : 1)
    }
}

/// `samsa check DIR`: the checkers and reports again on a finished run directory.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Re-run the checkers on a finished run directory and rewrite its reports.",
        discussion: "Exit status as for `samsa run`: 0 every expectation held, 1 one failed or could not be judged, 2 not a run directory."
    )

    @Argument(help: "A run directory written by samsa run.") var directory: String

    func run() async throws {
        // The exit status is the verdict: a closed output must not turn it into 0.
        StandardStreams.exitOnClosedOutput = false
        let outcome: RunOutcome
        do { outcome = try RunChecker.check(directory: directory) } catch {
            StandardStreams.writeError("samsa check: \(error)\n")
            throw ExitCode(2)
        }
        RunExecution.printSummary(outcome)
        throw ExitCode(outcome.passed == true ? 0 : 1)
    }
}

/// `samsa validate`: a playbook, schedule suite or several, checked without running anything.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check playbooks or suites without running them; print every problem as file:line:column.")

    @Argument(help: "Playbook or suite files (a suite is a file with `cases:`).") var files: [String]
    @Option(name: .long, help: "Seed for randomized schedules.") var seed: UInt64?
    @Flag(name: .long, help: "Print each plan (with randomized schedules expanded) as JSON.") var plan = false

    func run() throws {
        // The exit status says whether every file is valid: a closed output must not turn it into 0.
        StandardStreams.exitOnClosedOutput = false
        var failed = false
        for file in files {
            do {
                if RunDirectories.looksLikeSuite(file) {
                    let suite = try Suite.load(path: file, seedOverride: seed)
                    let bugs = suite.bugs.isEmpty ? "" : ", \(suite.bugs.count) seeded bug(s) × \(suite.bugs.reduce(0) { $0 + $1.cases.count }) run(s)"
                    print("\(file): suite '\(suite.name)', \(suite.cases.count) case(s)\(bugs), valid")
                    if plan { for entry in suite.cases { try printJSON(entry.plan) } }
                } else {
                    let loaded = try PlaybookLoader.load(path: file, seedOverride: seed)
                    print("\(file): playbook '\(loaded.name)', \(loaded.brokers) broker(s), \(loaded.steps.count) step(s), valid")
                    if plan { try printJSON(loaded) }
                }
            } catch {
                StandardStreams.writeError("\(error)\n")
                failed = true
            }
        }
        if failed { throw ExitCode(2) }
    }
}
