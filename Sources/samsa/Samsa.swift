import ArgumentParser
import Lab

/// The one executable. Each subcommand validates its input and delegates to a library target.
@main
struct Samsa: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "samsa",
        abstract: "A Kafka-compatible broker and a chaos laboratory around it.",
        version: "samsa \(Samsa.samsaVersion)",
        subcommands: [BrokerCommand.self, ClusterCommand.self, TopicsCommand.self, ConfigsCommand.self, GroupsCommand.self,
                      TransactionsCommand.self,
                      ProduceCommand.self, ConsumeCommand.self, FaultCLI.self, RunCommand.self, CheckCommand.self,
                      ValidateCommand.self, SuiteCommand.self, ShellCLI.self, BenchCommand.self, LogCommand.self]
    )

    /// The release this build is; `samsa --version` prints it.
    static let samsaVersion = "0.16.0"

    /// SIGPIPE is ignored before anything runs, so a reader that closes early (`| head`) shows up
    /// as EPIPE on a write, which `StandardStreams` treats as the end of the output.
    static func main() async {
        StandardStreams.ignoreBrokenPipes()
        await main(nil)
    }
}
