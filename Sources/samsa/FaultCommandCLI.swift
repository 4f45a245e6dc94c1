import ArgumentParser
import Foundation
import Lab

struct FaultCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fault",
        abstract: "Inject or heal a fault in a running lab (see `samsa cluster up`).",
        discussion: """
        FAULT is one of:
          crash|stop|restart|pause|resume|isolate|isolate-zk|power-loss TARGET
          partition GROUP | GROUP [| GROUP]      partition GROUP -> GROUP   (one way)
          slow TARGET|FROM -> TO [--latency 300ms] [--jitter 50ms] [--bandwidth 100kb]
          lossy TARGET|FROM -> TO --reset-probability 0.1
          limit-data TARGET|FROM -> TO --bytes 4kb
          slice TARGET|FROM -> TO --average-size 64 [--size-variation 16] [--delay 5ms]
          timeout TARGET|FROM -> TO [--after 5s]  (--after 0, the default: silent until healed)
          heal [FAULT-ID | network]
          await CONDITION [--timeout 10s]        (blocks; exits 1 if it did not hold in time)
          elect-leaders T/P [--type preferred|unclean]
          reassign T/P --replicas 2,3,1 | --cancel
        TARGET: a broker id, leader_of T/P, followers_of T/P, in_sync_follower_of T/P, controller,
        coordinator_of G, txn_coordinator_of ID, random, all; partition groups may also name zk and clients.
        CONDITION: isr T/P OP N, under_min_isr T/P, lag followers_of T/P OP N, leader T/P == N|none,
        leader T/P != N|none; OP is one of == != < <= > >=.
        power-loss needs a lab started with --track-durability.
        elect-leaders and reassign are admin requests, sent once; a refusal (ELECTION_NOT_NEEDED…) exits 1.
        Examples:
          samsa fault --dir D crash 2
          samsa fault --dir D isolate leader_of orders/0
          samsa fault --dir D partition '1 | 2 3'
          samsa fault --dir D slow 3 --latency 300ms --jitter 50ms
          samsa fault --dir D limit-data 'clients -> 3' --bytes 4kb
          samsa fault --dir D await isr orders/0 == 1 --timeout 15s
          samsa fault --dir D reassign orders/0 --replicas 3,1
          samsa fault --dir D heal
        """
    )

    @Option(name: .long, help: "Run directory of the lab.") var dir: String = "./samsa-cluster"
    @Flag(name: .long, help: "JSON for scripts.") var json = false
    @Argument(parsing: .captureForPassthrough, help: "The fault and its arguments.") var words: [String] = []

    /// The fault, parsed once here where it was typed; the lab receives the value. Nil only
    /// before `validate()`, which ArgumentParser runs before `run()`.
    var command: FaultCommand?

    /// `command` is no argument of its own: it is filled from `words` by `validate()`.
    enum CodingKeys: String, CodingKey {
        case dir, json, words
    }

    mutating func validate() throws {
        // The words are passed through unparsed, so help has to be recognised here.
        if words.contains("--help") || ["-h", "help"].contains(words.first ?? "") { throw CleanExit.helpRequest(self) }
        guard !words.isEmpty else { throw ValidationError("name a fault, e.g. `samsa fault --dir D crash 2`") }
        do { command = try FaultParser.parse(line) } catch { throw ValidationError("\(error)") }
    }

    /// Words rejoined; a word with spaces (a quoted partition) is kept whole by the grammar's split.
    var line: String { words.joined(separator: " ") }

    func run() async throws {
        // The exit status says whether the fault was applied: a closed output must not turn it into 0.
        StandardStreams.exitOnClosedOutput = false
        guard let command else { preconditionFailure("samsa fault ran without validate() parsing its words") }
        let response: ControlResponse
        // An await may take its whole timeout; the lab answers when it ends.
        var timeoutMs = 60_000
        if case .awaitCondition(_, let waitMs) = command { timeoutMs = waitMs + 15_000 }
        do { response = try ControlClient.send(.fault(command), directory: dir, timeoutMs: timeoutMs) } catch { throw fail("fault", error) }
        if json {
            try printJSON(response)
            if !response.ok { throw ExitCode(1) }
            return
        }
        guard response.ok else { throw fail("fault", ControlClient.Failure(description: response.error ?? "failed")) }
        print(response.message ?? "ok")
    }
}
