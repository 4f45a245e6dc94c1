import Foundation

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

    public static let defaultSource = "history.jsonl"

    public init(ops unsorted: [HistoryOp], problems readProblems: InputProblems = InputProblems(),
                source: String = History.defaultSource)
    {
        var problems = readProblems
        var ops = unsorted
        if zip(ops, ops.dropFirst()).contains(where: { $0.index >= $1.index }) {
            ops.sort { $0.index < $1.index }
        }
        for (earlier, later) in zip(ops, ops.dropFirst()) where earlier.index == later.index {
            problems.append(InputProblem(source: source, message: "index \(later.index) appears twice"))
        }
        var pairing = Pairing(source: source)
        for position in ops.indices { pairing.add(ops[position], at: position) }
        // Operations are appended at their first line, so they are already in invoke order.
        let operations = pairing.operations
        problems.append(contentsOf: pairing.problems)
        self.ops = ops
        self.operations = operations
        self.hasFinalRead = ops.contains { $0.f == .finalRead && $0.type == .ok }
        problems.append(contentsOf: Self.validate(ops: ops, operations: operations, source: source))
        self.problems = problems
    }

    /// Reads `history.jsonl` line by line; never throws: an unreadable file is a history with a
    /// problem, and each line that does not parse is a problem with its line number.
    public static func load(path: String, maxLineBytes: Int = LineReader.defaultMaxLineBytes) -> History {
        let name = (path as NSString).lastPathComponent
        var ops: [HistoryOp] = []
        var problems = InputProblems()
        do {
            let reader = try LineReader(path: path, maxLineBytes: maxLineBytes)
            while let line = try reader.next() {
                guard line.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { continue }
                do {
                    ops.append(try line.withUnsafeBufferPointer { try HistoryOp.parse(line: $0) })
                } catch {
                    problems.append(InputProblem(source: name, line: reader.lineNumber, message: "\(error)"))
                }
            }
        } catch {
            problems.append(InputProblem(source: name, message: "\(error)"))
        }
        return History(ops: ops, problems: problems, source: name)
    }

    /// Checks what pairing cannot: shapes of values the checkers rely on.
    private static func validate(ops: [HistoryOp], operations: [Operation], source: String) -> InputProblems {
        var problems = InputProblems()
        var sentValues: Set<String> = []
        for operation in operations where operation.f == .send {
            let first = ops[operation.invokePosition ?? operation.completionPosition!]
            guard let send = first.value.send else {
                problems.append(InputProblem(source: source, message: "send \(first.index) carries no topic and value"))
                continue
            }
            if !sentValues.insert(send.value).inserted {
                problems.append(InputProblem(
                    source: source, message: "value \"\(send.value)\" sent twice (again by op \(first.index))"))
            }
            if let completion = operation.completionPosition.map({ ops[$0] }), completion.type == .ok,
               completion.value.send?.partition == nil && send.partition == nil
            {
                problems.append(InputProblem(source: source, message: "ok send \(completion.index) has no partition"))
            }
        }
        for op in ops where op.f.isRead && op.type == .ok && op.value.poll == nil {
            problems.append(InputProblem(source: source, message: "ok \(op.f) \(op.index) has no records"))
        }
        return problems
    }
}

/// Pairs invokes with completions, process by process.
private struct Pairing {
    struct ProcessState {
        var open: Int?
        var openById: [Int64: Int] = [:]
    }

    let source: String
    var states: [String: ProcessState] = [:]
    var operations: [Operation] = []
    var problems = InputProblems()

    init(source: String) { self.source = source }

    mutating func add(_ op: HistoryOp, at position: Int) {
        var state = states[op.process] ?? ProcessState()
        defer { states[op.process] = state }
        if op.type == .invoke {
            if let id = op.opId {
                if state.openById[id] != nil {
                    problem("\(op.process) invoked op_id \(id) again at \(op.index) while it was open")
                }
                state.openById[id] = operations.count
            } else {
                if let open = state.open {
                    problem("\(op.process) invoked \(op.index) while \(operations[open].f) was still open")
                }
                state.open = operations.count
            }
            operations.append(Operation(invokePosition: position, completionPosition: nil, f: op.f))
            return
        }
        let slot: Int?
        if let id = op.opId {
            slot = state.openById.removeValue(forKey: id)
        } else {
            slot = state.open
            state.open = nil
        }
        guard let slot else {
            problem("\(op.type) \(op.f) \(op.index) by \(op.process) completes no open invoke")
            operations.append(Operation(invokePosition: nil, completionPosition: position, f: op.f))
            return
        }
        if operations[slot].f != op.f {
            problem("\(op.type) \(op.index) is \(op.f) but completes a \(operations[slot].f) invoke")
        }
        operations[slot].completionPosition = position
    }

    private mutating func problem(_ message: String) {
        problems.append(InputProblem(source: source, message: message))
    }
}
