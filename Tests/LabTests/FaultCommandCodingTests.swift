import Foundation
import Testing
@testable import Lab

/// Faults travel as values (the control socket, `run.json`): every case survives a JSON round trip,
/// and a decoded command is held to what the parser would accept.
@Suite struct FaultCommandCodingTests {
    static let everyCase: [FaultCommand] = [
        .crash(.broker(2)),
        .stop(.controller),
        .restart(.all),
        .pause(.followersOf(topic: "orders", partition: 0)),
        .resume(.random),
        .partition([[.broker(1), .zookeeper], [.clients, .leaderOf(topic: "t", partition: 1)], [.broker(3)]]),
        .partitionOneWay(from: [.leaderOf(topic: "orders", partition: 0)], to: [.followersOf(topic: "orders", partition: 0)]),
        .isolate(.inSyncFollowerOf(topic: "orders", partition: 2)),
        .isolateZookeeper(.coordinatorOf(group: "billing team")),
        .crash(.transactionCoordinatorOf(transactionalId: "producer-1-1")),
        .slow(.broker(3), LinkDegradation(latencyMs: 300, jitterMs: 50)),
        .slow(.broker(3), LinkDegradation(bandwidthBytesPerSecond: 100_000)),
        .slow(.broker(1), LinkDegradation(latencyMs: 1500, jitterMs: 0, bandwidthBytesPerSecond: 1_000_000)),
        .lossy(.broker(2), LinkDegradation(resetProbability: 0.25)),
        .slowLinks(from: [.broker(2)], to: [.broker(1)], LinkDegradation(latencyMs: 200)),
        .slowLinks(from: [.clients], to: [.leaderOf(topic: "orders", partition: 0)], LinkDegradation(bandwidthBytesPerSecond: 10_000)),
        .lossyLinks(from: [.broker(1), .zookeeper], to: [.broker(3)], LinkDegradation(resetProbability: 0.1)),
        .toxic(.broker(2), .limitData(bytes: 4096)),
        .toxicLinks(from: [.clients], to: [.broker(3)], .limitData(bytes: 1)),
        .toxic(.leaderOf(topic: "orders", partition: 0), .slice(averageSize: 64, sizeVariation: 16, delayMs: 10)),
        .toxicLinks(from: [.broker(2)], to: [.broker(1)], .slice(averageSize: 1, sizeVariation: 0, delayMs: 0)),
        .toxic(.all, .timeout(afterMs: 0)),
        .toxicLinks(from: [.clients], to: [.broker(3)], .timeout(afterMs: 5000)),
        .heal(faultId: nil),
        .heal(faultId: 4),
        .healNetwork,
        .powerLoss(.all),
        .awaitCondition(.isrSize(topic: "orders", partition: 0, .lessOrEqual, 1), timeoutMs: 15_000),
        .awaitCondition(.underMinIsr(topic: "orders", partition: 1), timeoutMs: 10_000),
        .awaitCondition(.followerLag(topic: "orders", partition: 0, .greaterOrEqual, 100), timeoutMs: 600_000),
        .awaitCondition(.leader(topic: "orders", partition: 0, .notEqual, 1), timeoutMs: 1),
        .awaitCondition(.leader(topic: "orders", partition: 0, .equal, -1), timeoutMs: 10_000),
        .electLeaders(topic: "orders", partition: 0, election: .preferred),
        .electLeaders(topic: "a/b", partition: 3, election: .unclean),
        .reassign(topic: "orders", partition: 1, replicas: [2, 3, 1]),
        .reassign(topic: "orders", partition: 1, replicas: nil),
    ]

    @Test(arguments: everyCase)
    func everyFaultSurvivesAJSONRoundTrip(_ command: FaultCommand) throws {
        let data = try JSONEncoder().encode(command)
        #expect(try JSONDecoder().decode(FaultCommand.self, from: data) == command, "\(String(decoding: data, as: UTF8.self))")
    }

    @Test func everyTagIsCovered() {
        #expect(Set(Self.everyCase.map(\.tag)) == Set(FaultCommand.Tag.allCases))
        let targets = Self.everyCase.flatMap(targets(of:))
        #expect(Set(targets.map(\.kind)) == Set(Target.Kind.allCases))
        let conditions = Self.everyCase.compactMap { command -> Condition? in
            if case .awaitCondition(let condition, _) = command { return condition } else { return nil }
        }
        #expect(Set(conditions.map(\.tag)) == Set(Condition.Tag.allCases))
    }

    @Test func theJSONFormNamesTheFaultAndItsTarget() throws {
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(FaultCommand.isolateZookeeper(.leaderOf(topic: "orders", partition: 0))))
        let object = try #require(json as? [String: Any])
        #expect(object["fault"] as? String == "isolate_zk")
        let target = try #require(object["target"] as? [String: Any])
        #expect(target["kind"] as? String == "leader_of")
        #expect(target["topic"] as? String == "orders")
        #expect(target["partition"] as? Int == 0)
    }

    @Test(arguments: [
        (#"{"fault": "crsh", "target": {"kind": "broker", "broker": 2}}"#, "unknown fault 'crsh'"),
        (#"{"fault": "crash", "target": {"kind": "broker", "broker": 0}}"#, "broker ids start at 1, got 0"),
        (#"{"fault": "crash", "target": {"kind": "zk"}}"#, "'zk' is only allowed in partition groups"),
        (#"{"fault": "crash", "target": {"kind": "leader", "topic": "t", "partition": 0}}"#, "unknown target 'leader'"),
        (#"{"fault": "partition", "groups": [[{"kind": "broker", "broker": 1}]]}"#, "partition needs at least two groups"),
        (#"{"fault": "slow", "target": {"kind": "broker", "broker": 1}}"#, "slow needs --latency or --bandwidth"),
        (#"{"fault": "slow", "target": {"kind": "broker", "broker": 1}, "latency_ms": 10, "jitter_ms": 50}"#, "cannot exceed --latency"),
        (#"{"fault": "lossy", "target": {"kind": "broker", "broker": 1}, "reset_probability": 2}"#, "between 0 and 1"),
        (#"{"fault": "heal", "fault_id": -1}"#, "heal takes a fault id"),
        (#"{"fault": "limit_data", "target": {"kind": "broker", "broker": 1}, "bytes": 0}"#, "--bytes must be more than 0"),
        (#"{"fault": "slice", "target": {"kind": "broker", "broker": 1}, "average_size": 8, "size_variation": 8}"#, "--size-variation must be"),
        (#"{"fault": "timeout", "target": {"kind": "zk"}}"#, "'zk' is only allowed in partition groups"),
        (#"{"fault": "timeout", "from": [], "to": [{"kind": "broker", "broker": 1}], "after_ms": 10}"#, "timeout between groups takes FROM -> TO"),
        (#"{"fault": "timeout", "target": {"kind": "broker", "broker": 1}, "after_ms": -5}"#, "--after must be between 0 and 1h"),
        (#"{"fault": "await", "condition": {"condition": "isr", "topic": "t", "partition": 0, "op": "=<", "value": 1}}"#, "unknown operator '=<'"),
        (#"{"fault": "await", "condition": {"condition": "leader", "topic": "t", "partition": 0, "op": ">=", "broker": 1}}"#, "leader compares with == or !="),
        (#"{"fault": "await", "condition": {"condition": "isr", "topic": "t", "partition": 0, "op": "==", "value": 1}, "timeout_ms": 0}"#, "--timeout must be more than 0"),
    ])
    func aDecodedCommandIsHeldToTheGrammar(_ json: String, _ expected: String) {
        do {
            let command = try JSONDecoder().decode(FaultCommand.self, from: Data(json.utf8))
            Issue.record("accepted \(json) as \(command)")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription.contains(expected), "\(context.debugDescription)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test(arguments: everyCase)
    func everyParsedCommandPassesTheDecodingChecks(_ command: FaultCommand) {
        #expect(command.problem == nil)
    }

    private func targets(of command: FaultCommand) -> [Target] { command.targets }
}

/// The control protocol's requests: typed ops, a fault as its value, and one clear sentence for a
/// request the lab cannot read.
@Suite struct ControlRequestCodingTests {
    @Test(arguments: [ControlRequest.status, .shutdown, .detach] + FaultCommandCodingTests.everyCase.map(ControlRequest.fault))
    func everyRequestSurvivesAJSONRoundTrip(_ request: ControlRequest) throws {
        let data = try JSONEncoder().encode(request)
        #expect(try ControlRequest.decode(line: data).get() == request, "\(String(decoding: data, as: UTF8.self))")
    }

    @Test func theWireSpellingOfOpsIsKept() throws {
        for op in ControlRequest.Op.allCases {
            let line = Data(#"{"op": "\#(op.rawValue)"}"#.utf8)
            if op == .fault { continue }
            #expect(try ControlRequest.decode(line: line).get().op == op)
        }
        let crash = try ControlRequest.decode(line: Data(#"{"op": "fault", "command": {"fault": "crash", "target": {"kind": "broker", "broker": 2}}}"#.utf8)).get()
        #expect(crash == .fault(.crash(.broker(2))))
    }

    @Test(arguments: [
        ("not json", "malformed request: not a JSON object"),
        (#"{"op": "launch"}"#, "unknown op 'launch'; one of fault, status, shutdown, detach"),
        (#"{"command": "crash 2"}"#, "'op' is missing"),
        (#"{"op": "fault"}"#, "a fault request needs a command"),
        (#"{"op": "fault", "command": "crash 2"}"#, "is text; the lab takes a parsed fault"),
        (#"{"op": "fault", "command": {"fault": "crash"}}"#, "at command: 'target' is missing"),
        (#"{"op": "fault", "command": {"fault": "crash", "target": {"kind": "broker", "broker": "two"}}}"#, "at command.target.broker: expected Int32"),
        (#"{"op": "fault", "command": {"fault": "crash", "target": {"kind": "broker", "broker": -3}}}"#, "broker ids start at 1, got -3"),
    ])
    func aMalformedRequestIsRefusedInOneSentence(_ line: String, _ expected: String) {
        switch ControlRequest.decode(line: Data(line.utf8)) {
        case .success(let request): Issue.record("accepted \(line) as \(request)")
        case .failure(let error): #expect(error.description.contains(expected), "\(error)")
        }
    }
}
