import ArgumentParser
import Foundation
import Lab
import Logging
import Playbook
import Report

/// Runs one plan for `samsa run` and `samsa suite`, with Ctrl-C stopping the lab cleanly.
///
/// The first SIGINT or SIGTERM asks the runner to stop (`RunStopRequest.stop`): the workload and
/// the cluster stop, then the checkers run on what was recorded and the reports are written,
/// marked interrupted (verdict unknown); the caller then exits 130. A second signal aborts: the
/// lab's processes are SIGKILLed at once and the reports are still written from what is on disk.
/// Both are bounded: when the run has not ended `interruptDeadlineSeconds` after the first signal it
/// is aborted, and when it has not ended `abortDeadlineSeconds` after the abort the process exits
/// 130 without reports (its children die with it: they are started with a parent-death signal and
/// were already SIGKILLed).
enum RunExecution {
    /// From the first signal to the abort: stopping the workload (5 s), the cluster's controlled
    /// shutdowns (15 s), merging and checking a long history.
    static let interruptDeadlineSeconds: Int64 = 90
    /// From the abort to giving up on the reports.
    static let abortDeadlineSeconds: Int64 = 30

    /// The outcome of a run, or of an interrupted run (its reports say so), with the signal.
    struct Result {
        var outcome: RunOutcome
        var interruptedBy: String?
    }

    static func execute(_ plan: RunPlan, directory: String, quiet: Bool, logLevel: String, shutdown: ShutdownSignal,
                        basePort: Int? = nil) async throws -> Result {
        let interactive = isatty(STDERR_FILENO) == 1
        let progress = ProgressReporter(interactive: interactive, quiet: quiet)
        var logger = Logger(label: "samsa.run")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        let stopRequest = RunStopRequest()
        if let signal = shutdown.first { stopRequest.stop(signal) }
        let work: Task<RunOutcome, Error>
        if plan.external != nil {
            let runner = try ExternalPlaybookRunner(plan: plan, directory: directory, logger: logger, progress: progress, stopRequest: stopRequest)
            work = Task { try await runner.run() }
        } else {
            let runner = PlaybookRunner(plan: plan, directory: directory, samsaBinary: samsaExecutablePath(), logger: logger, progress: progress,
                                        stopRequest: stopRequest, basePort: basePort)
            work = Task { try await runner.run() }
        }
        let watcher = Task { await watch(shutdown, stopRequest, work) }
        defer { watcher.cancel() }
        do {
            let outcome = try await work.value
            return Result(outcome: outcome, interruptedBy: outcome.report.interruption?.signal)
        } catch {
            if let signal = stopRequest.signal {
                StandardStreams.writeError("interrupted by \(signal) before anything was recorded; partial run in \(directory)\n")
                throw ExitCode(130)
            }
            StandardStreams.writeError("samsa run: \(error)\nrun directory: \(directory)\n")
            throw ExitCode(2)
        }
    }

    /// Turns signals into the stop and the abort, and bounds both. Returns when cancelled (the run
    /// ended); a cancelled sleep is never mistaken for a deadline that passed.
    private static func watch(_ shutdown: ShutdownSignal, _ stopRequest: RunStopRequest, _ work: Task<RunOutcome, Error>) async {
        let signal = await shutdown.wait(count: 1)
        guard !Task.isCancelled else { return }
        StandardStreams.writeError("\n\(signal): stopping the workload and the cluster, then checking what was recorded "
            + "(press Ctrl-C again to abort faster)\n")
        stopRequest.stop(signal)
        let deadline = ContinuousClock.now + .seconds(interruptDeadlineSeconds)
        while shutdown.count < 2 && ContinuousClock.now < deadline {
            do { try await Task.sleep(for: .milliseconds(100)) } catch { return }
        }
        let reason = shutdown.count >= 2 ? "a second signal" : "the run did not stop within \(interruptDeadlineSeconds) s of \(signal)"
        StandardStreams.writeError("\(reason): killing the cluster and the workload\n")
        stopRequest.abort(signal)
        do { try await Task.sleep(for: .seconds(abortDeadlineSeconds)) } catch { return }
        StandardStreams.writeError("the aborted run did not end within \(abortDeadlineSeconds) s; exiting without reports\n")
        Foundation.exit(130)
    }

    static func printSummary(_ outcome: RunOutcome) {
        let colour = TerminalSummary.wantsColour(isTerminal: isatty(STDOUT_FILENO) == 1, environment: ProcessInfo.processInfo.environment)
        StandardStreams.writeOutput(TerminalSummary.render(outcome.report, colour: colour)
            + "reports: " + outcome.files.map(\.path).joined(separator: " ") + "\n")
    }
}
