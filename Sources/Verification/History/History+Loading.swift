import Dispatch
import Foundation

extension History {
    /// Bytes read per block; each block is parsed on a worker.
    static let loadBlockBytes = 4 << 20

    /// Reads `history.jsonl` as a stream of lines; never throws: an unreadable file is a history
    /// with a problem, and each line that does not parse is a problem with its line number.
    ///
    /// Parsing dominates loading, so the file is read in blocks of whole lines (a few MiB each,
    /// one `read(2)` per block, no copy per line) and each block is parsed on a worker thread
    /// while the next ones are read: every processor parses. At most a few blocks per processor
    /// are held as text at any time, and their buffers are reused.
    public static func load(path: String, maxLineBytes: Int = LineReader.defaultMaxLineBytes) -> History {
        load(path: path, maxLineBytes: maxLineBytes, blockBytes: loadBlockBytes)
    }

    static func load(path: String, maxLineBytes: Int, blockBytes: Int) -> History {
        let name = (path as NSString).lastPathComponent
        let parallelism = max(1, min(8, ProcessInfo.processInfo.activeProcessorCount))
        let parsed = ParsedBlocks()
        let buffers = DispatchSemaphore(value: parallelism + 1)
        let workers = DispatchGroup()
        let queue = DispatchQueue(label: "samsa.history-parse", attributes: .concurrent)
        var ops: [HistoryOp] = []
        var problems = InputProblems()
        var readProblem: InputProblem?
        var blocks = 0
        var reserved = false
        do {
            let reader = try LineBlockReader(path: path, blockBytes: blockBytes, maxLineBytes: maxLineBytes)
            while true {
                buffers.wait()
                var block = parsed.takeBuffer()
                let more: Bool
                do {
                    more = try reader.next(into: &block)
                } catch {
                    buffers.signal()
                    throw error
                }
                guard more else {
                    buffers.signal()
                    break
                }
                let number = blocks
                blocks += 1
                queue.async(group: workers) { [block] in
                    parsed.store(parse(block: block, source: name), number: number, buffer: block)
                    buffers.signal()
                }
                parsed.drain(into: &ops, &problems)
                if !reserved, !ops.isEmpty, reader.size != Int.max {
                    // Room for the whole file at the first blocks' bytes per line, so the array
                    // is not copied again and again as it doubles. Pages never written cost no memory.
                    reserved = true
                    let estimate = Double(reader.size) / Double(max(1, parsed.bytesDrained)) * Double(ops.count)
                    ops.reserveCapacity(Int(min(estimate * 1.02, Double(Int32.max))))
                }
            }
        } catch is LineBlockReader.LineTooLong {
            workers.wait()
            let line = parsed.drain(into: &ops, &problems) + 1
            readProblem = InputProblem(source: name, message: "\(LineReader.Failure.lineTooLong(path: path, line: line, maxBytes: maxLineBytes))")
        } catch {
            readProblem = InputProblem(source: name, message: "\(error)")
        }
        workers.wait()
        parsed.drain(into: &ops, &problems)
        if let readProblem { problems.append(readProblem) }
        return History(ops: ops, problems: problems, source: name)
    }

    /// Parses every line of one block; problems carry line numbers counted from the block's start.
    static func parse(block: [UInt8], source: String) -> ParsedBlock {
        var parsed = ParsedBlock()
        parsed.bytes = block.count
        // Room for lines of about a hundred bytes; longer lines leave some unused.
        parsed.ops.reserveCapacity(block.count / 96)
        block.withUnsafeBufferPointer { all in
            guard let base = all.baseAddress else { return }
            var start = 0
            while start < all.count {
                let newline = memchr(base + start, 0x0A, all.count - start)
                    .map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? all.count
                parsed.lines += 1
                var end = newline
                if end > start && all[end - 1] == 0x0D { end -= 1 }
                let line = UnsafeBufferPointer(rebasing: all[start..<end])
                start = newline + 1
                guard line.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { continue }
                do {
                    parsed.ops.append(try HistoryOp.parse(line: line))
                } catch {
                    parsed.problems.append(InputProblem(source: source, line: parsed.lines, message: "\(error)"))
                }
            }
        }
        return parsed
    }
}

/// One block's operations, its problems (line numbers within the block) and how many lines it had.
struct ParsedBlock: Sendable {
    var ops: [HistoryOp] = []
    var problems = InputProblems()
    var lines = 0
    /// The block's size in bytes.
    var bytes = 0
}

/// Parsed blocks by number, as workers finish them, and the block buffers free for reuse.
///
/// Owner: `blocks` and `free` behind `lock` (workers store, the reading thread takes and drains);
/// `drained`, `linesDrained` and `bytesDrained` belong to the reading thread.
final class ParsedBlocks: @unchecked Sendable {
    private let lock = NSLock()
    private var blocks: [Int: ParsedBlock] = [:]
    private var free: [[UInt8]] = []
    private var drained = 0
    private var linesDrained = 0
    /// Bytes of every block moved so far (the reading thread's).
    private(set) var bytesDrained = 0

    func store(_ block: ParsedBlock, number: Int, buffer: [UInt8]) {
        lock.withLock {
            blocks[number] = block
            free.append(buffer)
        }
    }

    func takeBuffer() -> [UInt8] {
        lock.withLock { free.popLast() ?? [] }
    }

    /// Moves the blocks finished in file order so far onto `ops` and `problems` (line numbers
    /// made file-wide), freeing them; returns the lines of every block moved so far.
    @discardableResult
    func drain(into ops: inout [HistoryOp], _ problems: inout InputProblems) -> Int {
        let ready: [ParsedBlock] = lock.withLock {
            var ready: [ParsedBlock] = []
            while let block = blocks.removeValue(forKey: drained) {
                ready.append(block)
                drained += 1
            }
            return ready
        }
        for var block in ready {
            ops.append(contentsOf: block.ops)
            block.problems.offsetLines(by: linesDrained)
            problems.append(contentsOf: block.problems)
            linesDrained += block.lines
            bytesDrained += block.bytes
        }
        return linesDrained
    }
}
