import FaultModel
import SamsaConfig

/// Parses the condition grammar shared by playbook steps (`when:`) and the `await` command:
///
///     isr T/P OP N                  ISR size (OP: == != < <= > >=)
///     under_min_isr T/P             ISR smaller than min.insync.replicas
///     lag followers_of T/P OP N     records the most caught-up follower lacks
///     leader T/P == N|none          leader T/P != N|none
///
/// Operators may be written with or without spaces around them (`isr orders/0==1`).
public enum ConditionParser {
    static let conditionHint = "isr T/P OP N, under_min_isr T/P, lag followers_of T/P OP N, leader T/P == N"

    public static func parse(_ line: String) throws -> Condition {
        let words = try CommandLexer.split(line)
        var rest = words[...]
        let condition = try parse(&rest, endOffset: line.count)
        if let extra = rest.first { throw CommandParseError(message: "unexpected '\(extra.text)'", offset: extra.offset) }
        return condition
    }

    /// Reads one condition from the front of `words`, leaving what follows (options) in place.
    public static func parse(_ words: inout ArraySlice<CommandLexer.Word>, endOffset: Int) throws -> Condition {
        words = ArraySlice(splitOperators(Array(words)))
        guard let name = words.popFirst() else {
            throw CommandParseError(message: "a condition is missing", offset: endOffset, hint: conditionHint)
        }
        switch name.text {
        case "isr":
            let (topic, partition) = try partitionWord(&words, after: name, endOffset: endOffset)
            let (op, value, valueOffset) = try comparison(&words, endOffset: endOffset, allowed: ComparisonOperator.allCases)
            guard value >= 0 else { throw CommandParseError(message: "an ISR size is never negative", offset: valueOffset) }
            return .isrSize(topic: topic, partition: partition, op, value)
        case "under_min_isr":
            let (topic, partition) = try partitionWord(&words, after: name, endOffset: endOffset)
            return .underMinIsr(topic: topic, partition: partition)
        case "lag":
            guard let role = words.popFirst() else {
                throw CommandParseError(message: "lag needs followers_of T/P", offset: endOffset, hint: "e.g. lag followers_of orders/0 >= 100")
            }
            guard role.text == "followers_of" else {
                throw CommandParseError(message: "lag measures followers_of T/P, not '\(role.text)'", offset: role.offset,
                                        hint: "e.g. lag followers_of orders/0 >= 100")
            }
            let (topic, partition) = try partitionWord(&words, after: role, endOffset: endOffset)
            let (op, value, _) = try comparison(&words, endOffset: endOffset, allowed: ComparisonOperator.allCases)
            return .followerLag(topic: topic, partition: partition, op, value)
        case "leader":
            let (topic, partition) = try partitionWord(&words, after: name, endOffset: endOffset)
            guard let opWord = words.popFirst() else {
                throw CommandParseError(message: "leader needs == or != and a broker id", offset: endOffset, hint: "e.g. leader orders/0 != 1")
            }
            guard let op = ComparisonOperator(rawValue: opWord.text), op == .equal || op == .notEqual else {
                throw CommandParseError(message: "leader compares with == or !=, not '\(opWord.text)'", offset: opWord.offset)
            }
            guard let valueWord = words.popFirst() else {
                throw CommandParseError(message: "leader needs a broker id or none after \(op.rawValue)", offset: endOffset)
            }
            if valueWord.text == "none" { return .leader(topic: topic, partition: partition, op, -1) }
            guard let id = Int32(valueWord.text), id > 0 else {
                throw CommandParseError(message: "'\(valueWord.text)' is not a broker id", offset: valueWord.offset, hint: "a broker id (1, 2, …) or none")
            }
            return .leader(topic: topic, partition: partition, op, id)
        default:
            let guess = NearestName.closest(to: name.text, among: Condition.names)
            throw CommandParseError(message: "unknown condition '\(name.text)'", offset: name.offset,
                                    hint: guess.map { "did you mean '\($0)'?" } ?? conditionHint)
        }
    }

    static func partitionWord(_ words: inout ArraySlice<CommandLexer.Word>, after: CommandLexer.Word, endOffset: Int) throws -> (String, Int32) {
        guard let word = words.popFirst() else {
            throw CommandParseError(message: "\(after.text) needs topic/partition", offset: endOffset, hint: "e.g. \(after.text) orders/0")
        }
        guard let slash = word.text.lastIndex(of: "/"), slash > word.text.startIndex,
              let partition = Int32(word.text[word.text.index(after: slash)...]), partition >= 0 else {
            throw CommandParseError(message: "'\(word.text)' is not topic/partition", offset: word.offset, hint: "e.g. orders/0")
        }
        return (String(word.text[..<slash]), partition)
    }

    static func comparison(_ words: inout ArraySlice<CommandLexer.Word>, endOffset: Int,
                           allowed: [ComparisonOperator]) throws -> (ComparisonOperator, Int64, Int) {
        guard let opWord = words.popFirst() else {
            throw CommandParseError(message: "a comparison is missing", offset: endOffset, hint: "one of == != < <= > >= and a number")
        }
        guard let op = ComparisonOperator(rawValue: opWord.text), allowed.contains(op) else {
            throw CommandParseError(message: "unknown operator '\(opWord.text)'", offset: opWord.offset,
                                    hint: "one of " + allowed.map(\.rawValue).joined(separator: " "))
        }
        guard let valueWord = words.popFirst() else {
            throw CommandParseError(message: "a number is missing after \(op.rawValue)", offset: endOffset)
        }
        guard let value = Int64(valueWord.text) else {
            throw CommandParseError(message: "'\(valueWord.text)' is not a whole number", offset: valueWord.offset)
        }
        return (op, value, valueWord.offset)
    }

    /// Splits words such as `orders/0>=100` or `==1` around operators, keeping offsets.
    static func splitOperators(_ words: [CommandLexer.Word]) -> [CommandLexer.Word] {
        let symbols: Set<Character> = ["=", "!", "<", ">"]
        var result: [CommandLexer.Word] = []
        for word in words {
            // Options (`--timeout`) and words without operator characters stay whole.
            guard !word.text.hasPrefix("--"), word.text.contains(where: symbols.contains), word.text.count > 1 else {
                result.append(word)
                continue
            }
            var current = ""
            var currentIsSymbol = false
            var start = word.offset
            for (index, character) in word.text.enumerated() {
                let isSymbol = symbols.contains(character)
                if !current.isEmpty && isSymbol != currentIsSymbol {
                    result.append(.init(text: current, offset: start))
                    current = ""
                }
                if current.isEmpty { start = word.offset + index; currentIsSymbol = isSymbol }
                current.append(character)
            }
            if !current.isEmpty { result.append(.init(text: current, offset: start)) }
        }
        return result
    }
}
