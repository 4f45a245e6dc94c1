import ArgumentParser
import Foundation
import Logging
import Playbook
import Report

/// Runs one plan for `samsa run` and `samsa suite`, with Ctrl-C stopping the lab cleanly.
enum RunExecution {
    /// How long a run gets to stop its cluster after SIGINT/SIGTERM before the process exits anyway
    /// (its children die with it: they are started with a parent-death signal).
    static let interruptGraceSeconds: UInt64 = 20

    static func execute(_ plan: RunPlan, directory: String, quiet: Bool, logLevel: String, shutdown: ShutdownSignal) async throws -> RunOutcome {
        let interactive = isatty(STDERR_FILENO) == 1
        let progress = ProgressReporter(interactive: interactive, quiet: quiet)
        var logger = Logger(label: "samsa.run")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .warning
        let runner = PlaybookRunner(plan: plan, directory: directory, samsaBinary: samsaExecutablePath(), logger: logger, progress: progress)
        let work = Task { try await runner.run() }
        let watcher = Task {
            let signal = await shutdown.wait()
            guard !Task.isCancelled else { return }
            FileHandle.standardError.write(Data("\n\(signal): stopping the run and its cluster\n".utf8))
            work.cancel()
            try? await Task.sleep(for: .seconds(interruptGraceSeconds))
            FileHandle.standardError.write(Data("the cluster did not stop within \(interruptGraceSeconds) s; exiting\n".utf8))
            Foundation.exit(130)
        }
        defer { watcher.cancel() }
        do {
            return try await work.value
        } catch {
            if shutdown.hasFired {
                FileHandle.standardError.write(Data("interrupted; partial run in \(directory)\n".utf8))
                throw ExitCode(130)
            }
            FileHandle.standardError.write(Data("samsa run: \(error)\nrun directory: \(directory)\n".utf8))
            throw ExitCode(2)
        }
    }

    static func printSummary(_ outcome: RunOutcome) {
        let colour = TerminalSummary.wantsColour(isTerminal: isatty(STDOUT_FILENO) == 1, environment: ProcessInfo.processInfo.environment)
        print(TerminalSummary.render(outcome.report, colour: colour))
        print("reports: " + outcome.files.map(\.path).joined(separator: " "))
    }
}
