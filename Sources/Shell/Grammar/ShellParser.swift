import Foundation
import KafkaProtocol
import Lab
import Verification
import SamsaConfig

/// Parses one shell line into a `ShellCommand`. Errors carry the offset of the offending word and a
/// hint, so the shell can print one line naming the problem.
public enum ShellParser {
    /// nil for a blank line or a `#` comment.
    public static func parse(_ line: String) throws -> ShellCommand? {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed.hasPrefix("#") { return nil }
        let words = try CommandLexer.split(line)
        guard let first = words.first else { return nil }
        if FaultParser.faultNames.contains(first.text) {
            return .fault(try FaultParser.parse(words, endOffset: line.count))
        }
        let candidates = ShellCommands.specs(startingWith: first.text)
        guard !candidates.isEmpty else {
            let hint = closest(first.text, ShellCommands.firstWords).map { "did you mean '\($0)'? (help lists every command)" }
                ?? "help lists every command"
            throw CommandParseError(message: "unknown command '\(first.text)'", offset: first.offset, hint: hint)
        }
        var rest = Array(words.dropFirst())
        let spec: CommandSpec
        if candidates.count == 1 && candidates[0].path.count == 1 {
            spec = candidates[0]
        } else {
            let subcommands = candidates.map { $0.path[1] }
            guard let second = rest.first else {
                throw CommandParseError(message: "\(first.text) needs a subcommand", offset: line.count,
                                        hint: subcommands.joined(separator: ", "))
            }
            guard let match = candidates.first(where: { $0.path[1] == second.text }) else {
                let hint = closest(second.text, subcommands).map { "did you mean '\(first.text) \($0)'?" } ?? subcommands.joined(separator: ", ")
                throw CommandParseError(message: "unknown subcommand '\(first.text) \(second.text)'", offset: second.offset, hint: hint)
            }
            spec = match
            rest.removeFirst()
        }
        let arguments = try ParsedArguments(spec: spec, words: rest, endOffset: line.count)
        return try build(spec, arguments)
    }

    static func build(_ spec: CommandSpec, _ a: ParsedArguments) throws -> ShellCommand {
        switch spec.name {
        case "cluster up":
            return .clusterUp(brokers: try a.integer("--brokers", range: 1...9), config: try a.properties("--config"), directory: a.value("--dir"),
                              trackDurability: a.flag("--track-durability"),
                              basePort: try a.integer("--base-port", range: LocalCluster.basePortRange), launcher: a.value("--launcher"))
        case "cluster down": return .clusterDown
        case "cluster status": return .clusterStatus
        case "attach": return .attach(directory: a.positional(0)!)
        case "topics list": return .topicsList
        case "topics create":
            let name = a.positional(0)!
            try validateTopicName(name, offset: a.positionalOffset(0))
            return .topicsCreate(name: name, partitions: try a.integer("--partitions", range: 1...10_000) ?? 1,
                                 replicationFactor: try a.integer("--replication-factor", range: 1...9) ?? 0,
                                 config: try a.properties("--config"))
        case "topics describe": return .topicsDescribe(name: a.positional(0))
        case "topics delete": return .topicsDelete(name: a.positional(0)!)
        case "topics alter":
            guard let partitions = try a.integer("--partitions", range: 1...100_000) else {
                throw CommandParseError(message: "topics alter needs --partitions N", offset: a.positionalOffset(0), hint: "usage: \(spec.usage)")
            }
            return .topicsAlter(name: a.positional(0)!, partitions: partitions)
        case "topics delete-records":
            guard let partition = try a.integer("--partition", range: 0...100_000), let offset = try a.integer("--offset", range: -1...Int.max) else {
                throw CommandParseError(message: "topics delete-records needs --partition P and --offset O", offset: a.positionalOffset(0),
                                        hint: "usage: \(spec.usage)")
            }
            return .topicsDeleteRecords(name: a.positional(0)!, partition: Int32(partition), offset: Int64(offset))
        case "configs describe": return .configsDescribe(topic: a.positional(0)!)
        case "configs alter":
            let set = try a.properties("--set")
            let delete = a.values("--delete-config")
            guard !set.isEmpty || !delete.isEmpty else {
                throw CommandParseError(message: "nothing to change", offset: a.positionalOffset(0), hint: "--set KEY=VALUE or --delete-config KEY")
            }
            return .configsAlter(topic: a.positional(0)!, set: set, delete: delete)
        case "cluster describe": return .clusterDescribe
        case "cluster log-dirs": return .clusterLogDirs(topic: a.positional(0))
        case "topics elect-leaders":
            let partition = try a.integer("--partition", range: 0...100_000).map { Int32($0) }
            if partition != nil && a.positional(0) == nil {
                throw CommandParseError(message: "--partition needs a topic", offset: a.offset(of: "--partition"))
            }
            var type = ElectionType.preferred
            if let name = a.value("--election-type") {
                guard let named = ElectionType(name: name) else {
                    throw CommandParseError(message: "--election-type must be preferred or unclean, got '\(name)'", offset: a.offset(of: "--election-type"))
                }
                type = named
            }
            return .topicsElectLeaders(topic: a.positional(0), partition: partition, type: type)
        case "topics reassign":
            guard let partition = try a.integer("--partition", range: 0...100_000) else {
                throw CommandParseError(message: "topics reassign needs --partition P", offset: a.positionalOffset(0), hint: "usage: \(spec.usage)")
            }
            let list = a.value("--replicas")
            switch (list, a.flag("--cancel")) {
            case (nil, false):
                throw CommandParseError(message: "topics reassign needs --replicas or --cancel", offset: a.positionalOffset(0), hint: "usage: \(spec.usage)")
            case (.some, true):
                throw CommandParseError(message: "--replicas and --cancel exclude each other", offset: a.offset(of: "--replicas"))
            case (let list?, false):
                do {
                    return .topicsReassign(topic: a.positional(0)!, partition: Int32(partition), replicas: try ReplicaList.parse(list))
                } catch {
                    throw CommandParseError(message: "--replicas: \(error)", offset: a.offset(of: "--replicas"))
                }
            case (nil, true):
                return .topicsReassign(topic: a.positional(0)!, partition: Int32(partition), replicas: nil)
            }
        case "topics reassignments": return .topicsReassignments(topic: a.positional(0))
        case "produce":
            var produce = ShellCommand.Produce(topic: a.positional(0)!)
            produce.count = try a.integer("--count", range: 1...10_000_000)
            if let acks = a.value("--acks") {
                guard ["0", "1", "all", "-1"].contains(acks) else {
                    throw CommandParseError(message: "--acks must be 0, 1 or all, got '\(acks)'", offset: a.offset(of: "--acks"))
                }
                produce.acks = acks == "-1" ? "all" : acks
            }
            produce.idempotence = a.flag("--idempotence")
            produce.rate = try a.number("--rate", minimum: 0) ?? 0
            produce.keys = try a.integer("--keys", range: 0...1_000_000) ?? 0
            produce.partition = try a.integer("--partition", range: 0...10_000).map { Int32($0) }
            if let codec = a.value("--compression") {
                guard ProducerSpec.codecs.contains(codec) else {
                    throw CommandParseError(message: "--compression must be one of \(ProducerSpec.codecs.joined(separator: ", ")), got '\(codec)'",
                                            offset: a.offset(of: "--compression"))
                }
                produce.compression = codec
            }
            produce.transactional = a.flag("--transactional")
            for name in ["--txn-records", "--abort-rate"] where !produce.transactional && a.value(name) != nil {
                throw CommandParseError(message: "\(name) needs --transactional", offset: a.offset(of: name))
            }
            if produce.transactional {
                // A transactional producer is idempotent with acks=all (librdkafka refuses anything else).
                if a.value("--acks") != nil && produce.acks != "all" {
                    throw CommandParseError(message: "--transactional needs --acks all, got '\(produce.acks)'", offset: a.offset(of: "--acks"))
                }
                guard produce.count != nil else {
                    throw CommandParseError(message: "--transactional needs --count (typed lines are not sent in transactions)", offset: a.offset(of: "--transactional"))
                }
                if a.value("--keys") != nil {
                    throw CommandParseError(message: "--keys is not supported with --transactional", offset: a.offset(of: "--keys"))
                }
                produce.idempotence = true
                produce.txnRecords = try a.integer("--txn-records", range: 1...10_000) ?? 10
                let rate = try a.number("--abort-rate", minimum: 0) ?? 0
                guard rate <= 1 else {
                    throw CommandParseError(message: "--abort-rate must be between 0 and 1, got \(rate)", offset: a.offset(of: "--abort-rate"))
                }
                produce.abortRate = rate
            }
            return .produce(produce)
        case "consume":
            var consume = ShellCommand.Consume(topic: a.positional(0)!, group: a.value("--group"),
                                               count: try a.integer("--count", range: 1...10_000_000),
                                               timeoutSeconds: try a.number("--timeout", minimum: 0.1))
            if let level = a.value("--isolation-level") {
                guard let isolation = IsolationLevel(rawValue: level) else {
                    throw CommandParseError(message: "--isolation-level must be read_committed or read_uncommitted, got '\(level)'",
                                            offset: a.offset(of: "--isolation-level"))
                }
                consume.isolation = isolation
            }
            return .consume(consume)
        case "groups list": return .groupsList
        case "groups describe": return .groupsDescribe(group: a.positional(0))
        case "transactions list": return .transactionsList
        case "transactions describe": return .transactionsDescribe(transactionalId: a.positional(0)!)
        case "watch":
            let word = a.positional(0)!
            guard let kind = ShellCommand.WatchKind(rawValue: word) else {
                throw CommandParseError(message: "cannot watch '\(word)'", offset: a.positionalOffset(0), hint: "watch isr, watch lag or watch leaders")
            }
            let interval = try a.number("--interval", minimum: 0.1) ?? 1
            return .watch(kind, intervalMs: Int(interval * 1000))
        case "check": return .check
        case "report": return .report(directory: a.positional(0))
        case "run": return .run(playbook: a.positional(0)!)
        case "source": return .source(file: a.positional(0)!)
        case "help": return .help(topic: a.positional(0))
        case "exit": return .exit(keep: a.flag("--keep"))
        default: throw CommandParseError(message: "no handler for '\(spec.name)'", offset: 0)
        }
    }

    /// Kafka's topic name rule, as the broker applies it (`TopicPartition.validateTopicName`).
    static func validateTopicName(_ name: String, offset: Int) throws {
        guard TopicPartition.validateTopicName(name) == nil else {
            throw CommandParseError(message: "invalid topic name '\(name)'", offset: offset,
                                    hint: "1-249 characters of letters, digits, '.', '_' and '-'")
        }
    }

    /// The shell's spelling of `NearestName.closest`, for the session's own hints.
    static func closest(_ word: String, _ candidates: [String]) -> String? { NearestName.closest(to: word, among: candidates) }
}

/// The words after a command's name, sorted into options and positionals against its spec.
struct ParsedArguments {
    let spec: CommandSpec
    private(set) var positionals: [CommandLexer.Word] = []
    private(set) var options: [(name: CommandLexer.Word, value: CommandLexer.Word?)] = []

    init(spec: CommandSpec, words: [CommandLexer.Word], endOffset: Int) throws {
        self.spec = spec
        var index = 0
        while index < words.count {
            let word = words[index]
            index += 1
            if word.text.hasPrefix("--") {
                guard let option = spec.options.first(where: { $0.name == word.text }) else {
                    let names = spec.options.map(\.name)
                    let hint = ShellParser.closest(word.text, names).map { "did you mean \($0)?" }
                        ?? (names.isEmpty ? "\(spec.name) takes no options" : "options: " + names.joined(separator: ", "))
                    throw CommandParseError(message: "unknown option '\(word.text)' for \(spec.name)", offset: word.offset, hint: hint)
                }
                if option.value == .none {
                    options.append((word, nil))
                } else {
                    guard index < words.count else {
                        throw CommandParseError(message: "\(word.text) needs a value", offset: endOffset, hint: "usage: \(spec.usage)")
                    }
                    options.append((word, words[index]))
                    index += 1
                }
            } else {
                guard positionals.count < spec.positionals.count else {
                    throw CommandParseError(message: "unexpected '\(word.text)'", offset: word.offset, hint: "usage: \(spec.usage)")
                }
                positionals.append(word)
            }
        }
        if let missing = spec.positionals.dropFirst(positionals.count).first(where: { !$0.optional }) {
            throw CommandParseError(message: "\(spec.name) needs \(missing.name)", offset: endOffset, hint: "usage: \(spec.usage)")
        }
        for option in spec.options where option.value != .property && options.filter({ $0.name.text == option.name }).count > 1 {
            let second = options.filter { $0.name.text == option.name }[1].name
            throw CommandParseError(message: "\(option.name) given twice", offset: second.offset)
        }
    }

    func positional(_ index: Int) -> String? { index < positionals.count ? positionals[index].text : nil }
    func positionalOffset(_ index: Int) -> Int { positionals[index].offset }
    func flag(_ name: String) -> Bool { options.contains { $0.name.text == name } }
    func value(_ name: String) -> String? { options.first { $0.name.text == name }?.value?.text }
    /// Every value of an option that may repeat.
    func values(_ name: String) -> [String] { options.filter { $0.name.text == name }.compactMap { $0.value?.text } }
    /// Where an option's value starts (a flag's own word when it has none).
    func offset(of name: String) -> Int {
        guard let option = options.first(where: { $0.name.text == name }) else { return 0 }
        return option.value?.offset ?? option.name.offset
    }

    func integer(_ name: String, range: ClosedRange<Int>) throws -> Int? {
        guard let word = options.first(where: { $0.name.text == name })?.value else { return nil }
        guard let number = Int(word.text), range.contains(number) else {
            throw CommandParseError(message: "\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), got '\(word.text)'",
                                    offset: word.offset)
        }
        return number
    }

    func number(_ name: String, minimum: Double) throws -> Double? {
        guard let word = options.first(where: { $0.name.text == name })?.value else { return nil }
        guard let number = Double(word.text), number.isFinite, number >= minimum else {
            throw CommandParseError(message: "\(name) must be a number of at least \(minimum), got '\(word.text)'", offset: word.offset)
        }
        return number
    }

    func properties(_ name: String) throws -> [ShellCommand.Property] {
        try options.filter { $0.name.text == name }.map { option in
            let word = option.value!
            guard let equals = word.text.firstIndex(of: "="), equals != word.text.startIndex else {
                throw CommandParseError(message: "\(name) takes KEY=VALUE, got '\(word.text)'", offset: word.offset,
                                        hint: "e.g. \(name) min.insync.replicas=2")
            }
            return ShellCommand.Property(key: String(word.text[..<equals]), value: String(word.text[word.text.index(after: equals)...]))
        }
    }
}
