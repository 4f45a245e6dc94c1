import Foundation
import Report

/// `samsa shell`: readline on a terminal, commands from stdin otherwise.
public enum ShellMain {
    /// `bootstrap`: attach to that existing cluster before the first command (`samsa shell attach`).
    public static func run(failFast: Bool, historyPath: String, runsDirectory: String, samsaBinary: String, bootstrap: String? = nil) async -> Int32 {
        Interrupts.install()
        let interactive = isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1
        let colour = TerminalSummary.wantsColour(isTerminal: interactive, environment: ProcessInfo.processInfo.environment)
        var options = ShellSession.Options(interactive: interactive, colour: colour, failFast: failFast, samsaBinary: samsaBinary)
        options.runsDirectory = runsDirectory
        let session = ShellSession(options: options)
        if let bootstrap {
            do { try await session.attachExternal(bootstrap: bootstrap) } catch {
                session.printError("\(error)", hint: nil)
                return 1
            }
        }
        let source: LineSource
        if interactive {
            print("samsa shell: `help` lists the commands, Tab completes, Ctrl-C interrupts a command, Ctrl-D or `exit` leaves.")
            source = ReadlineSource(historyPath: historyPath) { [unowned session] line in
                ShellCompletion.candidates(line, state: session.completion)
            }
        } else {
            source = StreamLineSource()
        }
        return await session.run(source)
    }
}
