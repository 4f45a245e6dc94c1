import FaultModel
import SamsaConfig

/// A parse error with the position (0-based character offset) of the offending word, so the shell
/// can point at it and playbooks can turn it into file:line:column.
public struct CommandParseError: Error, Equatable, CustomStringConvertible {
    public var message: String
    public var offset: Int
    public var hint: String?

    public var description: String { hint.map { "\(message) (\($0))" } ?? message }

    public init(message: String, offset: Int, hint: String? = nil) {
        self.message = message
        self.offset = offset
        self.hint = hint
    }
}

/// Splits a command line into words with their offsets, as a POSIX shell does: single quotes keep
/// everything literally, double quotes keep all but `\"` and `\\`, a backslash outside quotes takes the
/// next character literally, and quoted and unquoted pieces next to each other make one word
/// (`'a b'c` is `a bc`; `''` is an empty word).
public struct CommandLexer {
    public struct Word: Equatable, Sendable {
        public var text: String
        public var offset: Int
    }

    public static func split(_ line: String) throws -> [Word] {
        var words: [Word] = []
        var current = ""
        var start = -1
        var quote: Character?
        var quoteStart = 0
        var escaped = false
        for (offset, character) in line.enumerated() {
            if escaped {
                current.append(character)
                escaped = false
                continue
            }
            if let open = quote {
                if character == open {
                    quote = nil
                } else if open == "\"" && character == "\\" {
                    escaped = true
                } else {
                    current.append(character)
                }
                continue
            }
            switch character {
            case "\"", "'":
                if start < 0 { start = offset }
                quote = character
                quoteStart = offset
            case "\\":
                if start < 0 { start = offset }
                escaped = true
            case " ", "\t":
                if start >= 0 { words.append(Word(text: current, offset: start)) }
                current = ""
                start = -1
            default:
                if start < 0 { start = offset }
                current.append(character)
            }
        }
        if quote != nil { throw CommandParseError(message: "unterminated quote", offset: quoteStart) }
        if escaped { throw CommandParseError(message: "a backslash ends the line", offset: max(0, line.count - 1)) }
        if start >= 0 { words.append(Word(text: current, offset: start)) }
        return words
    }
}

/// Parses the fault grammar:
///
///     crash|stop|restart|pause|resume|isolate|isolate-zk|power-loss TARGET
///     partition GROUP | GROUP [| GROUP ...]        partition GROUP -> GROUP
///     slow TARGET [--latency 300ms] [--jitter 50ms] [--bandwidth 100kb]
///     lossy TARGET --reset-probability 0.2
///     limit-data TARGET --bytes 4kb                 (TARGET or FROM -> TO for slow, lossy and these)
///     slice TARGET --average-size 64 [--size-variation 16] [--delay 10ms]
///     timeout TARGET [--after 5s]
///     heal [FAULT-ID | network]
///     await CONDITION [--timeout 10s]              (see `ConditionParser`)
///     elect-leaders T/P [--type preferred|unclean]  reassign T/P --replicas 2,3,1|--cancel
///
/// TARGET is a broker id, `leader_of T/P`, `followers_of T/P`, `in_sync_follower_of T/P`,
/// `controller`, `coordinator_of G`, `txn_coordinator_of ID` (a transactional id's coordinator),
/// `random` or `all`; partition groups may also name `zk` and `clients`.
public enum FaultParser {
    public static let faultNames = ["crash", "stop", "restart", "pause", "resume", "partition", "isolate", "isolate-zk", "slow", "lossy", "limit-data",
                                    "slice", "timeout", "heal", "power-loss", "await", "elect-leaders", "reassign"]
    public static let targetKeywords = ["leader_of", "followers_of", "in_sync_follower_of", "controller", "coordinator_of", "txn_coordinator_of",
                                        "random", "all"]

    public static func parse(_ line: String) throws -> FaultCommand {
        let words = try CommandLexer.split(line)
        guard !words.isEmpty else { throw CommandParseError(message: "empty command", offset: 0) }
        return try parse(words, endOffset: line.count)
    }

    public static func parse(_ words: [CommandLexer.Word], endOffset: Int) throws -> FaultCommand {
        let name = words[0]
        var rest = Array(words.dropFirst())
        func needTarget() throws -> Target {
            guard !rest.isEmpty else { throw CommandParseError(message: "\(name.text) needs a target", offset: endOffset, hint: targetHint) }
            let target = try parseTarget(&rest, allowSpecial: false)
            return target
        }
        func noMore() throws {
            if let extra = rest.first { throw CommandParseError(message: "unexpected '\(extra.text)'", offset: extra.offset) }
        }
        switch name.text {
        case "crash", "stop", "restart", "pause", "resume", "isolate", "isolate-zk", "power-loss":
            let target = try needTarget()
            try noMore()
            switch name.text {
            case "power-loss": return .powerLoss(target)
            case "crash": return .crash(target)
            case "stop": return .stop(target)
            case "restart": return .restart(target)
            case "pause": return .pause(target)
            case "resume": return .resume(target)
            case "isolate": return .isolate(target)
            default: return .isolateZookeeper(target)
            }
        case "partition":
            return try parsePartition(rest, nameOffset: name.offset, endOffset: endOffset)
        case "slow", "lossy", "limit-data", "slice", "timeout":
            // `slow 2 -> 1` (or `2->1`, groups as in partition): only the traffic from one side to the other.
            let scopeWords = Array(rest.prefix { !$0.text.hasPrefix("--") })
            var direction: (from: [Target], to: [Target])?
            if scopeWords.contains(where: { $0.text.contains("->") }) {
                guard case .partitionOneWay(let from, let to) = try parsePartition(scopeWords, nameOffset: name.offset, endOffset: endOffset) else {
                    throw CommandParseError(message: "\(name.text) between groups takes FROM -> TO", offset: scopeWords[0].offset,
                                            hint: "e.g. \(name.text) 2 -> 1, or \(name.text) clients -> 3")
                }
                direction = (from, to)
                rest.removeFirst(scopeWords.count)
            }
            let target = try direction == nil ? needTarget() : .all
            if !["slow", "lossy"].contains(name.text) {
                if direction == nil, let extra = rest.first, !extra.text.hasPrefix("--") {
                    throw CommandParseError(message: "unexpected '\(extra.text)'", offset: extra.offset, hint: "options start with --")
                }
                let toxic = try parseToxic(name, &rest, endOffset: endOffset)
                if let direction { return .toxicLinks(from: direction.from, to: direction.to, toxic) }
                return .toxic(target, toxic)
            }
            var degradation = LinkDegradation()
            while let option = rest.first {
                rest.removeFirst()
                guard let value = rest.first else { throw CommandParseError(message: "\(option.text) needs a value", offset: endOffset) }
                rest.removeFirst()
                switch (name.text, option.text) {
                case ("slow", "--latency"): degradation.latencyMs = try duration(value)
                case ("slow", "--jitter"): degradation.jitterMs = try duration(value)
                case ("slow", "--bandwidth"): degradation.bandwidthBytesPerSecond = try bandwidth(value)
                case ("lossy", "--reset-probability"):
                    guard let p = Double(value.text), (0...1).contains(p) else {
                        throw CommandParseError(message: "--reset-probability must be between 0 and 1, got '\(value.text)'", offset: value.offset)
                    }
                    degradation.resetProbability = p
                default:
                    let known = name.text == "slow" ? "--latency, --jitter, --bandwidth" : "--reset-probability"
                    throw CommandParseError(message: "unknown option '\(option.text)' for \(name.text)", offset: option.offset, hint: "options: \(known)")
                }
            }
            if name.text == "slow" {
                guard degradation.latencyMs > 0 || degradation.bandwidthBytesPerSecond != nil else {
                    throw CommandParseError(message: "slow needs --latency or --bandwidth", offset: endOffset, hint: "e.g. slow 3 --latency 300ms --jitter 50ms")
                }
                guard degradation.jitterMs <= degradation.latencyMs else {
                    throw CommandParseError(message: "--jitter (\(degradation.jitterMs)ms) cannot exceed --latency (\(degradation.latencyMs)ms)", offset: endOffset)
                }
                if let direction { return .slowLinks(from: direction.from, to: direction.to, degradation) }
                return .slow(target, degradation)
            }
            guard degradation.resetProbability > 0 else {
                throw CommandParseError(message: "lossy needs --reset-probability", offset: endOffset, hint: "e.g. lossy 2 --reset-probability 0.1")
            }
            if let direction { return .lossyLinks(from: direction.from, to: direction.to, degradation) }
            return .lossy(target, degradation)
        case "heal":
            guard let id = rest.first else { return .heal(faultId: nil) }
            if id.text == "all" && rest.count == 1 { return .heal(faultId: nil) }
            if id.text == "network" && rest.count == 1 { return .healNetwork }
            guard let number = Int(id.text), number > 0 else {
                throw CommandParseError(message: "heal takes a fault id, network, or nothing, got '\(id.text)'", offset: id.offset)
            }
            rest.removeFirst()
            try noMore()
            return .heal(faultId: number)
        case "await":
            return try parseAwait(rest, endOffset: endOffset)
        case "elect-leaders":
            return try parseElectLeaders(name, rest, endOffset: endOffset)
        case "reassign":
            return try parseReassign(name, rest, endOffset: endOffset)
        default:
            let guess = NearestName.closest(to: name.text, among: faultNames)
            throw CommandParseError(message: "unknown fault '\(name.text)'", offset: name.offset, hint: guess.map { "did you mean '\($0)'?" })
        }
    }

    /// The options of `limit-data`, `slice` and `timeout`, after the target.
    static func parseToxic(_ name: CommandLexer.Word, _ rest: inout [CommandLexer.Word], endOffset: Int) throws -> LinkToxic {
        let known: [String: [String]] = [
            "limit-data": ["--bytes"], "slice": ["--average-size", "--size-variation", "--delay"], "timeout": ["--after"],
        ]
        let allowed = known[name.text] ?? []
        var values: [String: Int] = [:]
        var offsets: [String: Int] = [:]
        while !rest.isEmpty {
            let option = rest.removeFirst()
            guard allowed.contains(option.text) else {
                throw CommandParseError(message: "unknown option '\(option.text)' for \(name.text)", offset: option.offset,
                                        hint: "options: " + allowed.joined(separator: ", "))
            }
            guard values[option.text] == nil else { throw CommandParseError(message: "\(option.text) is given twice", offset: option.offset) }
            guard !rest.isEmpty else { throw CommandParseError(message: "\(option.text) needs a value", offset: endOffset) }
            let value = rest.removeFirst()
            offsets[option.text] = value.offset
            switch option.text {
            case "--delay", "--after": values[option.text] = try duration(value)
            default: values[option.text] = try byteCount(value, allowZero: option.text == "--size-variation")
            }
        }
        let toxic: LinkToxic
        switch name.text {
        case "limit-data":
            guard let bytes = values["--bytes"] else {
                throw CommandParseError(message: "limit-data needs --bytes", offset: endOffset, hint: "e.g. limit-data 2 --bytes 4kb")
            }
            toxic = .limitData(bytes: bytes)
        case "slice":
            guard let average = values["--average-size"] else {
                throw CommandParseError(message: "slice needs --average-size", offset: endOffset, hint: "e.g. slice 2 --average-size 64 --delay 10ms")
            }
            toxic = .slice(averageSize: average, sizeVariation: values["--size-variation"] ?? 0, delayMs: values["--delay"] ?? 0)
        default:
            toxic = .timeout(afterMs: values["--after"] ?? 0)
        }
        if let problem = toxic.problem {
            let culprit = allowed.first { problem.hasPrefix($0) }.flatMap { offsets[$0] }
            throw CommandParseError(message: problem, offset: culprit ?? endOffset)
        }
        return toxic
    }

    static let targetHint = "a broker id, leader_of T/P, followers_of T/P, in_sync_follower_of T/P, controller, coordinator_of G, "
        + "txn_coordinator_of ID, random or all"

    /// `await CONDITION [--timeout D]`.
    static func parseAwait(_ words: [CommandLexer.Word], endOffset: Int) throws -> FaultCommand {
        var rest = words[...]
        let condition = try ConditionParser.parse(&rest, endOffset: endOffset)
        var timeoutMs = FaultCommand.defaultAwaitTimeoutMs
        while let option = rest.popFirst() {
            guard option.text == "--timeout" else {
                throw CommandParseError(message: "unexpected '\(option.text)'", offset: option.offset, hint: "await takes --timeout D after the condition")
            }
            guard let value = rest.popFirst() else { throw CommandParseError(message: "--timeout needs a value", offset: endOffset, hint: "e.g. --timeout 15s") }
            timeoutMs = try duration(value)
            guard timeoutMs > 0, timeoutMs <= FaultCommand.maxAwaitTimeoutMs else {
                throw CommandParseError(message: "--timeout must be more than 0 and at most 10m", offset: value.offset)
            }
        }
        return .awaitCondition(condition, timeoutMs: timeoutMs)
    }

    /// Reads one target from the front of `words`.
    static func parseTarget(_ words: inout [CommandLexer.Word], allowSpecial: Bool) throws -> Target {
        let word = words.removeFirst()
        if let id = Int32(word.text) {
            guard id > 0 else { throw CommandParseError(message: "broker ids start at 1, got \(id)", offset: word.offset) }
            return .broker(id)
        }
        switch word.text {
        case "controller": return .controller
        case "random": return .random
        case "all": return .all
        case "zk", "zookeeper":
            guard allowSpecial else { throw CommandParseError(message: "'\(word.text)' is only allowed in partition groups", offset: word.offset) }
            return .zookeeper
        case "clients":
            guard allowSpecial else { throw CommandParseError(message: "'clients' is only allowed in partition groups", offset: word.offset) }
            return .clients
        case "leader_of", "followers_of", "in_sync_follower_of":
            guard let argument = words.first else {
                throw CommandParseError(message: "\(word.text) needs topic/partition", offset: word.offset + word.text.count + 1, hint: "e.g. \(word.text) orders/0")
            }
            words.removeFirst()
            guard let slash = argument.text.lastIndex(of: "/"), let partition = Int32(argument.text[argument.text.index(after: slash)...]),
                  partition >= 0, slash > argument.text.startIndex else {
                throw CommandParseError(message: "'\(argument.text)' is not topic/partition", offset: argument.offset, hint: "e.g. orders/0")
            }
            let topic = String(argument.text[..<slash])
            switch word.text {
            case "leader_of": return .leaderOf(topic: topic, partition: partition)
            case "followers_of": return .followersOf(topic: topic, partition: partition)
            default: return .inSyncFollowerOf(topic: topic, partition: partition)
            }
        case "coordinator_of":
            guard let group = words.first else { throw CommandParseError(message: "coordinator_of needs a group id", offset: word.offset) }
            words.removeFirst()
            return .coordinatorOf(group: group.text)
        case "txn_coordinator_of":
            guard let id = words.first else { throw CommandParseError(message: "txn_coordinator_of needs a transactional id", offset: word.offset) }
            words.removeFirst()
            return .transactionCoordinatorOf(transactionalId: id.text)
        default:
            let guess = NearestName.closest(to: word.text, among: targetKeywords + (allowSpecial ? ["zk", "clients"] : []))
            throw CommandParseError(message: "unknown target '\(word.text)'", offset: word.offset,
                                    hint: guess.map { "did you mean '\($0)'?" } ?? targetHint)
        }
    }

    static func parsePartition(_ words: [CommandLexer.Word], nameOffset: Int, endOffset: Int) throws -> FaultCommand {
        var groups: [[Target]] = [[]]
        var oneWay = false
        var remaining = words
        while !remaining.isEmpty {
            let word = remaining[0]
            if word.text == "|" || word.text == "->" {
                if word.text == "->" {
                    guard groups.count == 1 && !oneWay else { throw CommandParseError(message: "a one-way partition has exactly one '->'", offset: word.offset) }
                    oneWay = true
                } else if oneWay {
                    throw CommandParseError(message: "'|' and '->' cannot be mixed", offset: word.offset)
                }
                guard !groups[groups.count - 1].isEmpty else { throw CommandParseError(message: "empty group before '\(word.text)'", offset: word.offset) }
                groups.append([])
                remaining.removeFirst()
                continue
            }
            // A quoted group (`'1 | 2 3'`, as a POSIX shell hands it over in one word) is split again.
            if word.text.contains(where: { $0 == " " || $0 == "\t" }) {
                let inner = try CommandLexer.split(word.text).map { CommandLexer.Word(text: $0.text, offset: word.offset + 1 + $0.offset) }
                remaining = inner + remaining.dropFirst()
                continue
            }
            // Words like "2->1" are split on the arrow, as "1|2" is below.
            if word.text != "->", let arrow = word.text.range(of: "->") {
                let before = String(word.text[..<arrow.lowerBound]), after = String(word.text[arrow.upperBound...])
                let at = word.offset + before.count
                var expanded: [CommandLexer.Word] = []
                if !before.isEmpty { expanded.append(.init(text: before, offset: word.offset)) }
                expanded.append(.init(text: "->", offset: at))
                if !after.isEmpty { expanded.append(.init(text: after, offset: at + 2)) }
                remaining = expanded + remaining.dropFirst()
                continue
            }
            // Words like "1|2" are split on the separator so both spellings work.
            if word.text.contains("|") && word.text != "|" {
                var expanded: [CommandLexer.Word] = []
                var offset = word.offset
                for (index, piece) in word.text.split(separator: "|", omittingEmptySubsequences: false).enumerated() {
                    if index > 0 { expanded.append(.init(text: "|", offset: offset)); offset += 1 }
                    if !piece.isEmpty { expanded.append(.init(text: String(piece), offset: offset)) }
                    offset += piece.count
                }
                remaining = expanded + remaining.dropFirst()
                continue
            }
            let target = try parseTarget(&remaining, allowSpecial: true)
            groups[groups.count - 1].append(target)
        }
        guard groups.count >= 2, groups.allSatisfy({ !$0.isEmpty }) else {
            throw CommandParseError(message: "partition needs at least two groups", offset: words.last.map { $0.offset } ?? endOffset,
                                    hint: "e.g. partition 1 | 2 3, or partition leader_of orders/0 -> followers_of orders/0")
        }
        if oneWay { return .partitionOneWay(from: groups[0], to: groups[1]) }
        return .partition(groups)
    }

    /// "300ms", "2s", "1.5s", "1m"; a bare number is milliseconds.
    public static func duration(_ word: CommandLexer.Word) throws -> Int {
        let text = word.text
        let units: [(String, Double)] = [("ms", 1), ("s", 1000), ("m", 60_000)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)), value >= 0, value * factor <= 3_600_000 { return Int(value * factor) }
        }
        if let value = Int(text), value >= 0, value <= 3_600_000 { return value }
        throw CommandParseError(message: "'\(text)' is not a duration", offset: word.offset, hint: "e.g. 300ms, 2s")
    }

    /// "4kb", "1mb", "500b" or a bare number of bytes (decimal units, as `--bandwidth`).
    public static func byteCount(_ word: CommandLexer.Word, allowZero: Bool) throws -> Int {
        let text = word.text.lowercased()
        let units: [(String, Double)] = [("gb", 1e9), ("mb", 1e6), ("kb", 1e3), ("b", 1)]
        var value: Double?
        if let number = Int(text) { value = Double(number) }
        for (suffix, factor) in units where value == nil && text.hasSuffix(suffix) {
            if let number = Double(text.dropLast(suffix.count)), number.isFinite { value = number * factor }
        }
        guard let value, value >= (allowZero ? 0 : 1), value <= 1e12, value == value.rounded() else {
            throw CommandParseError(message: "'\(word.text)' is not a \(allowZero ? "" : "positive ")number of bytes", offset: word.offset,
                                    hint: "e.g. 512, 4kb, 1mb")
        }
        return Int(value)
    }

    /// "100kb", "1mb", "500b" per second (decimal units, as network rates are quoted).
    public static func bandwidth(_ word: CommandLexer.Word) throws -> Int {
        let text = word.text.lowercased()
        let units: [(String, Double)] = [("gb", 1e9), ("mb", 1e6), ("kb", 1e3), ("b", 1)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)), value > 0 { return Int(value * factor) }
        }
        if let value = Int(text), value > 0 { return value }
        throw CommandParseError(message: "'\(word.text)' is not a bandwidth", offset: word.offset, hint: "bytes per second, e.g. 100kb, 1mb")
    }
}
