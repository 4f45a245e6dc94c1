import KafkaProtocol
import Lab
import Playbook
import Verification

/// What the live lab knows, for completion: read from the cluster before each completion.
public struct CompletionState: Equatable, Sendable {
    public var topics: [String: Int32] = [:]
    public var brokers: [Int32] = []
    public var groups: [String] = []
    public var faultIds: [String] = []
    /// Candidate playbook, command and directory paths.
    public var playbooks: [String] = []
    public var files: [String] = []
    public var directories: [String] = []

    public init(topics: [String: Int32] = [:], brokers: [Int32] = [], groups: [String] = [], faultIds: [String] = [],
                playbooks: [String] = [], files: [String] = [], directories: [String] = []) {
        self.topics = topics
        self.brokers = brokers
        self.groups = groups
        self.faultIds = faultIds
        self.playbooks = playbooks
        self.files = files
        self.directories = directories
    }
}

/// Completion on the pure grammar: the candidates for the word under the cursor, given the words
/// before it. Works on partial and malformed input (it never throws).
public enum ShellCompletion {
    /// `line` is the text up to the cursor. Returns the full candidate words that start with the
    /// partial word being typed, sorted, without duplicates.
    public static func candidates(_ line: String, state: CompletionState) -> [String] {
        let (before, partial) = split(line)
        let options = candidates(before: before, state: state)
        var seen = Set<String>()
        return options.filter { $0.hasPrefix(partial) && seen.insert($0).inserted }.sorted()
    }

    /// The completed words and the partial one (empty after a trailing space). Quotes are not
    /// completed inside.
    static func split(_ line: String) -> ([String], String) {
        var words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        if line.isEmpty || line.hasSuffix(" ") || line.hasSuffix("\t") { return (words, "") }
        let partial = words.removeLast()
        return (words, partial)
    }

    static func candidates(before: [String], state: CompletionState) -> [String] {
        guard let first = before.first else { return ShellCommands.firstWords }
        if FaultParser.faultNames.contains(first) { return faultCandidates(first, Array(before.dropFirst()), state) }
        let specs = ShellCommands.specs(startingWith: first)
        guard !specs.isEmpty else { return [] }
        var rest = Array(before.dropFirst())
        let spec: CommandSpec
        if specs.count == 1 && specs[0].path.count == 1 {
            spec = specs[0]
        } else {
            guard let second = rest.first else { return specs.map { $0.path[1] } }
            guard let match = specs.first(where: { $0.path[1] == second }) else { return [] }
            spec = match
            rest.removeFirst()
        }
        if let last = rest.last, let option = spec.options.first(where: { $0.name == last }), option.value != .none {
            return values(option.value, state)
        }
        var positionalCount = 0
        var index = 0
        while index < rest.count {
            if let option = spec.options.first(where: { $0.name == rest[index] }) {
                index += option.value == .none ? 1 : 2
            } else {
                positionalCount += 1
                index += 1
            }
        }
        let usedOptions = Set(rest.filter { $0.hasPrefix("--") })
        let optionNames = spec.options.filter { $0.value == .property || !usedOptions.contains($0.name) }.map(\.name)
        if positionalCount < spec.positionals.count {
            return values(spec.positionals[positionalCount].kind, state) + (spec.positionals[positionalCount].optional ? optionNames : [])
        }
        return optionNames
    }

    static func values(_ kind: WordKind, _ state: CompletionState) -> [String] {
        switch kind {
        case .topic: return Array(state.topics.keys)
        case .group: return state.groups
        case .directory: return state.directories
        case .playbook: return state.playbooks
        case .file: return state.files
        case .watchKind: return ShellCommand.WatchKind.allCases.map(\.rawValue)
        case .helpTopic: return ShellCommands.firstWords
        case .acks: return ["0", "1", "all"]
        case .codec: return ProducerSpec.codecs
        case .electionType: return ElectionType.allCases.map(\.name)
        case .isolation: return IsolationLevel.allCases.map(\.rawValue)
        case .launcher: return LauncherLoader.builtinNames + state.playbooks.filter { !$0.hasPrefix("Playbooks/") }
        case .property: return ["min.insync.replicas=", "unclean.leader.election.enable=", "replica.lag.time.max.ms=", "retention.ms="]
        case .newTopic, .transactionalId, .integer, .number, .replicaList, .none: return []
        }
    }

    static func partitions(_ state: CompletionState) -> [String] {
        state.topics.flatMap { topic, count in (0..<max(count, 0)).map { "\(topic)/\($0)" } }
    }

    static func faultCandidates(_ name: String, _ rest: [String], _ state: CompletionState) -> [String] {
        let brokers = state.brokers.map(String.init)
        let targets = brokers + FaultParser.targetKeywords
        switch rest.last {
        case "leader_of", "followers_of", "in_sync_follower_of": return partitions(state)
        case "coordinator_of": return state.groups
        case "--latency", "--jitter": return ["50ms", "100ms", "300ms", "1s"]
        case "--bandwidth": return ["10kb", "100kb", "1mb"]
        case "--reset-probability": return ["0.1", "0.2", "0.5"]
        case "--bytes": return ["1kb", "4kb", "64kb"]
        case "--average-size", "--size-variation": return ["16", "64", "256"]
        case "--delay", "--after": return ["0", "10ms", "1s", "5s"]
        default: break
        }
        switch name {
        case "heal": return rest.isEmpty ? state.faultIds + ["network"] : []
        case "await": return awaitCandidates(rest, state)
        case "elect-leaders":
            if rest.isEmpty { return partitions(state) }
            return rest.last == "--type" ? LeaderElection.allCases.map(\.rawValue) : (rest.contains("--type") ? [] : ["--type"])
        case "reassign":
            if rest.isEmpty { return partitions(state) }
            return rest.contains("--replicas") || rest.contains("--cancel") ? [] : ["--replicas", "--cancel"]
        case "partition":
            let special = ["zk", "clients"]
            if rest.isEmpty { return targets + special }
            return targets + special + (rest.contains("->") || rest.contains("|") ? ["|"] : ["|", "->"]).filter { !(rest.contains("->") && $0 == "|") }
        case "slow", "lossy", "limit-data", "slice", "timeout":
            if rest.isEmpty { return targets }
            let options: [String]
            switch name {
            case "slow": options = ["--latency", "--jitter", "--bandwidth"]
            case "lossy": options = ["--reset-probability"]
            case "limit-data": options = ["--bytes"]
            case "slice": options = ["--average-size", "--size-variation", "--delay"]
            default: options = ["--after"]
            }
            return options.filter { !rest.contains($0) }
        default:
            return rest.isEmpty ? targets : []
        }
    }

    /// `await isr T/P OP N`, `await lag followers_of T/P OP N`, … then `--timeout`.
    static func awaitCandidates(_ rest: [String], _ state: CompletionState) -> [String] {
        guard let name = rest.first else { return Condition.names }
        if rest.last == "--timeout" { return ["5s", "10s", "30s"] }
        let words = name == "lag" ? Array(rest.dropFirst()) : Array(rest)
        switch (name, rest.count) {
        case ("lag", 1): return ["followers_of"]
        case ("under_min_isr", 1), ("isr", 1), ("leader", 1), ("lag", 2): return partitions(state)
        case ("leader", 2): return ["==", "!="]
        case ("isr", 2), ("lag", 3): return ComparisonOperator.allCases.map(\.rawValue)
        case ("leader", 3): return state.brokers.map(String.init) + ["none"]
        default: return words.contains("--timeout") ? [] : ["--timeout"]
        }
    }
}
