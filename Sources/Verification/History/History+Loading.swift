import Dispatch
import Foundation

extension History {
    /// Bytes of lines gathered into one batch before batches are parsed side by side.
    static let loadBatchBytes = 4 << 20

    /// Reads `history.jsonl` as a stream of lines; never throws: an unreadable file is a history
    /// with a problem, and each line that does not parse is a problem with its line number.
    ///
    /// Parsing dominates loading, so lines are gathered into batches of a few MiB and as many
    /// batches as there are processors are parsed at once; at most that many batches (a few tens
    /// of MiB) are held as text at any time.
    public static func load(path: String, maxLineBytes: Int = LineReader.defaultMaxLineBytes) -> History {
        let name = (path as NSString).lastPathComponent
        let parallelism = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))
        var ops: [HistoryOp] = []
        var problems = InputProblems()
        var pending: [LineBatch] = []
        var current = LineBatch()
        func parsePending() {
            for parsed in parseConcurrently(pending, source: name) {
                ops.append(contentsOf: parsed.ops)
                problems.append(contentsOf: parsed.problems)
            }
            pending.removeAll(keepingCapacity: true)
        }
        do {
            let reader = try LineReader(path: path, maxLineBytes: maxLineBytes)
            while let line = try reader.next() {
                guard line.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { continue }
                current.append(line, number: reader.lineNumber)
                guard current.bytes.count >= loadBatchBytes else { continue }
                pending.append(current)
                current = LineBatch()
                if pending.count >= parallelism { parsePending() }
            }
        } catch {
            problems.append(InputProblem(source: name, message: "\(error)"))
        }
        pending.append(current)
        parsePending()
        return History(ops: ops, problems: problems, source: name)
    }

    private static func parseConcurrently(_ batches: [LineBatch], source: String) -> [ParsedBatch] {
        if batches.count == 1 { return [batches[0].parse(source: source)] }
        let slots = UnsafeMutableBufferPointer<ParsedBatch>.allocate(capacity: batches.count)
        defer { slots.deallocate() }
        // Safe: iteration i initializes only slot i, and concurrentPerform returns after every
        // iteration has finished, before the slots are read.
        nonisolated(unsafe) let shared = slots
        DispatchQueue.concurrentPerform(iterations: batches.count) { number in
            (shared.baseAddress! + number).initialize(to: batches[number].parse(source: source))
        }
        let parsed = Array(slots)
        _ = slots.deinitialize()
        return parsed
    }
}

/// Lines copied out of the reader's buffer, with their line numbers, to be parsed elsewhere.
struct LineBatch: Sendable {
    var bytes: [UInt8] = []
    /// Per line: where it ends in `bytes` (it starts where the previous one ended).
    var ends: [Int] = []
    var numbers: [Int] = []

    init() { bytes.reserveCapacity(History.loadBatchBytes + (64 << 10)) }

    mutating func append(_ line: ArraySlice<UInt8>, number: Int) {
        bytes.append(contentsOf: line)
        ends.append(bytes.count)
        numbers.append(number)
    }

    func parse(source: String) -> ParsedBatch {
        var parsed = ParsedBatch()
        parsed.ops.reserveCapacity(ends.count)
        bytes.withUnsafeBufferPointer { all in
            var start = 0
            for (end, number) in zip(ends, numbers) {
                defer { start = end }
                do {
                    parsed.ops.append(try HistoryOp.parse(line: UnsafeBufferPointer(rebasing: all[start..<end])))
                } catch {
                    parsed.problems.append(InputProblem(source: source, line: number, message: "\(error)"))
                }
            }
        }
        return parsed
    }
}

struct ParsedBatch: Sendable {
    var ops: [HistoryOp] = []
    var problems = InputProblems()
}
