import Foundation
import KafkaClient
import KafkaProtocol
import Lab
import Playbook
import Processes
import Report
import Verification

extension ShellSession {
    /// Reads every partition back with a real consumer, merges it with what this session's
    /// producers and consumers recorded, and runs every checker, plus the ISR and leadership
    /// history of the lab's timeline since `cluster up`. On an existing cluster (`attach
    /// --bootstrap`), or a lab whose launcher's brokers leave no Samsa evidence, the checks that
    /// need that evidence are unknown with their reason and the session is judged by the others,
    /// as `samsa run` judges such a cluster (`ExternalEvidence`).
    func check() async throws {
        let lab = try requireLab()
        let admin = KafkaAdmin(cluster: lab.client)
        let partitions = try await admin.describeTopics(nil)
        let topics = Set(partitions.map(\.topic)).sorted()
        guard !topics.isEmpty else { throw Failure("no topics to check", hint: "topics create ..., produce ..., then check") }
        let minIsr = (try? await admin.minInsyncReplicas(Set(topics))) ?? [:]
        let unclean = "unclean.leader.election.enable"
        let topicConfigs = (try? await admin.configs(resourceType: 2, names: topics, keys: [unclean])) ?? [:]
        let brokerConfig = (try? await admin.configs(resourceType: 4, names: [""], keys: [unclean, "replica.lag.time.max.ms"]))?.values.first ?? [:]
        var parameters = RunParameters(uncleanLeaderElectionDefault: brokerConfig[unclean] == "true",
                                       replicaLagTimeMaxMs: brokerConfig["replica.lag.time.max.ms"].flatMap { Int64($0) },
                                       producerAcks: producerAcks)
        for topic in topics {
            let own = partitions.filter { $0.topic == topic }
            parameters.topics[topic] = TopicSettings(partitions: Int32(own.count), replicationFactor: Int32(own.map(\.replicas.count).max() ?? 1),
                                                     minInSyncReplicas: Int32(minIsr[topic] ?? 1),
                                                     uncleanLeaderElection: (topicConfigs[topic]?[unclean] ?? brokerConfig[unclean]) == "true")
        }
        say("reading \(topics.count) topic(s) back from the start ...")
        let workloads = lab.workloads
        let status = try await Blocking.run { try CheckPipeline.readBack(workloads, topics: topics, timeoutSeconds: 60) }
        if status != 0 { say("  the final read did not reach every high watermark (status \(status)); what it missed is unknown, not lost") }
        try CheckPipeline.merge(workloads)
        // An existing cluster: the timeline of the shell's own observer; no census, no data directories.
        let timeline = Timeline.load(path: lab.directory + "/timeline.jsonl")
        let evidence = lab.external ? (timeline: timeline, replicas: ReplicaDigestInput.absent)
            : await liveEvidence(lab, partitions: partitions.map { TopicPartition($0.topic, $0.partition) }, timeline: timeline)
        var run = CheckPipeline.judge(directory: workloads.directory, timeline: evidence.timeline, parameters: parameters, replicas: evidence.replicas)
        let everyCheck = ExternalEvidence.judge(&run.checks, external: lab.external, launcher: lab.launcher)
        let report = RunReport(run, runName: URL(fileURLWithPath: lab.directory).lastPathComponent,
                               playbook: PlaybookSummary(name: "shell session", description: "what this shell produced and consumed, read back with `check`"),
                               brokers: lab.brokers, expectations: everyCheck.map { [$0] } ?? [])
        lastReport = report
        say(TerminalSummary.render(report, colour: options.colour))
        if report.verdict == .invalid { throw Failure("check found violations", hint: "`report` writes the evidence to report.html") }
    }

    func report(_ directory: String?) async throws {
        if lastReport == nil { try await check() }
        guard let report = lastReport else { return }
        let target = try directory ?? requireLab().directory
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        let files = try report.write(to: URL(fileURLWithPath: target))
        say("reports: " + files.map(\.path).joined(separator: " "))
    }

    /// `run PLAYBOOK`: `samsa run` as a child process on its own cluster, writing to this shell's
    /// output; Ctrl-C is passed on to it (it stops its cluster and exits 130).
    func runPlaybook(_ path: String) async throws {
        guard FileManager.default.fileExists(atPath: path) else { throw Failure("no playbook at \(path)", hint: "e.g. run Playbooks/quickstart.yaml") }
        // The child reopens this process's stdout; its own process group keeps the terminal's
        // Ctrl-C away from it, so the shell decides what reaches it.
        let pid = try ChildProcess.spawn(executable: options.samsaBinary, arguments: ["run", path],
                                         options: ChildProcess.Options(outputPath: "/proc/\(getpid())/fd/1"))
        var forwarded = false
        var status: Int32?
        while status == nil {
            if Interrupts.pending && !forwarded {
                forwarded = true
                kill(pid, SIGINT)
            }
            status = ChildProcess.exitStatus(of: pid)
            if status == nil { _ = Interrupts.sleep(ms: 100) }
        }
        let code = status! & 0x7f == 0 ? (status! >> 8) & 0xff : -1
        switch code {
        case 0: return
        case 1: throw Failure("the playbook's expectations failed", hint: "see its report above")
        case 130: throw Failure("the run was interrupted")
        default: throw Failure("samsa run ended with \(ChildProcess.describe(waitStatus: status!))")
        }
    }

    /// Runs FILE's commands one per line; stops at the first failure when fail-fast.
    func source(_ file: String) async throws {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { throw Failure("cannot read \(file)") }
        guard sourceDepth < 8 else { throw Failure("source nested too deeply (a file sourcing itself?)") }
        sourceDepth += 1
        defer { sourceDepth -= 1 }
        var failures = 0
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if options.interactive { say(paint("\(file):\(number + 1)> ", "2") + trimmed) }
            if !(await execute(String(line))) {
                failures += 1
                if options.failFast || Interrupts.pending { throw Failure("\(file):\(number + 1): stopped at this failing command") }
            }
            if exitRequested { return }
        }
        if failures > 0 { throw Failure("\(failures) command(s) of \(file) failed") }
    }

    func help(_ topic: String?) throws {
        let width = TextWrap.terminalWidth()
        guard let topic else {
            // Each command's usage, then what it does indented under it, both wrapped at word
            // boundaries to the terminal: a two-column table of long usages wrapped mid-word.
            var lines: [String] = []
            for (usage, summary) in ShellCommands.all.map({ ($0.usage, $0.summary) }) + ShellCommands.faults.map({ ($0.usage, $0.summary) }) {
                lines += TextWrap.wrap(words: TextWrap.usageWords(usage), width: width, indent: "    ", indentFirst: false)
                lines += TextWrap.wrap(summary, width: width, indent: "        ")
            }
            lines.append("")
            lines += TextWrap.wrap("TARGET: a broker id, leader_of TOPIC/P, followers_of TOPIC/P, controller, coordinator_of GROUP, random, all", width: width)
            lines += TextWrap.wrap("Tab completes commands, options, topics, brokers, groups, faults and files. `help COMMAND` shows examples.", width: width)
            say(lines.joined(separator: "\n"))
            return
        }
        if let fault = ShellCommands.faults.first(where: { $0.name == topic }) {
            say("\(fault.usage)\n  \(fault.summary)\n  example: \(fault.example)")
            return
        }
        let specs = ShellCommands.specs(startingWith: topic)
        guard !specs.isEmpty else {
            throw Failure("no command '\(topic)'", hint: ShellParser.closest(topic, ShellCommands.firstWords).map { "did you mean '\($0)'?" } ?? "help lists every command")
        }
        for spec in specs {
            say("\(spec.usage)\n  \(spec.summary)")
            for option in spec.options { say("  \(option.name)\(option.value == .none ? "" : " " + option.value.placeholder): \(option.help)") }
            for example in spec.examples { say("  example: \(example)") }
        }
    }

    // MARK: Watch

    /// Refreshes a table in place until a key, Ctrl-C, or (without a terminal) after one table.
    func watch(_ kind: ShellCommand.WatchKind, intervalMs: Int) async throws {
        let lab = try requireLab()
        let keys = options.interactive ? RawKeys() : nil
        defer { keys?.restore() }
        var printedLines = 0
        while true {
            let table: String
            switch kind {
            case .isr, .leaders:
                let partitions = try await KafkaAdmin(cluster: lab.client).describeTopics(nil)
                table = kind == .isr ? Self.partitionTable(partitions, colour: options.colour) : Self.leaderTable(partitions, brokers: lab.brokers)
            case .lag:
                table = try await lagTable(lab, group: nil)
            }
            let stamp = Self.clock.string(from: Date())
            guard options.interactive else {
                say(table)
                return
            }
            // Up over the last drawing and clear below it: the table is redrawn in place.
            if printedLines > 0 { StandardStreams.writeOutput("\u{1B}[\(printedLines)A\u{1B}[J") }
            let text = "watch \(kind.rawValue) every \(Double(intervalMs) / 1000) s at \(stamp); any key stops\n" + table
            say(text)
            printedLines = text.split(separator: "\n", omittingEmptySubsequences: false).count
            let deadline = Date(timeIntervalSinceNow: Double(intervalMs) / 1000)
            while Date() < deadline {
                if Interrupts.pending || keys?.pressed() == true { return }
                _ = Interrupts.sleep(ms: 50)
            }
        }
    }

    static func leaderTable(_ partitions: [KafkaAdmin.PartitionDescription], brokers: [Int32]) -> String {
        var table = TextTable(["BROKER", "LEADS", "PARTITIONS"])
        for broker in brokers {
            let led = partitions.filter { $0.leader == broker }.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
            table.add([String(broker), String(led.count), led.map { "\($0.topic)/\($0.partition)" }.joined(separator: " ")])
        }
        let offline = partitions.filter { $0.leader < 0 }
        if !offline.isEmpty { table.add(["none", String(offline.count), offline.map { "\($0.topic)/\($0.partition)" }.joined(separator: " ")]) }
        return table.render()
    }

    // MARK: Completion state

    /// Topics, groups, brokers and faults from the live lab, files from the working directory.
    func refreshCompletion() async {
        guard options.interactive else { return }
        var state = CompletionState()
        let manager = FileManager.default
        let here = (try? manager.contentsOfDirectory(atPath: ".")) ?? []
        let playbooks = ((try? manager.contentsOfDirectory(atPath: "Playbooks")) ?? []).map { "Playbooks/" + $0 }
        state.playbooks = (here + playbooks).filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
        state.files = here.filter { !$0.hasPrefix(".") }
        let runs = ((try? manager.contentsOfDirectory(atPath: options.runsDirectory)) ?? []).map { options.runsDirectory + "/" + $0 }
        state.directories = runs.filter { manager.fileExists(atPath: $0 + "/control.sock") }
        if let lab {
            state.brokers = lab.brokers
            if let metadata = try? await lab.client.refreshMetadata(topics: nil) {
                for (name, topic) in metadata.topics where !topic.isInternal { state.topics[name] = Int32(topic.partitions.count) }
            }
            state.groups = ((try? await KafkaAdmin(cluster: lab.client).listGroups()) ?? []).map(\.group).sorted()
            if !lab.external, let status = try? ControlClient.send(.status, directory: lab.directory, timeoutMs: 2000).status {
                state.faultIds = status.faults.map { String($0.id) }
            }
        }
        completion = state
    }
}
