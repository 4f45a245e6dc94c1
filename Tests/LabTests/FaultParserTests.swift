import Testing
@testable import Lab

@Suite struct FaultParserTests {
    @Test(arguments: [
        ("crash 2", FaultCommand.crash(.broker(2))),
        ("stop controller", .stop(.controller)),
        ("restart 2", .restart(.broker(2))),
        ("pause followers_of orders/0", .pause(.followersOf(topic: "orders", partition: 0))),
        ("resume all", .resume(.all)),
        ("isolate leader_of orders/0", .isolate(.leaderOf(topic: "orders", partition: 0))),
        ("isolate-zk coordinator_of g1", .isolateZookeeper(.coordinatorOf(group: "g1"))),
        ("crash txn_coordinator_of producer-1-1", .crash(.transactionCoordinatorOf(transactionalId: "producer-1-1"))),
        ("isolate txn_coordinator_of consumer-3-1", .isolate(.transactionCoordinatorOf(transactionalId: "consumer-3-1"))),
        ("crash random", .crash(.random)),
        ("partition 1 | 2 3", .partition([[.broker(1)], [.broker(2), .broker(3)]])),
        ("partition 1|2 3", .partition([[.broker(1)], [.broker(2), .broker(3)]])),
        ("partition leader_of t/1 zk | clients 2", .partition([[.leaderOf(topic: "t", partition: 1), .zookeeper], [.clients, .broker(2)]])),
        ("partition 1 -> 2 3", .partitionOneWay(from: [.broker(1)], to: [.broker(2), .broker(3)])),
        ("slow 3 --latency 300ms --jitter 50ms", .slow(.broker(3), LinkDegradation(latencyMs: 300, jitterMs: 50))),
        ("slow 3 --bandwidth 100kb", .slow(.broker(3), LinkDegradation(bandwidthBytesPerSecond: 100_000))),
        ("slow 1 --latency 1.5s", .slow(.broker(1), LinkDegradation(latencyMs: 1500))),
        ("lossy 2 --reset-probability 0.25", .lossy(.broker(2), LinkDegradation(resetProbability: 0.25))),
        ("slow 2 -> 1 --latency 200ms", .slowLinks(from: [.broker(2)], to: [.broker(1)], LinkDegradation(latencyMs: 200))),
        ("slow 2->1 --latency 200ms", .slowLinks(from: [.broker(2)], to: [.broker(1)], LinkDegradation(latencyMs: 200))),
        ("slow clients -> 3 --bandwidth 10kb", .slowLinks(from: [.clients], to: [.broker(3)], LinkDegradation(bandwidthBytesPerSecond: 10_000))),
        ("lossy followers_of t/0 -> leader_of t/0 --reset-probability 0.1",
         .lossyLinks(from: [.followersOf(topic: "t", partition: 0)], to: [.leaderOf(topic: "t", partition: 0)], LinkDegradation(resetProbability: 0.1))),
        ("limit-data 2 --bytes 4kb", .toxic(.broker(2), .limitData(bytes: 4000))),
        ("limit-data clients -> 3 --bytes 512", .toxicLinks(from: [.clients], to: [.broker(3)], .limitData(bytes: 512))),
        ("slice 2->1 --average-size 64 --size-variation 16 --delay 5ms",
         .toxicLinks(from: [.broker(2)], to: [.broker(1)], .slice(averageSize: 64, sizeVariation: 16, delayMs: 5))),
        ("slice leader_of t/0 --average-size 1", .toxic(.leaderOf(topic: "t", partition: 0), .slice(averageSize: 1, sizeVariation: 0, delayMs: 0))),
        ("timeout 3", .toxic(.broker(3), .timeout(afterMs: 0))),
        ("timeout clients -> 3 --after 5s", .toxicLinks(from: [.clients], to: [.broker(3)], .timeout(afterMs: 5000))),
        ("timeout all --after 0", .toxic(.all, .timeout(afterMs: 0))),
        ("heal", .heal(faultId: nil)),
        ("heal all", .heal(faultId: nil)),
        ("heal 4", .heal(faultId: 4)),
    ])
    func parsesEveryFault(_ line: String, _ expected: FaultCommand) throws {
        #expect(try FaultParser.parse(line) == expected)
        #expect(try FaultParser.parse(expected.description) == expected, "description parses back: \(expected.description)")
    }

    @Test(arguments: [
        ("crsh 2", 0, "did you mean 'crash'?"),
        ("crash", 5, nil),
        ("crash 0", 6, nil),
        ("crash leader_of orders", 16, "e.g. orders/0"),
        ("crash leadr_of orders/0", 6, "did you mean 'leader_of'?"),
        ("crash zk", 6, nil),
        ("crash 2 3", 8, nil),
        ("partition 1", 10, nil),
        ("partition 1 | | 2", 14, nil),
        ("partition 1 -> 2 -> 3", 17, nil),
        ("slow 3", 6, "e.g. slow 3 --latency 300ms --jitter 50ms"),
        ("slow 3 --latency fast", 17, "e.g. 300ms, 2s"),
        ("slow 3 --latency 10ms --jitter 50ms", 35, nil),
        ("slow 3 --speed 1", 7, "options: --latency, --jitter, --bandwidth"),
        ("lossy 2 --reset-probability 2", 28, nil),
        ("heal x", 5, nil),
        ("limit-data 2", 12, "e.g. limit-data 2 --bytes 4kb"),
        ("limit-data 2 --bytes 0", 21, "e.g. 512, 4kb, 1mb"),
        ("limit-data 2 --bytes lots", 21, "e.g. 512, 4kb, 1mb"),
        ("limit-data 2 --bytes", 20, nil),
        ("limit-data 2 --latency 5ms", 13, "options: --bytes"),
        ("limit-data zk --bytes 5", 11, nil),
        ("slice 2 --delay 5ms", 19, "e.g. slice 2 --average-size 64 --delay 10ms"),
        ("slice 2 --average-size 8 --size-variation 8", 42, nil),
        ("slice 2 --average-size 8 --delay soon", 33, "e.g. 300ms, 2s"),
        ("slice 2 --average-size 8 --average-size 9", 25, nil),
        ("timeout", 7, nil),
        ("timeout 3 --after 2h", 18, "e.g. 300ms, 2s"),
        ("timeout 3 4", 10, "options start with --"),
        ("timeout -> 3", 8, nil),
        ("timout 3", 0, "did you mean 'timeout'?"),
        ("crash 'unterminated", 6, nil),
    ])
    func rejectsBadInputWithAPosition(_ line: String, _ offset: Int, _ hint: String?) {
        do {
            _ = try FaultParser.parse(line)
            Issue.record("accepted '\(line)'")
        } catch let error as CommandParseError {
            #expect(error.offset == offset, "'\(line)': \(error)")
            if let hint { #expect(error.hint == hint, "'\(line)': \(error)") }
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
