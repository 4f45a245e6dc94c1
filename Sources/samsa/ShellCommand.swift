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

        `samsa shell attach --bootstrap HOST:PORT[,...]` opens the shell on an existing cluster instead of a lab: \
        topics, configs, produce, consume, groups, transactions and watch work; faults, check, report and \
        cluster up/down/status need a lab and are refused.
        """)
    @Argument(help: "'attach': the shell on the existing cluster named by --bootstrap (no lab).") var mode: String?
    @Option(name: .long, help: "With `attach`: the cluster's bootstrap servers, HOST:PORT[,...].") var bootstrap: String?
    @Flag(name: .long, help: "Without a terminal: stop at the first failing command with exit code 1.") var failFast = false
    @Option(name: .long, help: "History file.") var history: String = NSString(string: "~/.samsa_history").expandingTildeInPath
    @Option(name: .long, help: "Where `cluster up` puts lab directories (runs/shell-<time>).") var runs: String = "runs"

    func validate() throws {
        if let mode, mode != "attach" {
            throw ValidationError("'\(mode)' is not a shell mode: the only one is `samsa shell attach --bootstrap HOST:PORT[,...]`")
        }
        if mode == "attach", bootstrap == nil { throw ValidationError("`samsa shell attach` needs --bootstrap HOST:PORT[,...]") }
        if mode == nil, bootstrap != nil { throw ValidationError("--bootstrap goes with attach: `samsa shell attach --bootstrap HOST:PORT[,...]`") }
    }

    func run() async throws {
        StandardStreams.exitOnClosedOutput = false
        let code = await ShellMain.run(failFast: failFast, historyPath: history, runsDirectory: runs, samsaBinary: samsaExecutablePath(),
                                       bootstrap: bootstrap)
        if code != 0 { throw ExitCode(code) }
    }
}
