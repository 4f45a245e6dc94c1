import Foundation
import Testing
@testable import Lab

/// `elect-leaders` and `reassign` in the fault grammar: what parses, what is refused and where,
/// and the JSON form the control socket and `run.json` carry.
@Suite struct AdminRequestGrammarTests {
    @Test(arguments: [
        ("elect-leaders orders/0", FaultCommand.electLeaders(topic: "orders", partition: 0, election: .preferred)),
        ("elect-leaders orders/2 --type unclean", .electLeaders(topic: "orders", partition: 2, election: .unclean)),
        ("elect-leaders orders/0 --type preferred", .electLeaders(topic: "orders", partition: 0, election: .preferred)),
        ("elect-leaders a/b/1", .electLeaders(topic: "a/b", partition: 1, election: .preferred)),
        ("reassign orders/0 --replicas 2,3,1", .reassign(topic: "orders", partition: 0, replicas: [2, 3, 1])),
        ("reassign orders/0 --replicas 3", .reassign(topic: "orders", partition: 0, replicas: [3])),
        ("reassign orders/0 --cancel", .reassign(topic: "orders", partition: 0, replicas: nil)),
    ])
    func parsesAdminRequests(_ line: String, _ expected: FaultCommand) throws {
        let command = try FaultParser.parse(line)
        #expect(command == expected)
        #expect(try FaultParser.parse(command.description) == command, "description parses back: \(command.description)")
        #expect(command.isAdminRequest)
        #expect(command.targets.isEmpty)
        #expect(command.problem == nil)
    }

    @Test(arguments: [
        ("elect-leaders", 13, "elect-leaders needs topic/partition", "e.g. elect-leaders orders/0 --type unclean"),
        ("elect-leaders orders", 14, "'orders' is not topic/partition", "e.g. orders/0"),
        ("elect-leaders orders/-1", 14, "'orders/-1' is not topic/partition", "e.g. orders/0"),
        ("elect-leaders /0", 14, "'/0' is not topic/partition", "e.g. orders/0"),
        ("elect-leaders orders/0 --type dirty", 30, "unknown election type 'dirty'", "preferred or unclean"),
        ("elect-leaders orders/0 --type", 29, "--type needs a value", "preferred or unclean"),
        ("elect-leaders orders/0 --type unclean --type preferred", 38, "--type is given twice", nil),
        ("elect-leaders orders/0 --replicas 1", 23, "unknown option '--replicas' for elect-leaders", "options: --type"),
        ("reassign orders/0", 17, "reassign needs --replicas or --cancel", "e.g. reassign orders/0 --replicas 2,3,1"),
        ("reassign orders/0 --replicas", 28, "--replicas needs a value", "broker ids, the preferred leader first, e.g. 2,3,1"),
        ("reassign orders/0 --replicas 2,x", 29, "'2,x' is not a list of broker ids", "e.g. 2,3,1"),
        ("reassign orders/0 --replicas 2,,3", 29, "'2,,3' is not a list of broker ids", "e.g. 2,3,1"),
        ("reassign orders/0 --replicas 0,1", 29, "broker ids start at 1, got 0", nil),
        ("reassign orders/0 --replicas 2,1,2", 29, "--replicas names a broker twice: 2,1,2", nil),
        ("reassign orders/0 --replicas 2,1 --cancel", 33, "reassign takes --replicas or --cancel, not both", nil),
        ("reassign orders/0 --cancel --cancel", 27, "--cancel is given twice", nil),
        ("reassign orders/0 --to 2", 18, "unknown option '--to' for reassign", "options: --replicas, --cancel"),
        ("reasign orders/0 --cancel", 0, "unknown fault 'reasign'", "did you mean 'reassign'?"),
    ])
    func rejectsBadInputNamingTheProblem(_ line: String, _ offset: Int, _ message: String, _ hint: String?) {
        do {
            let command = try FaultParser.parse(line)
            Issue.record("accepted '\(line)' as \(command)")
        } catch let error as CommandParseError {
            #expect(error.offset == offset, "'\(line)': \(error)")
            #expect(error.message == message, "'\(line)': \(error)")
            #expect(error.hint == hint, "'\(line)': \(error)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func theJSONFormNamesThePartitionAndTheAnswerItAsksFor() throws {
        let elect = try JSONSerialization.jsonObject(with: JSONEncoder().encode(FaultCommand.electLeaders(topic: "orders", partition: 2, election: .unclean)))
        #expect(elect as? NSDictionary == ["fault": "elect_leaders", "topic": "orders", "partition": 2, "election": "unclean"])
        let cancel = try JSONSerialization.jsonObject(with: JSONEncoder().encode(FaultCommand.reassign(topic: "orders", partition: 0, replicas: nil)))
        #expect(cancel as? NSDictionary == ["fault": "reassign", "topic": "orders", "partition": 0, "cancel": true])
        let move = try JSONDecoder().decode(FaultCommand.self, from: Data(#"{"fault": "reassign", "topic": "t", "partition": 1, "replicas": [3, 1]}"#.utf8))
        #expect(move == .reassign(topic: "t", partition: 1, replicas: [3, 1]))
        let preferred = try JSONDecoder().decode(FaultCommand.self, from: Data(#"{"fault": "elect_leaders", "topic": "t", "partition": 0}"#.utf8))
        #expect(preferred == .electLeaders(topic: "t", partition: 0, election: .preferred))
    }

    @Test(arguments: [
        (#"{"fault": "reassign", "topic": "t", "partition": 0}"#, "reassign takes either replicas or cancel: true"),
        (#"{"fault": "reassign", "topic": "t", "partition": 0, "replicas": [1], "cancel": true}"#, "reassign takes either replicas or cancel: true"),
        (#"{"fault": "reassign", "topic": "t", "partition": 0, "replicas": []}"#, "--replicas needs at least one broker id"),
        (#"{"fault": "reassign", "topic": "t", "partition": 0, "replicas": [1, 1]}"#, "--replicas names a broker twice: 1,1"),
        (#"{"fault": "reassign", "topic": "t", "partition": 0, "replicas": [-2]}"#, "broker ids start at 1, got -2"),
        (#"{"fault": "elect_leaders", "topic": "", "partition": 0}"#, "'/0' names no topic"),
        (#"{"fault": "elect_leaders", "topic": "t", "partition": -1}"#, "'t/-1' is not topic/partition"),
    ])
    func aDecodedAdminRequestIsHeldToTheGrammar(_ json: String, _ expected: String) {
        do {
            let command = try JSONDecoder().decode(FaultCommand.self, from: Data(json.utf8))
            Issue.record("accepted \(json) as \(command)")
        } catch let DecodingError.dataCorrupted(context) {
            #expect(context.debugDescription.contains(expected), "\(context.debugDescription)")
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test func anUnknownElectionTypeInJSONIsRefused() {
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(FaultCommand.self, from: Data(#"{"fault": "elect_leaders", "topic": "t", "partition": 0, "election": "dirty"}"#.utf8))
        }
    }
}
