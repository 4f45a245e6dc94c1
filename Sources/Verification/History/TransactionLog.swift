import KafkaProtocol

/// One record a transaction produced: its value and, once delivered, where it landed.
public struct TransactionWrite: Sendable, Hashable, Codable {
    public var value: String
    public var topic: String
    public var partition: Int32?
    /// Nil when the record was never delivered (it then cannot be owed to any reader).
    public var offset: Int64?

    public init(value: String, topic: String, partition: Int32?, offset: Int64?) {
        self.value = value
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}

/// An input record a consume-transform-produce transaction consumed.
public struct TransactionInput: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64

    public init(topic: String, partition: Int32, offset: Int64) {
        self.topic = topic
        self.partition = partition
        self.offset = offset
    }
}

/// One transaction of a run, as its producer recorded it: `txn_begin`, the sends carrying its id,
/// and the `txn_commit` or `txn_abort` that ended it.
public struct Transaction: Sendable, Hashable {
    public enum Outcome: String, Sendable, Hashable, Codable {
        /// `txn_commit` completed `ok`.
        case committed
        /// `txn_abort` completed `ok`.
        case aborted
        /// Neither is known: a commit or abort that timed out (`info`), one that never completed,
        /// a commit that failed without an abort after it, or a transaction never ended.
        case unknown
    }

    public var id: String
    public var process: String
    public var outcome: Outcome
    /// The history index of the line that decided the outcome (the ok commit or abort), or of the
    /// last commit or abort line when unknown.
    public var endIndex: Int?
    public var writes: [TransactionWrite]
    public var inputs: [TransactionInput]
}

/// Every transaction of a history, from its `txn_*` operations and transactional sends.
///
/// A transaction's outcome comes only from what its client reported: committed when `txn_commit`
/// completed `ok`, aborted when `txn_abort` completed `ok`, unknown otherwise — never guessed from
/// what consumers read, which is what the checkers then judge.
public struct TransactionLog: Sendable {
    public let transactions: [Transaction]
    /// Position in `transactions` of the transaction that wrote each value.
    public let byValue: [String: Int]
    /// Shapes the log could not read (a commit's `writes` without a value, an id ended twice with
    /// opposite outcomes); they make the transaction checkers' verdicts unknown.
    public let problems: InputProblems

    /// Whether the history has any transaction at all: without one the transaction checkers do not apply.
    public var isEmpty: Bool { transactions.isEmpty }

    public init(_ history: History, source: String = History.defaultSource) {
        struct Building {
            var process: String
            var commit: (type: OpType, index: Int)?
            var abort: (type: OpType, index: Int)?
            var writes: [String: TransactionWrite] = [:]
            var order: [String] = []
            var inputs: [TransactionInput] = []
        }
        var problems = InputProblems()
        var building: [String: Building] = [:]
        var order: [String] = []
        func entry(_ id: String, _ process: String) -> Building {
            if let known = building[id] { return known }
            order.append(id)
            return Building(process: process)
        }
        func write(_ write: TransactionWrite, into state: inout Building) {
            if let known = state.writes[write.value] {
                // Merge: a send's completion and the commit's list may each know part of it.
                state.writes[write.value] = TransactionWrite(
                    value: write.value, topic: known.topic, partition: known.partition ?? write.partition,
                    offset: known.offset ?? write.offset)
            } else {
                state.order.append(write.value)
                state.writes[write.value] = write
            }
        }
        for operation in history.operations {
            let first = history.firstLine(of: operation)
            switch operation.f {
            case .send:
                guard let send = history.send(of: operation), let id = send.txn else { continue }
                var state = entry(id, first.process)
                let delivered = operation.outcome(in: history) != .fail
                write(TransactionWrite(value: send.value, topic: send.topic, partition: send.partition,
                                       offset: delivered ? send.offset : nil), into: &state)
                building[id] = state
            case .txnBegin, .txnCommit, .txnAbort:
                let completion = history.completion(of: operation)
                let fields = Self.fields(completion?.value) ?? Self.fields(first.value)
                guard let id = fields?["txn"]?.stringValue else {
                    problems.append(InputProblem(source: source, message: "\(operation.f) \(first.index) names no transaction (\"txn\")"))
                    continue
                }
                var state = entry(id, first.process)
                let end = (type: completion?.type ?? .info, index: completion?.index ?? first.index)
                if operation.f == .txnCommit {
                    state.commit = state.commit?.type == .ok ? state.commit : end
                } else if operation.f == .txnAbort {
                    state.abort = state.abort?.type == .ok ? state.abort : end
                }
                for item in fields?["writes"]?.arrayValue ?? [] {
                    guard let object = item.objectValue, let value = object["value"]?.stringValue, let topic = object["topic"]?.stringValue else {
                        problems.append(InputProblem(source: source, message: "\(operation.f) of \(id) lists a write without topic and value"))
                        continue
                    }
                    write(TransactionWrite(value: value, topic: topic, partition: object["partition"]?.intValue.map(Int32.init),
                                           offset: object["offset"]?.intValue), into: &state)
                }
                for item in fields?["inputs"]?.arrayValue ?? [] {
                    guard let object = item.objectValue, let topic = object["topic"]?.stringValue,
                          let partition = object["partition"]?.intValue, let offset = object["offset"]?.intValue
                    else {
                        problems.append(InputProblem(source: source, message: "\(operation.f) of \(id) lists an input without topic, partition and offset"))
                        continue
                    }
                    let input = TransactionInput(topic: topic, partition: Int32(partition), offset: offset)
                    if !state.inputs.contains(input) { state.inputs.append(input) }
                }
                building[id] = state
            default:
                continue
            }
        }
        var transactions: [Transaction] = []
        var byValue: [String: Int] = [:]
        for id in order {
            guard let state = building[id] else { continue }
            var outcome = Transaction.Outcome.unknown
            var endIndex = [state.commit?.index, state.abort?.index].compactMap { $0 }.max()
            switch (state.commit?.type, state.abort?.type) {
            case (.ok, .ok):
                problems.append(InputProblem(source: source, message: "transaction \(id) both committed and aborted"))
            case (.ok, _):
                outcome = .committed
                endIndex = state.commit?.index
            case (_, .ok):
                outcome = .aborted
                endIndex = state.abort?.index
            default:
                break
            }
            let position = transactions.count
            for value in state.order {
                if let other = byValue[value], transactions[other].id != id {
                    problems.append(InputProblem(source: source, message: "value \"\(value)\" written by transactions \(transactions[other].id) and \(id)"))
                }
                byValue[value] = position
            }
            transactions.append(Transaction(
                id: id, process: state.process, outcome: outcome, endIndex: endIndex,
                writes: state.order.compactMap { state.writes[$0] }, inputs: state.inputs))
        }
        self.transactions = transactions
        self.byValue = byValue
        self.problems = problems
    }

    static func fields(_ value: OpValue?) -> [String: JSONValue]? {
        guard case .other(let json) = value else { return nil }
        return json.objectValue
    }
}

extension JSONValue {
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var intValue: Int64? {
        if case .int(let number) = self { return number }
        return nil
    }

    var arrayValue: [JSONValue]? {
        if case .array(let items) = self { return items }
        return nil
    }

    var objectValue: [String: JSONValue]? {
        if case .object(let fields) = self { return fields }
        return nil
    }
}
