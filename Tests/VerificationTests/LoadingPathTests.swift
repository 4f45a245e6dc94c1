import Foundation
import Testing
@testable import Verification

/// The fast loading path (blocks of lines parsed on workers by `JSONScanner`) must give the
/// checkers exactly what the plain path gives them: every line decoded by `JSONDecoder`, one at a
/// time. Compared on a whole synthetic history with anomalies planted in it, down to every
/// verdict, every piece of evidence and every figure.
@Suite struct LoadingPathTests {
    /// The synthetic history, edited: the final read returns v10's offset holding v11 instead
    /// (v10 missing from the final read, v11 at two offsets), one consumer poll returns v20 at
    /// v21's offset, and, with `dropAck`, one acknowledgement is missing (an input problem).
    func plantedHistory(at path: String, dropAck: Bool) throws -> [String] {
        try SyntheticHistory(sends: 1500, partitions: 3, producers: 2, consumers: 2, recordsPerPoll: 3,
                             recordsPerFinalRead: 100).write(to: path)
        var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
        let finalRead = try #require(lines.firstIndex { $0.contains(#""f":"final_read""#) && $0.contains(#""value":"v10"}"#) })
        lines[finalRead] = lines[finalRead].replacingOccurrences(of: #""value":"v10"}"#, with: #""value":"v11"}"#)
        let poll = try #require(lines.firstIndex { $0.contains(#""f":"poll""#) && $0.contains(#""value":"v21"}"#) })
        lines[poll] = lines[poll].replacingOccurrences(of: #""value":"v21"}"#, with: #""value":"v20"}"#)
        let ack = try #require(lines.firstIndex { $0.contains(#""type":"ok","f":"send""#) && $0.contains(#""value":"v33""#) })
        if dropAck { lines.remove(at: ack) }
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: URL(fileURLWithPath: path))
        return lines
    }

    /// The plain path: each line through `JSONDecoder`, problems numbered by line.
    func decodeLineByLine(_ lines: [String], source: String) -> History {
        var ops: [HistoryOp] = []
        var problems = InputProblems()
        for (number, line) in lines.enumerated() {
            do {
                ops.append(try JSONDecoder().decode(HistoryOp.self, from: Data(line.utf8)))
            } catch {
                problems.append(InputProblem(source: source, line: number + 1, message: "\(error)"))
            }
        }
        return History(ops: ops, problems: problems, source: source)
    }

    @Test(arguments: zip([4 << 20, 4096], [false, true]))
    func fastAndPlainPathsGiveTheSameHistoryReportAndFigures(blockBytes: Int, dropAck: Bool) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("paths-\(UUID()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let lines = try plantedHistory(at: path, dropAck: dropAck)
        let fast = History.load(path: path, maxLineBytes: LineReader.defaultMaxLineBytes, blockBytes: blockBytes)
        let plain = decodeLineByLine(lines, source: (path as NSString).lastPathComponent)

        #expect(fast.ops == plain.ops)
        #expect(fast.ops.count == lines.count)
        #expect(fast.operations.map(\.invokePosition) == plain.operations.map(\.invokePosition))
        #expect(fast.operations.map(\.completionPosition) == plain.operations.map(\.completionPosition))
        #expect(fast.problems == plain.problems)
        #expect(fast.problems.isEmpty == !dropAck)

        let timeline = Timeline(records: [])
        let fastReport = CheckReport(history: fast, timeline: timeline, clients: cleanExits(fast))
        let plainReport = CheckReport(history: plain, timeline: timeline, clients: cleanExits(plain))
        #expect(fastReport == plainReport)
        // The planted anomalies are found, with their evidence, so the comparison covers it.
        #expect(fastReport.lostWrite.verdict == (dropAck ? .unknown : .invalid))
        #expect(fastReport.lostWrite.anomalies.contains { $0.value == "v10" && $0.reason == .missingFromFinalRead })
        #expect(fastReport.inconsistentOffsets.count > 0)
        #expect(fastReport.duplicate.count > 0)

        #expect(Figures(history: fast, timeline: timeline, report: fastReport)
                == Figures(history: plain, timeline: timeline, report: plainReport))
    }
}

/// Integers are summed without overflow checks for their first 18 digits and with them after:
/// the edges of Int64 still read exactly, and one past them is rejected.
@Suite struct ScannerIntegerTests {
    func int64(_ text: String) throws -> Int64 {
        let bytes = Array(text.utf8)
        return try bytes.withUnsafeBufferPointer { buffer in
            var scanner = JSONScanner(buffer)
            let value = try scanner.int64()
            try scanner.finish()
            return value
        }
    }

    @Test(arguments: [
        ("0", Int64(0)), ("-0", 0), ("7", 7), ("-12", -12),
        ("999999999999999999", 999_999_999_999_999_999), ("-999999999999999999", -999_999_999_999_999_999),
        ("1000000000000000000", 1_000_000_000_000_000_000),
        ("9223372036854775807", Int64.max), ("-9223372036854775808", Int64.min),
    ])
    func readsIntegersExactly(_ text: String, _ expected: Int64) throws {
        #expect(try int64(text) == expected)
        #expect(try int64(text) == Int64(text))
    }

    @Test(arguments: ["9223372036854775808", "-9223372036854775809", "99999999999999999999", "01", "1.5", "2e3", "-", ""])
    func rejectsWhatIsNotAnInt64(_ text: String) {
        #expect(throws: JSONScanner.Failure.self) { try int64(text) }
    }
}
