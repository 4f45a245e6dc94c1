import ArgumentParser
import Foundation
import Lab
import Shell

struct ShellCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shell",
        abstract: "An interactive shell over the lab: start a cluster, break it, watch it, check it.",
        discussion: """
        On a terminal: GNU readline with history in ~/.samsa_history and Tab completion from the live cluster. \
        Without one, commands are read from stdin, one per line, and nothing extra is echoed; with --fail-fast \
        the shell stops at the first failing command and exits 1. `help` inside the shell lists every command.
        """)
    @Flag(name: .long, help: "Without a terminal: stop at the first failing command with exit code 1.") var failFast = false
    @Option(name: .long, help: "History file.") var history: String = NSString(string: "~/.samsa_history").expandingTildeInPath
    @Option(name: .long, help: "Where `cluster up` puts lab directories (runs/shell-<time>).") var runs: String = "runs"

    func run() async throws {
        StandardStreams.exitOnClosedOutput = false
        let code = await ShellMain.run(failFast: failFast, historyPath: history, runsDirectory: runs, samsaBinary: samsaExecutablePath())
        if code != 0 { throw ExitCode(code) }
    }
}
