import Foundation
import KafkaClient
import Lab
import Report

/// The shell's state and its command loop. The lab is always driven through its control socket:
/// `cluster up` starts `samsa cluster up --stop-with-parent` as a child process and attaches to it,
/// so `attach DIR` (a lab started elsewhere) and `exit --keep` work the same way.
public final class ShellSession {
    public struct Options {
        /// A person at a terminal: prompt, readline, colour (unless NO_COLOR).
        public var interactive: Bool
        public var colour: Bool
        /// Without a terminal: stop at the first failing command, exit code 1.
        public var failFast: Bool
        public var samsaBinary: String
        public var runsDirectory = "runs"

        public init(interactive: Bool, colour: Bool, failFast: Bool, samsaBinary: String) {
            self.interactive = interactive
            self.colour = colour
            self.failFast = failFast
            self.samsaBinary = samsaBinary
        }
    }

    /// A command that did not do what it was asked; printed as one line with its hint.
    struct Failure: Error, CustomStringConvertible {
        var message: String
        var hint: String?
        var description: String { hint.map { "\(message) (\($0))" } ?? message }
        init(_ message: String, hint: String? = nil) {
            self.message = message
            self.hint = hint
        }
    }

    /// The lab this shell drives, or the existing cluster it is attached to (`external`).
    struct Lab {
        /// The lab's directory; for an existing cluster, where this shell's clients write.
        var directory: String
        var bootstrap: String
        var brokers: [Int32]
        /// The `samsa cluster up` process when this shell started it; nil when attached.
        var pid: pid_t?
        var client: KafkaCluster
        var workloads: Workloads
        /// An existing cluster (`samsa shell attach --bootstrap`): no control socket, no faults.
        var external = false
        /// How this shell's `cluster up` launched the brokers; nil for a lab attached by directory
        /// (its launcher is not recorded in its status) or an existing cluster.
        var launcher: BrokerLauncher?
        /// An existing cluster's observer (Metadata and ListOffsets, as `samsa run` observes one),
        /// writing `timeline.jsonl` in `directory` for `check`; a lab observes itself.
        var observer: ExternalObservation?

        var name: String { external ? bootstrap.split(separator: ",").first.map(String.init) ?? bootstrap : URL(fileURLWithPath: directory).lastPathComponent }
    }

    let options: Options
    var lab: Lab?
    var producers = 0
    /// Each `produce`'s workload process and its acks, for `check`'s acks=all invariants.
    var producerAcks: [String: String] = [:]
    var consumers = 0
    var lastReport: RunReport?
    var completion = CompletionState()
    var exitRequested = false
    var sourceDepth = 0
    /// Where `produce TOPIC` (without --count) reads the records typed after it.
    var typedLineSource: LineSource?

    public init(options: Options) {
        self.options = options
    }

    // MARK: The loop

    /// Reads and runs commands until `exit`, end of input, or (fail-fast) the first failure.
    /// Returns the process exit code.
    public func run(_ source: LineSource) async -> Int32 {
        var failed = false
        typedLineSource = source
        while !exitRequested {
            await refreshCompletion()
            Interrupts.reset()
            let line: String?
            if options.interactive {
                line = source.next(prompt: prompt)
            } else {
                line = source.next(prompt: "")
            }
            guard let line else { break }
            let ok = await execute(line)
            if !ok {
                failed = true
                if options.failFast && !options.interactive { break }
            }
        }
        if !exitRequested { await leave(keep: false) }
        return failed && !options.interactive ? 1 : 0
    }

    var prompt: String {
        let name = lab.map { "samsa(\($0.name))> " } ?? "samsa> "
        // \u{1}..\u{2} tell readline the colour codes take no room.
        return options.colour ? "\u{1}\u{1B}[1;36m\u{2}\(name)\u{1}\u{1B}[0m\u{2}" : name
    }

    /// Runs one line; false when it failed (the error is printed).
    @discardableResult
    public func execute(_ line: String) async -> Bool {
        let command: ShellCommand?
        do {
            command = try ShellParser.parse(line)
        } catch let error as CommandParseError {
            printError(error.message, hint: error.hint, column: error.offset, line: line)
            return false
        } catch {
            printError("\(error)", hint: nil)
            return false
        }
        guard let command else { return true }
        Interrupts.reset()
        do {
            try await perform(command)
            return true
        } catch let failure as Failure {
            printError(failure.message, hint: failure.hint)
        } catch let error as CommandParseError {
            printError(error.message, hint: error.hint)
        } catch {
            printError("\(error)", hint: nil)
        }
        return false
    }

    func perform(_ command: ShellCommand) async throws {
        if let lab, lab.external, let why = Self.labOnly(command) {
            throw Failure("'\(why)' needs a Samsa lab; this shell is attached to the existing cluster at \(lab.bootstrap)",
                          hint: "faults on your own cluster run from a playbook's executor (README: Testing your own cluster); `exit` and `samsa shell` for a lab")
        }
        switch command {
        case .clusterUp(let brokers, let config, let directory, let track, let basePort, let launcher):
            try await clusterUp(brokers: brokers, config: config, directory: directory, trackDurability: track, basePort: basePort, launcher: launcher)
        case .clusterDown: try await clusterDown()
        case .clusterStatus: try await clusterStatus()
        case .attach(let directory): try await attach(directory)
        case .topicsList: try await topicsList()
        case .topicsCreate(let name, let partitions, let rf, let config):
            try await topicsCreate(name, partitions: partitions, replicationFactor: rf, config: config)
        case .topicsDescribe(let name): try await topicsDescribe(name)
        case .topicsDelete(let name): try await topicsDelete(name)
        case .topicsAlter(let name, let partitions): try await topicsAlter(name, partitions: partitions)
        case .topicsDeleteRecords(let name, let partition, let offset): try await topicsDeleteRecords(name, partition: partition, offset: offset)
        case .configsDescribe(let topic): try await configsDescribe(topic)
        case .configsAlter(let topic, let set, let delete): try await configsAlter(topic, set: set, delete: delete)
        case .clusterDescribe: try await clusterDescribe()
        case .clusterLogDirs(let topic): try await clusterLogDirs(topic)
        case .topicsElectLeaders(let topic, let partition, let type): try await topicsElectLeaders(topic, partition: partition, type: type)
        case .topicsReassign(let topic, let partition, let replicas): try await topicsReassign(topic, partition: partition, replicas: replicas)
        case .topicsReassignments(let topic): try await topicsReassignments(topic)
        case .produce(let produce): try await self.produce(produce)
        case .consume(let consume): try await self.consume(consume)
        case .groupsList: try await groupsList()
        case .groupsDescribe(let group): try await groupsDescribe(group)
        case .transactionsList: try await transactionsList()
        case .transactionsDescribe(let id): try await transactionsDescribe(id)
        case .fault(let command): try await fault(command)
        case .watch(let kind, let intervalMs): try await watch(kind, intervalMs: intervalMs)
        case .check: try await check()
        case .report(let directory): try await report(directory)
        case .run(let playbook): try await runPlaybook(playbook)
        case .source(let file): try await source(file)
        case .help(let topic): try help(topic)
        case .exit(let keep):
            await leave(keep: keep)
            exitRequested = true
        }
    }

    // MARK: Output

    func say(_ text: String) {
        StandardStreams.writeOutput((text + "\n"))
    }

    func paint(_ text: String, _ code: String) -> String { options.colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    func printError(_ message: String, hint: String?, column: Int? = nil, line: String? = nil) {
        var text = paint("error:", "1;31") + " " + message
        if let hint { text += " (\(hint))" }
        if let column, let line, options.interactive, !line.isEmpty {
            text = "  " + line + "\n  " + String(repeating: " ", count: min(column, line.count)) + "^\n" + text
        }
        StandardStreams.writeError((text + "\n"))
    }

    /// The commands that drive a lab (its control socket, its brokers' own evidence), named as
    /// the refusal says them; nil for the commands any Kafka cluster answers.
    static func labOnly(_ command: ShellCommand) -> String? {
        switch command {
        case .clusterUp: return "cluster up"
        case .clusterDown: return "cluster down"
        case .clusterStatus: return "cluster status"
        case .attach: return "attach"
        case .fault(let fault): return fault.name
        default: return nil
        }
    }

    func requireLab() throws -> Lab {
        guard let lab else { throw Failure("no cluster", hint: "start one with `cluster up --brokers 3` or `attach DIR`") }
        return lab
    }
}
