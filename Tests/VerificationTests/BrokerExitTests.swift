import Foundation
import Testing
@testable import Verification

private func process(_ timeMs: Int64, _ name: String, _ state: ProcessRecord.State, exitCode: Int32? = nil, signal: Int32? = nil,
                     unplanned: Bool? = nil, lastOutput: String? = nil) -> TimelineRecord {
    TimelineRecord(timeNs: timeMs * 1_000_000, observer: "lab",
                   .process(ProcessRecord(name: name, state: state, pid: 40, exitCode: exitCode, signal: signal,
                                          unplanned: unplanned, lastOutput: lastOutput)))
}

@Suite struct BrokerExitTests {
    private let started = (1...3).map { process(0, "broker-\($0)", .started) }

    @Test func brokersTheLabStoppedOrCrashedLeaveTheCheckValid() {
        let result = BrokerExitChecker.check(Timeline(records: started + [
            process(100, "broker-2", .killed), process(200, "broker-2", .started),
            process(300, "broker-3", .exited, exitCode: 0), process(400, "broker-1", .paused), process(500, "broker-1", .resumed),
        ]), limit: 10)
        #expect(result.verdict == .valid)
        #expect(result.count == 0)
    }

    @Test func aBrokerThatEndedOnItsOwnMakesTheRunInvalidAndSaysHow() {
        let timeline = Timeline(records: started + [
            process(100, "broker-2", .killed, signal: 4, unplanned: true,
                    lastOutput: "Replication/PartitionReplicaState.swift:123: Precondition failed: leader epoch went back from 7 to 6"),
            process(150, "broker-3", .exited, exitCode: 1, unplanned: true),
        ])
        let result = BrokerExitChecker.check(timeline, limit: 10)
        #expect(result.verdict == .invalid)
        #expect(result.anomalies.map(\.broker) == [2, 3])
        #expect(result.anomalies[0].signal == 4 && result.anomalies[0].lastOutput?.contains("Precondition failed") == true)
        #expect(result.anomalies[1].exitCode == 1 && result.anomalies[1].timeNs == 150_000_000)
        // It decides the whole report, like any other check.
        let report = CheckReport(history: History(ops: []), timeline: timeline)
        #expect(report.brokers.verdict == .invalid && report.valid == .invalid)
    }

    @Test func withoutARecordOfStartedBrokersTheCheckCannotJudge() {
        let result = BrokerExitChecker.check(Timeline(records: []), limit: 10)
        #expect(result.verdict == .unknown)
        #expect(result.notes.contains { $0.contains("unknown") })
    }

    @Test func theUnplannedFieldsSurviveTheTimelineFile() throws {
        let record = process(100, "broker-2", .killed, signal: 6, unplanned: true, lastOutput: "Fatal error: boom")
        let line = String(decoding: try JSONEncoder().encode(record), as: UTF8.self)
        #expect(line.contains("\"unplanned\":true") && line.contains("\"last_output\":\"Fatal error: boom\"") && line.contains("\"signal\":6"))
        let decoded = try JSONDecoder().decode(TimelineRecord.self, from: Data(line.utf8))
        #expect(decoded == record)
        // A planned record carries none of them.
        let planned = String(decoding: try JSONEncoder().encode(process(100, "broker-2", .killed)), as: UTF8.self)
        #expect(!planned.contains("unplanned") && !planned.contains("last_output"))
    }
}
