import Foundation
import Testing
@testable import Verification

/// The history's fast line parser must read exactly what the Codable conformance reads.
@Suite struct HistoryParsingTests {
    func parse(_ line: String) throws -> HistoryOp {
        let bytes = Array(line.utf8)
        return try bytes.withUnsafeBufferPointer { try HistoryOp.parse(line: $0) }
    }

    func decode(_ line: String) throws -> HistoryOp {
        try JSONDecoder().decode(HistoryOp.self, from: Data(line.utf8))
    }

    static let agreeing = [
        #"{"index":0,"time_ns":1,"process":"p","type":"invoke","f":"send","value":{"topic":"t","key":"k","value":"v"},"error":null}"#,
        #"{"value":{"records":[{"topic":"t","partition":1,"offset":9,"value":"a\"b\\c\u00e9\ud83d\ude00"}]},"f":"poll","type":"ok","index":3,"time_ns":-4,"process":"c"}"#,
        #"{"index":1,"time_ns":2,"process":"p","type":"ok","f":"send","value":{"topic":"t","value":"v","partition":0,"offset":12,"broker":2,"leader_epoch":7,"extra":[1,{"x":null}]},"op_id":5}"#,
        #" { "index" : 2 , "time_ns" : 3 , "process" : "c" , "type" : "ok" , "f" : "assign" , "value" : { "partitions" : [ { "topic" : "t" , "partition" : 0 } ] } } "#,
        #"{"index":4,"time_ns":5,"process":"c","type":"ok","f":"commit","value":{"offsets":[1,2.5,-3e2,true,false,null,"x"]},"error":"none"}"#,
        #"{"index":5,"time_ns":6,"process":"c","type":"fail","f":"poll","value":null,"error":"NOT_LEADER_OR_FOLLOWER"}"#,
        #"{"index":6,"time_ns":7,"process":"c","type":"invoke","f":"poll","value":{"max_records":10}}"#,
        #"{"index":7,"time_ns":8,"process":"c","type":"ok","f":"poll","value":{"records":[],"isolation":"read_committed"}}"#,
        #"{"index":8,"time_ns":9,"process":"p","type":"info","f":"send","value":{"topic":"t","value":"v","partition":0,"offset":3,"txn":"p-t1"},"error":"TRANSACTIONAL","op_id":2}"#,
        #"{"index":9,"time_ns":10,"process":"p","type":"ok","f":"txn_commit","value":{"txn":"p-t1","writes":[{"topic":"t","partition":0,"offset":3,"value":"v"}],"inputs":[]},"op_id":3}"#,
    ]

    @Test(arguments: agreeing)
    func fastParserAgreesWithCodable(_ line: String) throws {
        #expect(try parse(line) == decode(line))
    }

    static let malformed = [
        #"{"index":0,"time_ns":1,"process":"p","type":"invoke","f":"send","value":{"topic":"t"}}"#,
        #"{"index":0,"time_ns":1,"process":"p","type":"maybe","f":"send"}"#,
        #"{"index":0,"time_ns":1,"process":"p","type":"ok","f":"poll","value":{"records":[{"topic":"t"}]}}"#,
        #"{"index":0,"time_ns":1,"process":"p","type":"ok"}"#,
        #"{"index":0.5,"time_ns":1,"process":"p","type":"ok","f":"x"}"#,
        #"{"index":0,"time_ns":1,"process":"p","type":"ok","f":"x"} trailing"#,
        #"{"index":0,"time_ns":1,"process":"p","type":"ok","f":"x","value":"unterminated}"#,
        #"{"index":99999999999999999999,"time_ns":1,"process":"p","type":"ok","f":"x"}"#,
        #"{"index":0,"time_ns":1,"process":"p","type":"ok","f":"x","value":"\ud800"}"#,
    ]

    @Test(arguments: malformed)
    func fastParserRejectsWhatCodableRejects(_ line: String) {
        #expect(throws: (any Error).self) { try parse(line) }
        #expect(throws: (any Error).self) { try decode(line) }
    }

    @Test func historyFileLoadsThroughTheFastParser() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("history-\(UUID()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data((Self.agreeing.joined(separator: "\n") + "\n{broken\n").utf8).write(to: URL(fileURLWithPath: path))
        let history = History.load(path: path)
        #expect(history.ops.count == Self.agreeing.count)
        #expect(history.problems.listed.contains { $0.line == Self.agreeing.count + 1 })
    }

    /// Blocks split the file anywhere between lines: whatever the block size, every line is read
    /// once and each problem keeps its line number in the whole file.
    @Test(arguments: [1, 7, 64, 200, 4 << 20])
    func lineNumbersSurviveBlockBoundaries(blockBytes: Int) throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("blocks-\(UUID()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        var lines: [String] = []
        var broken: [Int] = []
        for index in 0..<60 {
            switch index % 9 {
            case 4: lines.append("{broken"); broken.append(lines.count)
            case 7: lines.append("  \t")
            default:
                lines.append(#"{"index":\#(index),"time_ns":\#(index),"process":"p","type":"invoke","f":"poll","value":null}"#
                             + (index % 2 == 0 ? "\r" : ""))
            }
        }
        lines.append(#"{"index":999,"time_ns":1,"process":"p","type":"invoke","f":"poll"}"#)
        try Data(lines.joined(separator: "\n").utf8).write(to: URL(fileURLWithPath: path))
        let history = History.load(path: path, maxLineBytes: 1 << 20, blockBytes: blockBytes)
        #expect(history.ops.map(\.index) == (0..<60).filter { $0 % 9 != 4 && $0 % 9 != 7 } + [999])
        #expect(history.problems.listed.compactMap(\.line) == broken)
    }

    @Test func aLineLongerThanTheLimitIsAProblemNamingIt() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("long-\(UUID()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let good = #"{"index":0,"time_ns":1,"process":"p","type":"invoke","f":"poll"}"#
        try Data((good + "\n" + good.replacingOccurrences(of: "0", with: "1") + "\n" + String(repeating: "x", count: 5000) + "\n").utf8)
            .write(to: URL(fileURLWithPath: path))
        let history = History.load(path: path, maxLineBytes: 1000, blockBytes: 256)
        #expect(history.ops.count == 2)
        #expect(history.problems.listed.map(\.message).contains { $0.contains(":3: line longer than 1000 bytes") })
    }

    @Test func syntheticHistoryIsCleanAfterAFileRoundTrip() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("synthetic-\(UUID()).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let operations = try SyntheticHistory(sends: 2000, partitions: 3, producers: 2, consumers: 2, recordsPerPoll: 3,
                                              recordsPerFinalRead: 100).write(to: path)
        let history = History.load(path: path)
        #expect(history.problems.isEmpty, "\(history.problems.listed)")
        #expect(history.operations.count == operations)
        let report = CheckReport(history: history, timeline: Timeline(records: []), clients: cleanExits(history))
        for (checker, verdict) in report.verdicts where !checkersBeyondTheHistory.contains(checker) {
            #expect(verdict == (transactionCheckers.contains(checker) ? .notApplicable : .valid), "\(checker)")
        }
        let figures = Figures(history: history, timeline: Timeline(records: []), report: report)
        #expect(figures.counts.sendsAcknowledged == 2000)
        #expect(figures.counts.finalReads > 0)
    }
}
