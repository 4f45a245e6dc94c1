import FaultModel

/// The admin requests of the fault grammar:
///
///     elect-leaders TOPIC/PARTITION [--type preferred|unclean]
///     reassign TOPIC/PARTITION --replicas 2,3,1
///     reassign TOPIC/PARTITION --cancel
///
/// Replica ids are checked for form only (positive, none twice): whether the brokers exist is the
/// cluster's to answer, and its refusal is the step's outcome.
extension FaultParser {
    static func parseElectLeaders(_ name: CommandLexer.Word, _ words: [CommandLexer.Word], endOffset: Int) throws -> FaultCommand {
        var rest = words[...]
        let (topic, partition) = try topicPartition(name, &rest, endOffset: endOffset, example: "elect-leaders orders/0 --type unclean")
        var election: LeaderElection?
        while let option = rest.popFirst() {
            guard option.text == "--type" else {
                throw CommandParseError(message: "unknown option '\(option.text)' for elect-leaders", offset: option.offset, hint: "options: --type")
            }
            guard election == nil else { throw CommandParseError(message: "--type is given twice", offset: option.offset) }
            guard let value = rest.popFirst() else {
                throw CommandParseError(message: "--type needs a value", offset: endOffset, hint: "preferred or unclean")
            }
            guard let named = LeaderElection(rawValue: value.text) else {
                throw CommandParseError(message: "unknown election type '\(value.text)'", offset: value.offset, hint: "preferred or unclean")
            }
            election = named
        }
        return .electLeaders(topic: topic, partition: partition, election: election ?? .preferred)
    }

    static func parseReassign(_ name: CommandLexer.Word, _ words: [CommandLexer.Word], endOffset: Int) throws -> FaultCommand {
        var rest = words[...]
        let (topic, partition) = try topicPartition(name, &rest, endOffset: endOffset, example: "reassign orders/0 --replicas 2,3,1")
        var replicas: [Int32]?
        var cancel: CommandLexer.Word?
        while let option = rest.popFirst() {
            switch option.text {
            case "--replicas":
                guard replicas == nil else { throw CommandParseError(message: "--replicas is given twice", offset: option.offset) }
                guard let value = rest.popFirst() else {
                    throw CommandParseError(message: "--replicas needs a value", offset: endOffset, hint: "broker ids, the preferred leader first, e.g. 2,3,1")
                }
                let ids = value.text.split(separator: ",", omittingEmptySubsequences: false).map { Int32($0) }
                guard !ids.isEmpty, ids.allSatisfy({ $0 != nil }) else {
                    throw CommandParseError(message: "'\(value.text)' is not a list of broker ids", offset: value.offset, hint: "e.g. 2,3,1")
                }
                let list = ids.compactMap { $0 }
                if let problem = FaultCommand.adminProblem(topic: topic, partition: partition, replicas: list) {
                    throw CommandParseError(message: problem, offset: value.offset)
                }
                replicas = list
            case "--cancel":
                guard cancel == nil else { throw CommandParseError(message: "--cancel is given twice", offset: option.offset) }
                cancel = option
            default:
                throw CommandParseError(message: "unknown option '\(option.text)' for reassign", offset: option.offset, hint: "options: --replicas, --cancel")
            }
        }
        if let cancel, replicas != nil {
            throw CommandParseError(message: "reassign takes --replicas or --cancel, not both", offset: cancel.offset)
        }
        guard replicas != nil || cancel != nil else {
            throw CommandParseError(message: "reassign needs --replicas or --cancel", offset: endOffset,
                                    hint: "e.g. reassign \(topic)/\(partition) --replicas 2,3,1")
        }
        return .reassign(topic: topic, partition: partition, replicas: replicas)
    }

    /// `TOPIC/PARTITION`, the first word after an admin request's name.
    static func topicPartition(_ name: CommandLexer.Word, _ rest: inout ArraySlice<CommandLexer.Word>, endOffset: Int, example: String) throws
        -> (String, Int32) {
        guard let word = rest.popFirst() else {
            throw CommandParseError(message: "\(name.text) needs topic/partition", offset: endOffset, hint: "e.g. \(example)")
        }
        guard let slash = word.text.lastIndex(of: "/"), slash > word.text.startIndex,
              let partition = Int32(word.text[word.text.index(after: slash)...]), partition >= 0 else {
            throw CommandParseError(message: "'\(word.text)' is not topic/partition", offset: word.offset, hint: "e.g. orders/0")
        }
        return (String(word.text[..<slash]), partition)
    }
}
