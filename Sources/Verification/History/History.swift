import Foundation
import KafkaProtocol

/// A run's history: every line of `history.jsonl` in index order, paired into operations, with
/// every problem found while reading and pairing.
///
/// Pairing (DESIGN.md §4): a completion carrying `op_id` completes the open invoke of the same
/// process with that `op_id`; one without completes the process's single open invoke. A
/// completion with nothing to complete, a second open invoke without `op_id`, a reused `op_id`,
/// a completion whose function differs from its invoke's, a value sent twice, an `ok` send
/// without its partition or an `ok` read without records are problems: the history is then not
/// what the checkers assume, and their verdicts become `unknown`.
public struct History: Sendable {
    public let ops: [HistoryOp]
    /// Paired operations in invoke order.
    public let operations: [Operation]
    public let problems: InputProblems
    /// Whether any `final_read` completed `ok`: then the final read defines which offsets exist.
    public let hasFinalRead: Bool
    /// Whether the final read ran and every part of it completed `ok`. A final reader that gave
    /// up (an `info` or `fail` final read, or one never completed) may have missed records, so
    /// its absence of a record proves nothing.
    public let finalReadComplete: Bool
    /// Where the final reader found each partition's log to start and end (from its leader) before
    /// reading, when the final reader recorded it; empty for histories that predate it.
    public let finalReadBounds: [TopicPartition: PartitionBounds]
    /// Process names, numbered in order of appearance, and each line's process number: checkers
    /// key their per-process state by number instead of hashing names line after line.
    public let processNames: [String]
    let processOf: [Int32]

    public static let defaultSource = "history.jsonl"

    public init(ops unsorted: [HistoryOp], problems readProblems: InputProblems = InputProblems(),
                source: String = History.defaultSource)
    {
        var problems = readProblems
        var ops = unsorted
        if ops.indices.dropFirst().contains(where: { ops[$0 - 1].index >= ops[$0].index }) {
            ops.sort { $0.index < $1.index }
        }
        for position in ops.indices.dropFirst() where ops[position - 1].index == ops[position].index {
            problems.append(InputProblem(source: source, message: "index \(ops[position].index) appears twice"))
        }
        var numbers: [String: Int32] = [:]
        var names: [String] = []
        var processOf: [Int32] = []
        processOf.reserveCapacity(ops.count)
        for position in ops.indices {
            let name = ops[position].process
            // A run has a handful of processes with short names: comparing against each is cheaper
            // than hashing the name for every line.
            if names.count <= 16, let number = names.firstIndex(of: name) {
                processOf.append(Int32(number))
            } else if names.count > 16, let number = numbers[name] {
                processOf.append(number)
            } else {
                let number = Int32(names.count)
                numbers[name] = number
                names.append(name)
                processOf.append(number)
            }
        }
        var pairing = Pairing(source: source, processCount: names.count)
        for position in ops.indices { pairing.add(ops, at: position, process: Int(processOf[position])) }
        // Operations are appended at their first line, so they are already in invoke order.
        let operations = pairing.operations
        problems.append(contentsOf: pairing.problems)
        self.ops = ops
        self.operations = operations
        self.processNames = names
        self.processOf = processOf
        // Lines are read in place, by position: copying each line would retain and release its value.
        self.hasFinalRead = ops.indices.contains { ops[$0].f == .finalRead && ops[$0].type == .ok }
        self.finalReadComplete = hasFinalRead && !operations.contains { operation in
            operation.f == .finalRead && (operation.completionPosition.map { ops[$0].type != .ok } ?? true)
        }
        var bounds: [TopicPartition: PartitionBounds] = [:]
        for position in ops.indices where ops[position].f == .assign && ops[position].type == .ok {
            for bound in ops[position].value.assignment?.ends ?? [] { bounds[bound.topicPartition] = bound }
        }
        self.finalReadBounds = bounds
        problems.append(contentsOf: Self.validate(ops: ops, operations: operations, source: source))
        self.problems = problems
    }

    /// Checks what pairing cannot: shapes of values the checkers rely on.
    private static func validate(ops: [HistoryOp], operations: [Operation], source: String) -> InputProblems {
        var problems = InputProblems()
        var sentValues: Set<String> = []
        sentValues.reserveCapacity(operations.count)
        for operation in operations where operation.f == .send {
            let firstPosition = operation.invokePosition ?? operation.completionPosition!
            guard case .send(let send) = ops[firstPosition].value else {
                problems.append(InputProblem(
                    source: source, message: "send \(ops[firstPosition].index) carries no topic and value"))
                continue
            }
            if !sentValues.insert(send.value).inserted {
                problems.append(InputProblem(
                    source: source,
                    message: "value \"\(send.value)\" sent twice (again by op \(ops[firstPosition].index))"))
            }
            if let position = operation.completionPosition, ops[position].type == .ok, send.partition == nil {
                if case .send(let completed) = ops[position].value, completed.partition != nil { continue }
                problems.append(InputProblem(source: source, message: "ok send \(ops[position].index) has no partition"))
            }
        }
        for position in ops.indices where ops[position].f.isRead && ops[position].type == .ok {
            guard case .poll = ops[position].value else {
                problems.append(InputProblem(
                    source: source, message: "ok \(ops[position].f) \(ops[position].index) has no records"))
                continue
            }
        }
        return problems
    }
}

/// Pairs invokes with completions, process by process (processes by number).
private struct Pairing {
    let source: String
    /// Per process: the operation (position in `operations`) of its open invoke without `op_id`.
    var open: [Int]
    /// Per process: open invokes by `op_id`; allocated only for processes that use `op_id`.
    var openById: [Int: [Int64: Int]] = [:]
    var operations: [Operation] = []
    var problems = InputProblems()

    init(source: String, processCount: Int) {
        self.source = source
        open = Array(repeating: -1, count: processCount)
    }

    /// Pairs the line at `position`. Fields are read in place: copying each line would retain
    /// and release every string in it.
    mutating func add(_ ops: [HistoryOp], at position: Int, process: Int) {
        let type = ops[position].type
        let f = ops[position].f
        if type == .invoke {
            if let id = ops[position].opId {
                let op = ops[position]
                if openById[process]?[id] != nil {
                    problem("\(op.process) invoked op_id \(id) again at \(op.index) while it was open")
                }
                openById[process, default: [:]][id] = operations.count
            } else {
                if open[process] >= 0 {
                    let op = ops[position]
                    problem("\(op.process) invoked \(op.index) while \(operations[open[process]].f) was still open")
                }
                open[process] = operations.count
            }
            operations.append(Operation(invokePosition: position, completionPosition: nil, f: f))
            return
        }
        var slot: Int?
        if let id = ops[position].opId {
            slot = openById[process]?.removeValue(forKey: id)
        } else if open[process] >= 0 {
            slot = open[process]
            open[process] = -1
        }
        guard let slot else {
            let op = ops[position]
            problem("\(op.type) \(op.f) \(op.index) by \(op.process) completes no open invoke")
            operations.append(Operation(invokePosition: nil, completionPosition: position, f: f))
            return
        }
        if operations[slot].f != f {
            problem("\(type) \(ops[position].index) is \(f) but completes a \(operations[slot].f) invoke")
        }
        operations[slot].completionPosition = position
    }

    private mutating func problem(_ message: String) {
        problems.append(InputProblem(source: source, message: message))
    }
}
