import Foundation
import Testing
@testable import Verification

/// The workload processes' histories merge into one file ordered by time and numbered afresh,
/// each line otherwise byte for byte, and nothing is dropped.
@Suite struct HistoryMergeTests {
    func merged(_ files: [String]) -> [String] {
        let (bytes, count) = HistoryMerge.merge(files.map { Array($0.utf8) })
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        #expect(lines.count == count)
        return lines
    }

    @Test func linesAreOrderedByTimeAndRenumbered() {
        let producer = #"{"index":0,"time_ns":30,"process":"p","f":"send","value":{"index":7}}"# + "\n"
            + #"{"index":1,"time_ns":10,"process":"p","f":"send"}"# + "\n"
        let consumer = #"{"index":0,"time_ns":20,"process":"c","f":"poll","value":{"records":[]}}"# + "\r\n\n"
            + #"{"time_ns":30,"process":"c"}"# + "\n"
        #expect(merged([producer, consumer]) == [
            #"{"index":0,"time_ns":10,"process":"p","f":"send"}"#,
            #"{"index":1,"time_ns":20,"process":"c","f":"poll","value":{"records":[]}}"#,
            #"{"index":2,"time_ns":30,"process":"p","f":"send","value":{"index":7}}"#,
            #"{"index":3,"time_ns":30,"process":"c"}"#,
        ])
    }

    @Test func aLineThatDoesNotParseIsKeptAfterItsPredecessor() {
        let file = #"{"index":0,"time_ns":5,"process":"p"}"# + "\n" + "{broken\n" + #"{"index":2,"time_ns":1.5,"process":"p"}"# + "\n"
        let other = #"{"index":0,"time_ns":6,"process":"q"}"#
        #expect(merged([file, other]) == [
            #"{"index":0,"time_ns":5,"process":"p"}"#,
            "{broken",
            #"{"index":2,"time_ns":1.5,"process":"p"}"#,
            #"{"index":3,"time_ns":6,"process":"q"}"#,
        ])
    }

    @Test func aMergedDirectoryLoadsAsOneHistory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("merge-\(UUID())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Data((#"{"index":0,"time_ns":2,"process":"c","type":"invoke","f":"poll","value":null}"# + "\n").utf8)
            .write(to: URL(fileURLWithPath: directory + "/consumer.jsonl"))
        try Data((#"{"index":0,"time_ns":1,"process":"p","type":"invoke","f":"poll","value":null}"# + "\n").utf8)
            .write(to: URL(fileURLWithPath: directory + "/producer.jsonl"))
        let path = directory + "/history.jsonl"
        #expect(try HistoryMerge.merge(directory: directory, into: path) == 2)
        let history = History.load(path: path)
        #expect(history.problems.isEmpty)
        #expect(history.ops.map(\.process) == ["p", "c"])
        #expect(history.ops.map(\.index) == [0, 1])
    }
}
