import Foundation
import Testing
@testable import Verification

@Suite struct RoundTripTests {
    func roundTrip<Item: Codable & Equatable & Sendable>(_ items: [Item]) throws -> [Item] {
        let data = try JSONL.encode(items)
        #expect(data.split(separator: 0x0A).count == items.count)
        let decoded = JSONL.decode(Item.self, from: data, source: "test")
        #expect(decoded.problems.isEmpty, "\(decoded.problems.listed)")
        return decoded.items
    }

    @Test func everyHistoryOpShapeSurvivesJSONL() throws {
        let ops: [HistoryOp] = [
            HistoryOp(index: 0, timeNs: 1, process: "producer-1", type: .invoke, f: .send,
                      value: .send(SendValue(topic: "t", key: "k", value: "v1")), opId: 7),
            HistoryOp(index: 1, timeNs: 2, process: "producer-1", type: .ok, f: .send,
                      value: .send(SendValue(topic: "t", key: "k", value: "v1", partition: 2, offset: 9, broker: 1, leaderEpoch: 4)),
                      opId: 7),
            HistoryOp(index: 2, timeNs: 3, process: "producer-1", type: .info, f: .send, value: .none, error: "REQUEST_TIMED_OUT"),
            HistoryOp(index: 3, timeNs: 4, process: "consumer-1", type: .invoke, f: .poll),
            HistoryOp(index: 4, timeNs: 5, process: "consumer-1", type: .ok, f: .poll,
                      value: .poll(PollValue(records: [ReadRecord(topic: "t", partition: 2, offset: 9, key: "k", value: "v1")]))),
            HistoryOp(index: 5, timeNs: 6, process: "consumer-1", type: .ok, f: .assign,
                      value: .assignment(AssignmentValue(partitions: [.init("t", 0), .init("t", 1)]))),
            HistoryOp(index: 6, timeNs: 7, process: "consumer-1", type: .ok, f: .subscribe,
                      value: .assignment(AssignmentValue(topics: ["t"]))),
            HistoryOp(index: 7, timeNs: 8, process: "consumer-1", type: .ok, f: .commit,
                      value: .other(.object(["offsets": .array([.int(3), .double(1.5), .bool(true), .null, .string("x")])]))),
            HistoryOp(index: 8, timeNs: 9, process: "final-reader", type: .ok, f: .finalRead, value: .poll(PollValue(records: []))),
        ]
        #expect(try roundTrip(ops) == ops)
    }

    @Test func everyTimelineRecordKindSurvivesJSONL() throws {
        let records: [TimelineRecord] = [
            TimelineRecord(timeNs: 1, observer: "metadata-1", .metadata(MetadataSample(controller: 1, brokers: [1, 2, 3], partitions: [
                PartitionState(topic: "t", partition: 0, leader: 1, leaderEpoch: 3, replicas: [1, 2, 3], isr: [1, 2], offline: [3]),
                PartitionState(topic: "t", partition: 1, leader: -1, replicas: [2], isr: []),
            ]))),
            TimelineRecord(timeNs: 2, .unreachable(UnreachableSample(target: "broker-1", error: "connection refused"))),
            TimelineRecord(timeNs: 3, .offsets(OffsetsSample(topic: "t", partition: 0, hw: 10, leo: 12, logStart: 0))),
            TimelineRecord(timeNs: 4, .lag(LagSample(group: "g", topic: "t", partition: 0, committed: 5, end: 10, lag: 5))),
            TimelineRecord(timeNs: 5, .fault(FaultRecord(id: "f1", action: .start, fault: .isolate, targets: ["broker-2"], description: "isolate 2"))),
            TimelineRecord(timeNs: 5, .fault(FaultRecord(id: 2, action: .start, command: .crash(.leaderOf(topic: "t", partition: 0)), brokers: [1]))),
            TimelineRecord(timeNs: 5, .fault(FaultRecord(
                id: 3, action: .end, command: .slowLinks(from: [.broker(1)], to: [.clients], LinkDegradation(latencyMs: 200, jitterMs: 20)),
                brokers: [1], links: ["1->clients"]))),
            TimelineRecord(timeNs: 6, .brokerEvent(BrokerEvent(
                broker: 2, event: .isrShrink, topic: "t", partition: 0, leaderEpoch: 3, leader: 2, oldIsr: [1, 2, 3],
                newIsr: [2], reason: "lag", fromOffset: 1, toOffset: 2, controllerEpoch: 4))),
            TimelineRecord(timeNs: 7, .process(ProcessRecord(name: "broker-2", state: .exited, pid: 99, exitCode: 137))),
            TimelineRecord(timeNs: 8, .fields(.step, ["index": .int(1), "event": .string("applied")])),
        ]
        #expect(try roundTrip(records) == records)
    }

    @Test func linesWrittenOneByOneReadBackAsAHistory() throws {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.finalRead([(0, "a")])
        var data = Data()
        for op in h.ops { data.append(try JSONL.encodeLine(op)) }
        let decoded = JSONL.decode(HistoryOp.self, from: data, source: "history.jsonl")
        #expect(decoded.items == h.ops)
    }

    @Test func unknownFieldsAreIgnoredAndFailedMetadataIsUnreachable() {
        let text = """
            {"time_ns":1,"kind":"lag","group":"g","topic":"t","partition":0,"committed":1,"end":2,"lag":1,"extra":{"x":1}}
            {"time_ns":2,"kind":"metadata","error":"timed out"}
            {"time_ns":3,"kind":"fault","id":12,"action":"end","fault":"slow","targets":[]}
            """
        let decoded = JSONL.decode(TimelineRecord.self, from: Data(text.utf8), source: "timeline.jsonl")
        #expect(decoded.problems.isEmpty)
        #expect(decoded.items.map(\.body.kind) == [.lag, .unreachable, .fault])
        if case .fault(let fault) = decoded.items[2].body { #expect(fault.id == "12") }
    }

    @Test func aFaultRecordCarriesItsCommandAsAValueWithTheTextForPeople() throws {
        let record = TimelineRecord(timeNs: 9, .fault(FaultRecord(
            id: 4, action: .start, command: .partition([[.broker(1)], [.broker(2), .zookeeper]]), brokers: [1, 2], links: ["1->2"])))
        let line = String(decoding: try JSONL.encodeLine(record), as: UTF8.self)
        #expect(line.contains(#""command":{"fault":"partition","groups":[[{"broker":1,"kind":"broker"}],[{"broker":2,"kind":"broker"},{"kind":"zk"}]]}"#))
        #expect(line.contains(#""description":"partition 1 | 2 zk""#) && line.contains(#""fault":"partition""#))
        let windows = Timeline(records: [record]).faultWindows
        #expect(windows.first?.command == .partition([[.broker(1)], [.broker(2), .zookeeper]]))
    }

    @Test func timelinesWrittenBeforeFaultValuesStillRead() {
        let text = #"{"time_ns":3,"kind":"fault","id":"1","action":"start","fault":"crash","targets":["broker-2"],"description":"crash 2"}"#
        let decoded = JSONL.decode(TimelineRecord.self, from: Data(text.utf8), source: "timeline.jsonl")
        #expect(decoded.problems.isEmpty)
        guard case .fault(let fault)? = decoded.items.first?.body else { Issue.record("not a fault: \(decoded.items)"); return }
        #expect(fault.command == nil && fault.description == "crash 2" && fault.fault == .crash)
    }

    @Test func unknownKindsAreProblemsNamingTheFileLineAndValue() {
        let text = """
            {"time_ns":1,"kind":"disk","broker":1}
            {"time_ns":2,"kind":"fault","id":"1","action":"start","fault":"kill","targets":[]}
            {"time_ns":3,"kind":"fault","id":"2","action":"start","fault":"stop","targets":[],"command":{"fault":"crash","target":{"kind":"broker","broker":1}}}
            {"time_ns":4,"kind":"lag","group":"g","topic":"t","partition":0,"committed":1,"end":2,"lag":1}
            """
        let decoded = JSONL.decode(TimelineRecord.self, from: Data(text.utf8), source: "timeline.jsonl")
        #expect(decoded.items.map(\.body.kind) == [.lag])
        let problems = decoded.problems.listed.map(\.description)
        #expect(problems.count == 3)
        #expect(problems.first?.hasPrefix("timeline.jsonl:1: bad value at kind: unknown timeline kind 'disk'; one of metadata") == true, "\(problems)")
        #expect(problems.dropFirst().first?.hasPrefix("timeline.jsonl:2: bad value at fault: unknown fault kind 'kill'; one of crash") == true, "\(problems)")
        #expect(problems.last?.contains("timeline.jsonl:3:") == true && problems.last?.contains("does not match its command 'crash 1'") == true, "\(problems)")
    }

    @Test func parametersReportAndFiguresEncodeAndDecode() throws {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.finalRead([(0, "a")])
        let parameters = RunParameters(topics: ["t": TopicSettings(partitions: 3, replicationFactor: 3, minInSyncReplicas: 2)])
        #expect(try roundTrip([parameters]) == [parameters])
        let report = CheckReport(history: h.history, timeline: Timeline(records: []), parameters: parameters)
        let figures = Figures(history: h.history, timeline: Timeline(records: []), parameters: parameters, report: report)
        #expect(try roundTrip([report]) == [report])
        #expect(try roundTrip([figures]) == [figures])
        let json = String(decoding: try report.json(), as: UTF8.self)
        #expect(json.contains("\"lost_write\""))
        #expect(json.contains("\"valid\" : \"unknown\""))
    }
}
