import Foundation
import KafkaClient
import Lab
import Logging
import Testing

/// The fault executor with local shell templates that only write files: what runs, what the
/// timeline and the journal hold, and how a later executor heals what an earlier one left.
@Suite struct ExternalFaultExecutorTests {
    struct Fixture {
        let directory: String
        let cluster: ExternalCluster
        let marks: String

        init(commands: [String: String] = [:], timeoutMs: Int = 20_000) throws {
            directory = NSTemporaryDirectory() + "samsa-executor-\(UUID().uuidString)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            marks = directory + "/marks"
            var templates = [String: String]()
            for action in ExecutorAction.allCases { templates[action.rawValue] = "echo \(action.rawValue) {broker_id} {host} >> \(marks)" }
            // `MARKS` in a test's own template stands for the marks file.
            let marksPath = marks
            templates.merge(commands.mapValues { $0.replacingOccurrences(of: "MARKS", with: marksPath) }) { $1 }
            cluster = ExternalCluster(bootstrap: "127.0.0.1:1",
                                      brokers: [.init(id: 1, host: "h1", port: 9092), .init(id: 2, host: "h2", port: 9093)],
                                      executor: FaultExecutorSpec(commands: templates, timeoutMs: timeoutMs, stateDirectory: directory + "/state"))
        }

        func executor(run: String) throws -> (ExternalFaultExecutor, TimelineLog) {
            try FileManager.default.createDirectory(atPath: directory + "/" + run, withIntermediateDirectories: true)
            let timeline = try TimelineLog(path: directory + "/\(run)/timeline.jsonl")
            let client = try KafkaCluster(bootstrap: cluster.bootstrap)
            let resolver = TargetResolver(cluster: client, brokerIds: cluster.brokerIds, seed: 1, runningBrokers: { [1, 2] })
            return (ExternalFaultExecutor(cluster: cluster, resolver: resolver, timeline: timeline, runDirectory: directory + "/" + run,
                                          logger: Logger(label: "test")), timeline)
        }

        var markLines: [String] { ((try? String(contentsOfFile: marks, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }

        func records(_ run: String) throws -> [[String: Any]] {
            try String(contentsOfFile: directory + "/\(run)/timeline.jsonl", encoding: .utf8).split(separator: "\n").compactMap {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
            }
        }

        func journal() throws -> FaultJournal? { try FaultJournal.load(stateDirectory: cluster.executor.stateDirectory) }
    }

    @Test func aFaultRunsItsTemplateIsJournaledAndItsHealEndsIt() async throws {
        let fixture = try Fixture()
        let (executor, timeline) = try fixture.executor(run: "run1")
        try await executor.recover()
        let outcome = try await executor.apply(.crash(.broker(2)))
        #expect(outcome.fault?.brokers == [2])
        #expect(fixture.markLines == ["crash 2 h2"])
        let journal = try #require(try fixture.journal())
        #expect(journal.entries.map(\.kind) == [.crash])
        #expect(journal.entries.first?.heals.map(\.command) == ["echo restart 2 h2 >> \(fixture.marks)"])
        #expect(journal.entries.first?.fault == .crash(.broker(2)), "the journal keeps the command as a value")
        #expect(await executor.active.map(\.command) == [.crash(.broker(2))])
        #expect(await executor.active.map(\.description) == ["crash 2"])
        _ = try await executor.apply(.heal(faultId: nil))
        #expect(fixture.markLines == ["crash 2 h2", "restart 2 h2"])
        #expect(try fixture.journal()?.entries.isEmpty == true)
        timeline.close()
        let commands = try fixture.records("run1").filter { $0["kind"] as? String == "executor_command" }
        #expect(commands.map { $0["action"] as? String } == ["crash", "restart"])
        #expect(commands.allSatisfy { ($0["exit_status"] as? Int) == 0 })
        let faults = try fixture.records("run1").filter { $0["kind"] as? String == "fault" }.map { $0["action"] as? String }
        #expect(faults == ["start", "end"])
    }

    @Test func aPartitionRunsOneCommandPerCutLinkOnTheReceivingBroker() async throws {
        let fixture = try Fixture(commands: [
            "partition": "echo partition {broker_id} from {peer_id} {peer_host}:{peer_port} >> MARKS",
            "heal_partition": "echo heal_partition {broker_id} from {peer_id} >> MARKS",
        ])
        let (executor, timeline) = try fixture.executor(run: "run1")
        try await executor.recover()
        let outcome = try await executor.apply(.partition([[.broker(1)], [.broker(2)]]))
        #expect(outcome.fault?.brokers == [2, 1])
        #expect(Set(fixture.markLines) == ["partition 1 from 2 h2:9093", "partition 2 from 1 h1:9092"])
        #expect(try fixture.journal()?.entries.first?.heals.count == 2)
        _ = try await executor.apply(.healNetwork)
        #expect(fixture.markLines.suffix(2).sorted() == ["heal_partition 1 from 2", "heal_partition 2 from 1"])
        #expect(try fixture.journal()?.entries.isEmpty == true)
        // One way: only broker 2 drops what broker 1 sends.
        _ = try await executor.apply(.partitionOneWay(from: [.broker(1)], to: [.broker(2)]))
        #expect(fixture.markLines.last == "partition 2 from 1 h1:9092")
        _ = try await executor.apply(.heal(faultId: nil))
        #expect(fixture.markLines.last == "heal_partition 2 from 1")
        await #expect(throws: ExternalFaultExecutor.Failure.self) { try await executor.apply(.partition([[.broker(1)], [.zookeeper]])) }
        await #expect(throws: ExternalFaultExecutor.Failure.self) { try await executor.apply(.partition([[.broker(1)], [.broker(1)]])) }
        #expect(try fixture.journal()?.entries.isEmpty == true)
        timeline.close()
    }

    @Test func slowGetsItsDegradationAndHealNetworkLeavesProcessFaults() async throws {
        let fixture = try Fixture(commands: ["slow": "echo slow {broker_id} {latency_ms} {jitter_ms} {bandwidth_bytes} >> MARKS"])
        let (executor, timeline) = try fixture.executor(run: "run1")
        try await executor.recover()
        _ = try await executor.apply(.crash(.broker(1)))
        _ = try await executor.apply(.slow(.broker(2), LinkDegradation(latencyMs: 100, jitterMs: 5, bandwidthBytesPerSecond: 20_000)))
        #expect(fixture.markLines == ["crash 1 h1", "slow 2 100 5 20000"])
        // Without a bandwidth the template cannot render: refused before anything runs or is journaled.
        await #expect(throws: ExternalFaultExecutor.Failure.self) { try await executor.apply(.slow(.broker(1), LinkDegradation(latencyMs: 100))) }
        #expect(try fixture.journal()?.entries.map(\.kind) == [.crash, .slow])
        _ = try await executor.apply(.healNetwork)
        #expect(fixture.markLines.last == "heal_slow 2 h2")
        #expect(try fixture.journal()?.entries.map(\.kind) == [.crash], "heal network leaves the crash")
        _ = try await executor.apply(.heal(faultId: nil))
        #expect(fixture.markLines.last == "restart 1 h1")
        timeline.close()
    }

    @Test func aNextExecutorHealsWhatAnEarlierOneLeft() async throws {
        let fixture = try Fixture()
        let (first, _) = try fixture.executor(run: "run1")
        try await first.recover()
        _ = try await first.apply(.pause(.broker(1)))
        // The first run "dies" here: nothing heals the pause, the journal keeps it. Its owner
        // pid is this process, so a fresh journal owner is simulated with a dead pid.
        var journal = try #require(try fixture.journal())
        journal.ownerPid = Int32.max
        try journal.save(stateDirectory: fixture.cluster.executor.stateDirectory)
        let (second, timeline) = try fixture.executor(run: "run2")
        let healed = try await second.recover()
        #expect(healed.map(\.kind) == [.pause])
        #expect(fixture.markLines == ["pause 1 h1", "resume 1 h1"])
        #expect(try fixture.journal()?.entries.isEmpty == true)
        timeline.close()
        let commands = try fixture.records("run2").filter { $0["kind"] as? String == "executor_command" }
        #expect(commands.map { $0["reason"] as? String } == ["journal"])
    }

    @Test func aJournalOwnedByALiveRunIsNotTouched() async throws {
        let fixture = try Fixture()
        try FaultJournal(ownerPid: getppid(), entries: []).save(stateDirectory: fixture.cluster.executor.stateDirectory)
        let (executor, _) = try fixture.executor(run: "run1")
        await #expect(throws: ExternalFaultExecutor.Failure.self) { try await executor.recover() }
    }

    @Test func aFailingOrHangingCommandIsRefusedAndRecordedWithItsStatus() async throws {
        let fixture = try Fixture(commands: ["crash": "echo no such broker; exit 3", "pause": "sleep 30"], timeoutMs: 300)
        let (executor, timeline) = try fixture.executor(run: "run1")
        try await executor.recover()
        await #expect(throws: ExternalFaultExecutor.Failure.self) { try await executor.apply(.crash(.broker(1))) }
        let started = ContinuousClock.now
        await #expect(throws: ExternalFaultExecutor.Failure.self) { try await executor.apply(.pause(.broker(2))) }
        #expect(ContinuousClock.now - started < .seconds(20))
        // Each failed fault's heal ran at once, so nothing is left applied.
        #expect(try fixture.journal()?.entries.isEmpty == true)
        timeline.close()
        let commands = try fixture.records("run1").filter { $0["kind"] as? String == "executor_command" }
        #expect(commands.first { $0["action"] as? String == "crash" }?["exit_status"] as? Int == 3)
        #expect(commands.first { $0["action"] as? String == "crash" }?["output"] as? String == "no such broker")
        #expect(commands.first { $0["action"] as? String == "pause" }?["timed_out"] as? Bool == true)
    }

    @Test func brokersNotListedAreNeverFaulted() async throws {
        let fixture = try Fixture()
        let (executor, _) = try fixture.executor(run: "run1")
        try await executor.recover()
        await #expect(throws: (any Error).self) { try await executor.apply(.crash(.broker(5))) }
        #expect(fixture.markLines.isEmpty)
    }
}
