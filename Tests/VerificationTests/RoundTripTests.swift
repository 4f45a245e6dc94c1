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
            TimelineRecord(timeNs: 8, .step(StepRecord(index: 1, atMs: 1000, command: .crash(.broker(2)), event: .applied, elapsedMs: 1002))),
            TimelineRecord(timeNs: 9, .powerLoss(PowerLossRecord(
                faultId: "3", broker: 1, filesKnown: 4, filesCut: 1, bytesDropped: 100,
                cuts: [.init(path: "broker-1/data/t-0/0.log", length: 180, durableLength: 80)], journalProblems: ["line 3: cut short"]))),
            TimelineRecord(timeNs: 10, .awaitCondition(AwaitRecord(condition: "isr t/0 <= 1", event: .held, waitedMs: 40, observed: "ISR [1] (1)",
                                                                   value: 1))),
            TimelineRecord(timeNs: 11, .interrupted(RunInterruption(signal: "SIGINT", phase: "running the workload", elapsedMs: 600))),
            TimelineRecord(timeNs: 12, .faultRefused(FaultRefusedRecord(command: .pause(.leaderOf(topic: "t", partition: 0)), error: "no leader"))),
            TimelineRecord(timeNs: 13, observer: "executor", .executorCommand(ExecutorCommandRecord(
                broker: 2, action: "crash", command: "ssh h2 'kill -9 1'", exitStatus: nil, timedOut: true, result: "timed out", output: "",
                durationMs: 5000, reason: "fault"))),
            TimelineRecord(timeNs: 14, .admin(AdminRecord(command: .reassign(topic: "t", partition: 0, replicas: [3, 1]), topic: "t", partition: 0,
                                                          outcome: "NONE", tookMs: 12))),
            TimelineRecord(timeNs: 15, .admin(AdminRecord(command: .electLeaders(topic: "t", partition: 1, election: .unclean), topic: "t", partition: 1,
                                                          outcome: nil, error: "no broker reachable", tookMs: 3000))),
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

    /// Lines as the lab wrote them before every kind had a record type: each reads, and writes back
    /// with the same keys and values, so old run directories and the scripts reading
    /// `timeline.jsonl` see one layout.
    @Test func linesOfEveryKindWriteBackAsTheyWereWritten() throws {
        let lines = [
            #"{"brokers":[1,2],"controller":1,"kind":"metadata","observer":"metadata","partitions":[{"isr":[1],"leader":1,"leader_epoch":2,"offline":[],"partition":0,"replicas":[1,2],"topic":"t"}],"time_ns":1}"#,
            #"{"error":"metrics endpoint did not answer","kind":"unreachable","observer":"offsets","target":"broker-2","time_ns":2}"#,
            #"{"hw":10,"kind":"offsets","leader":1,"leader_epoch":2,"leo":12,"log_start":0,"observer":"offsets","partition":0,"time_ns":3,"topic":"t"}"#,
            #"{"committed":5,"end":10,"group":"g","kind":"lag","lag":5,"observer":"lag","partition":0,"time_ns":4,"topic":"t"}"#,
            #"{"exit_code":137,"kind":"process","name":"broker-2","pid":99,"state":"killed","time_ns":5}"#,
            #"{"broker":1,"bytes_dropped":100,"cuts":[{"durable_length":80,"length":180,"path":"broker-1/data/t-0/0.log"}],"fault_id":"3","files_cut":1,"files_known":4,"kind":"power_loss","time_ns":6}"#,
            #"{"condition":"isr t/0 <= 1","event":"wait","kind":"await","time_ns":7,"timeout_ms":5000}"#,
            #"{"condition":"isr t/0 <= 1","event":"timeout","kind":"await","observed":"ISR [1, 2] (2)","time_ns":8,"value":2,"waited_ms":5001}"#,
            #"{"elapsed_ms":600,"kind":"interrupted","phase":"running the workload","signal":"SIGTERM","time_ns":9}"#,
            #"{"action":"crash","broker":2,"command":"kill 1","duration_ms":3,"exit_status":0,"kind":"executor_command","observer":"executor","output":"","reason":"fault","result":"exit 0","time_ns":10,"timed_out":false}"#,
        ]
        for line in lines {
            let record = try JSONDecoder().decode(TimelineRecord.self, from: Data(line.utf8))
            let written = try JSONL.encodeLine(record)
            let original = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? NSDictionary
            let rewritten = try JSONSerialization.jsonObject(with: written) as? NSDictionary
            #expect(original == rewritten, "\(line) became \(String(decoding: written, as: UTF8.self))")
        }
    }

    @Test func stepAndRefusalRecordsCarryTheCommandAsAValueAndReadTheOldText() throws {
        let command = FaultCommand.crash(.leaderOf(topic: "t", partition: 0))
        let step = TimelineRecord(timeNs: 1, .step(StepRecord(index: 2, atMs: 1000, command: command, event: .refused, elapsedMs: 1001)))
        let line = String(decoding: try JSONL.encodeLine(step), as: UTF8.self)
        #expect(line.contains(#""command":{"fault":"crash","target":{"kind":"leader_of","partition":0,"topic":"t"}}"#), "\(line)")
        #expect(line.contains(#""description":"crash leader_of t/0""#), "\(line)")
        let text = """
            {"time_ns":1,"kind":"step","index":2,"at_ms":1000,"command":"crash leader_of t/0","event":"refused","error":"no leader"}
            {"time_ns":2,"kind":"fault_refused","command":"crash leader_of t/0","error":"no leader"}
            {"time_ns":3,"kind":"step","index":2,"at_ms":1000,"command":{"fault":"crash","target":{"kind":"leader_of","partition":0,"topic":"t"}},"event":"bogus"}
            """
        let decoded = JSONL.decode(TimelineRecord.self, from: Data(text.utf8), source: "timeline.jsonl")
        #expect(decoded.items.count == 2)
        #expect(decoded.problems.total == 1 && decoded.problems.listed.first?.line == 3, "a step event no reader knows is a problem of its line")
        guard decoded.items.count == 2, case .step(let old) = decoded.items[0].body, case .faultRefused(let refused) = decoded.items[1].body else {
            Issue.record("the old lines did not read as a step and a refusal: \(decoded.items)")
            return
        }
        #expect(old.command == nil && old.description == "crash leader_of t/0" && old.error == "no leader")
        #expect(refused.command == nil && refused.description == "crash leader_of t/0")
        let reread = try JSONDecoder().decode(TimelineRecord.self, from: Data(line.utf8))
        #expect(reread == step)
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
