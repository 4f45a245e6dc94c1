import Foundation
import Lab
import Testing
import Verification

/// The lab's timeline writer: typed records through the one JSON Lines writer, and broker event
/// lines copied whole.
@Suite struct TimelineLogTests {
    static func withLog(_ body: (TimelineLog) throws -> Void) throws -> [String] {
        let path = NSTemporaryDirectory() + "samsa-timeline-\(UUID().uuidString)/timeline.jsonl"
        let log = try TimelineLog(path: path)
        try body(log)
        log.close()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func aBrokerEventLineKeepsEveryFieldTheBrokerWrote() throws {
        let lines = try Self.withLog { log in
            #expect(log.appendBrokerEvent(line: Data(#"{"time_ns":42,"broker":2,"event":"started","listener":"127.0.0.1:9092"}"#.utf8),
                                          observer: "broker-2"))
            #expect(!log.appendBrokerEvent(line: Data(#"["not", "an", "object"]"#.utf8), observer: "broker-2"))
            #expect(!log.appendBrokerEvent(line: Data(#"{"broker":2,"event":"started"}"#.utf8), observer: "broker-2"),
                    "a line without its time is not copied")
        }
        #expect(lines == [#"{"broker":2,"event":"started","kind":"broker_event","listener":"127.0.0.1:9092","observer":"broker-2","time_ns":42}"#])
        let record = try JSONDecoder().decode(TimelineRecord.self, from: Data(lines[0].utf8))
        #expect(record.body == .brokerEvent(BrokerEvent(broker: 2, event: .started)) && record.observer == "broker-2" && record.timeNs == 42)
    }

    @Test func typedRecordsWriteTheLayoutTheReadersLoad() throws {
        let step = StepRecord(index: 1, atMs: 500, command: .pause(.broker(3)), event: .applied, elapsedMs: 510)
        let lines = try Self.withLog { log in
            log.append(.step(step), timeNs: 7)
            log.append(.process(ProcessRecord(name: "broker-3", state: .paused, pid: 12)), timeNs: 8)
        }
        #expect(lines == [
            #"{"at_ms":500,"command":{"fault":"pause","target":{"broker":3,"kind":"broker"}},"description":"pause 3","elapsed_ms":510,"event":"applied","index":1,"kind":"step","time_ns":7}"#,
            #"{"kind":"process","name":"broker-3","pid":12,"state":"paused","time_ns":8}"#,
        ])
        let decoded = JSONL.decode(TimelineRecord.self, from: Data((lines.joined(separator: "\n") + "\n").utf8), source: "timeline.jsonl")
        #expect(decoded.problems.isEmpty)
        #expect(decoded.items.map(\.body) == [.step(step), .process(ProcessRecord(name: "broker-3", state: .paused, pid: 12))])
    }
}
