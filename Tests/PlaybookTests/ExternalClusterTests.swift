import Foundation
import Lab
import Playbook
import Testing
import Verification

/// The body every external-cluster test shares; only the `cluster:` block changes.
func externalPlaybook(cluster: String, steps: String = "    - {at: 5s, do: crash leader_of orders/0, heal_after: 5s}") -> String {
    """
    name: external
    cluster:
    \(cluster)
    topics:
      - name: orders
        partitions: 3
        replication_factor: 3
    workload:
      duration: 20s
      producers:
        - topic: orders
          acks: all
    faults:
      steps:
    \(steps)
    expectations:
      no_lost_writes: true
    """
}

let externalBlock = """
  bootstrap: "10.0.0.1:9092, 10.0.0.2:9092,10.0.0.3:9092"
  brokers:
    1: {host: 10.0.0.1, port: 9092, vars: {unit: kafka}}
    2: {host: 10.0.0.2}
    3: {host: 10.0.0.3, commands: {crash: "kill -9 $(cat /run/kafka-{broker_id}.pid)"}}
  executor:
    ssh: "ssh -o BatchMode=yes {host}"
    timeout: 20s
    state_dir: /var/tmp/samsa-test-state
    commands:
      crash: "sudo systemctl kill -s KILL kafka@{broker_id}"
      restart: "sudo systemctl start kafka@{broker_id}"
"""

@Suite struct ExternalClusterLoadingTests {
    @Test func externalClusterBlockLoadsWithoutLaunchingAnything() throws {
        let plan = try PlaybookLoader.parse(externalPlaybook(cluster: externalBlock), file: "test.yaml")
        let external = try #require(plan.external)
        #expect(external.bootstrap == "10.0.0.1:9092,10.0.0.2:9092,10.0.0.3:9092")
        #expect(external.brokerIds == [1, 2, 3])
        #expect(plan.brokers == 3)
        #expect(external.broker(1)?.variables == ["unit": "kafka"])
        #expect(external.broker(2)?.port == 9092)
        #expect(external.executor.timeoutMs == 20_000)
        #expect(external.executor.stateDirectory == "/var/tmp/samsa-test-state")
        #expect(try ExternalFaultExecutor.render(.crash, broker: 2, cluster: external)
            == "ssh -o BatchMode=yes 10.0.0.2 'sudo systemctl kill -s KILL kafka@2'")
        // A broker's own template replaces the executor's, and quotes survive the ssh prefix.
        #expect(try ExternalFaultExecutor.render(.crash, broker: 3, cluster: external)
            == "ssh -o BatchMode=yes 10.0.0.3 'kill -9 $(cat /run/kafka-3.pid)'")
    }

    @Test func theSameFileWithALabClusterBlockRunsOnTheLab() throws {
        let external = try PlaybookLoader.parse(externalPlaybook(cluster: externalBlock), file: "test.yaml")
        var lab = try PlaybookLoader.parse(externalPlaybook(cluster: "  brokers: 3"), file: "test.yaml")
        #expect(lab.external == nil)
        lab.external = external.external
        #expect(lab == external)
    }

    @Test func theShippedExampleLoadsAndItsBodyRunsOnTheLab() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Playbooks/external-example.yaml").path
        let plan = try PlaybookLoader.load(path: path)
        #expect(plan.external?.brokerIds == [1, 2, 3])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let start = try #require(text.range(of: "cluster:\n"))
        let end = try #require(text.range(of: "\ntopics:"))
        let labText = text.replacingCharacters(in: start.lowerBound..<end.lowerBound, with: "cluster:\n  brokers: 3\n")
        var lab = try PlaybookLoader.parse(labText, file: path)
        #expect(lab.external == nil)
        lab.external = plan.external
        #expect(lab == plan)
    }

    @Test func aFaultWithoutATemplateIsRefusedNamingTheFaultAndBroker() {
        let found = problems(externalPlaybook(cluster: externalBlock, steps: "    - {at: 5s, do: pause 2}"))
        let messages = found.map(\.message)
        #expect(messages.contains { $0.contains("may pause broker 2, but the executor has no 'pause' command for broker 2") })
        #expect(messages.contains { $0.contains("no 'resume' command for broker 2 (it heals 'pause')") })
        #expect(found.allSatisfy { $0.line > 0 })
    }

    @Test func aRoleTargetNeedsTheTemplateOnEveryListedBroker() {
        let block = externalBlock.replacingOccurrences(of: "      crash: \"sudo systemctl kill -s KILL kafka@{broker_id}\"\n", with: "")
        let messages = problems(externalPlaybook(cluster: block)).map(\.message)
        #expect(messages.contains { $0.contains("no 'crash' command for broker 1") })
        #expect(messages.contains { $0.contains("no 'crash' command for broker 2") })
        #expect(!messages.contains { $0.contains("broker 3") })
    }

    @Test func faultsTheExecutorCannotRunAreRefused() {
        let messages = problems(externalPlaybook(cluster: externalBlock, steps: "    - {at: 5s, do: isolate-zk 1}")).map(\.message)
        #expect(messages.contains { $0.contains("'isolate-zk 1' cannot run on an external cluster") })
        #expect(messages.contains { $0.contains("heal_partition, heal_slow to undo them") })
        let links = problems(externalPlaybook(cluster: externalBlock, steps: "    - {at: 5s, do: slow 1 -> 2 --latency 100ms}")).map(\.message)
        #expect(links.contains { $0.contains("'slow 1 -> 2 --latency 100ms' cannot run on an external cluster") })
    }

    static let kernelBlock = """
      bootstrap: "10.0.0.1:9092"
      brokers:
        1: {host: 10.0.0.1}
        2: {host: 10.0.0.2}
        3: {host: 10.0.0.3}
      executor:
        ssh: "ssh {host}"
        commands:
          partition: "sudo iptables -A INPUT -s {peer_host} -j DROP"
          heal_partition: "sudo iptables -D INPUT -s {peer_host} -j DROP"
          slow: "sudo tc qdisc add dev eth0 root tbf rate {bandwidth_bytes}bps burst 16kb latency 50ms"
          heal_slow: "sudo tc qdisc del dev eth0 root"
    """

    @Test func kernelTemplatesTakeTheirActionsVariables() throws {
        let plan = try PlaybookLoader.parse(externalPlaybook(cluster: Self.kernelBlock, steps: """
                - {at: 2s, do: partition 1 | 2, heal_after: 2s}
                - {at: 5s, do: slow 2 --bandwidth 20000, heal_after: 2s}
            """), file: "test.yaml")
        let external = try #require(plan.external)
        #expect(try ExternalFaultExecutor.render(.healPartition, broker: 1, cluster: external, values: ["peer_host": "10.0.0.2"])
            == "ssh 10.0.0.1 'sudo iptables -D INPUT -s 10.0.0.2 -j DROP'")
        // A slow step whose template needs a bandwidth must give one.
        let missing = problems(externalPlaybook(cluster: Self.kernelBlock, steps: "    - {at: 2s, do: slow 2 --latency 100ms}")).map(\.message)
        #expect(missing.contains { $0.contains("'{bandwidth_bytes}' has no value") })
        // Only the partition templates know a peer.
        let peerless = Self.kernelBlock.replacingOccurrences(of: "heal_slow: \"sudo tc qdisc del dev eth0 root\"", with: "heal_slow: \"tc qdisc del dev {peer_host}\"")
        #expect(problems(externalPlaybook(cluster: peerless)).map(\.message).contains { $0.contains("'{peer_host}' has no value") })
        // A broker's vars may not shadow an action's variable.
        let shadowed = Self.kernelBlock.replacingOccurrences(of: "2: {host: 10.0.0.2}", with: "2: {host: 10.0.0.2, vars: {peer_host: x}}")
        #expect(problems(externalPlaybook(cluster: shadowed)).map(\.message).contains { $0.contains("'peer_host' is set by Samsa") })
    }

    @Test func unknownPlaceholdersAndBrokersAreErrorsWithPositions() {
        let block = externalBlock.replacingOccurrences(of: "kafka@{broker_id}\"\n      restart", with: "{service}\"\n      restart")
        let found = problems(externalPlaybook(cluster: block))
        #expect(found.contains { $0.message.contains("'{service}' has no value") && $0.line > 0 })
        let stray = problems(externalPlaybook(cluster: externalBlock, steps: "    - {at: 5s, do: crash 7, heal_after: 2s}")).map(\.message)
        #expect(stray.contains { $0.contains("broker 7 does not exist: the cluster has brokers 1, 2, 3") || $0.contains("broker 7 does not exist") })
    }

    @Test func aCountOfBrokersOrLabConfigIsRefusedOnAnExternalCluster() {
        let counted = problems(externalPlaybook(cluster: "  bootstrap: \"h:9092\"\n  brokers: 3")).map(\.message)
        #expect(counted.contains { $0.contains("must map broker ids to their host and port") })
        let configured = problems(externalPlaybook(cluster: externalBlock + "\n  config: {min.insync.replicas: 2}")).map(\.message)
        #expect(configured.contains { $0.contains("keeps its own broker configuration") })
        let badBootstrap = problems(externalPlaybook(cluster: externalBlock.replacingOccurrences(of: "10.0.0.3:9092\"", with: "10.0.0.3\""))).map(\.message)
        #expect(badBootstrap.contains { $0.contains("'10.0.0.3' is not host:port") })
    }
}

@Suite struct CommandTemplateTests {
    @Test func rendersPlaceholdersAndLiteralBraces() throws {
        #expect(try CommandTemplate("kill {broker_id} {{x}}").render(["broker_id": "2"]) == "kill 2 {x}")
        #expect(throws: CommandTemplate.Problem.self) { try CommandTemplate("kill {broker").placeholders() }
        #expect(throws: CommandTemplate.Problem.self) { try CommandTemplate("kill {a b}").placeholders() }
        #expect(CommandTemplate.shellQuoted("it's") == "'it'\\''s'")
    }
}

@Suite struct ExternalEvidenceTests {
    @Test func checksThatNeedTheLabsOwnEvidenceAreUnknownWithTheReason() throws {
        let directory = NSTemporaryDirectory() + "samsa-external-check-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // An empty run: no write, no timeline record, and none of the lab's own evidence.
        try "".write(toFile: directory + "/history.jsonl", atomically: true, encoding: .utf8)
        try "".write(toFile: directory + "/timeline.jsonl", atomically: true, encoding: .utf8)
        var plan = try PlaybookLoader.parse(externalPlaybook(cluster: externalBlock), file: "test.yaml")
        plan.expectations = Expectations()
        let external = try RunChecker.check(directory: directory, plan: plan)
        let checks = external.report.checks
        let unknown = Set(checks.verdicts.filter { $0.verdict == .unknown }.map(\.checker))
        for name in ["single-leader", "replica-agreement", "unclean-election", "hw-monotonic", "poll-above-hw", "brokers"] {
            #expect(unknown.contains(name), "\(name) must be unknown")
        }
        #expect(checks.singleLeader.notes.contains { $0.hasPrefix("not available on an external cluster") })
        let everyCheck = try #require(external.expectations.first { $0.name == "checks" })
        #expect(everyCheck.expected.contains("except those not available on an external cluster"))
        // The same run on the lab: nothing is marked.
        plan.external = nil
        let lab = try RunChecker.check(directory: directory, plan: plan)
        #expect(!lab.report.checks.singleLeader.notes.contains { $0.hasPrefix("not available") })
    }

    /// The shell's `check` judges a session with the same marks and the same `checks` expectation.
    @Test func theShellsJudgementLeavesOutWhatTheClusterCannotShow() throws {
        let directory = NSTemporaryDirectory() + "samsa-external-judge-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try "".write(toFile: directory + "/history.jsonl", atomically: true, encoding: .utf8)
        func judged() -> CheckedRun {
            CheckPipeline.judge(directory: directory, timeline: Timeline(records: []), parameters: RunParameters(), replicas: .absent)
        }
        var samsa = judged()
        #expect(ExternalEvidence.judge(&samsa.checks, external: false, launcher: try LauncherLoader.samsa()) == nil)
        #expect(!samsa.checks.singleLeader.notes.contains { $0.hasPrefix("not available") })
        var external = judged()
        let everyCheck = try #require(ExternalEvidence.judge(&external.checks, external: true, launcher: nil))
        #expect(everyCheck.name == "checks")
        #expect(everyCheck.expected.hasPrefix("every check valid except those not available on an external cluster (single-leader, replica-agreement"))
        #expect(external.checks.singleLeader.verdict == .unknown)
        #expect(external.checks.singleLeader.notes.contains { $0.hasPrefix("not available on an external cluster: ") })
        var tansu = judged()
        let tansuCheck = try #require(ExternalEvidence.judge(&tansu.checks, external: false, launcher: try LauncherLoader.resolve("tansu")))
        #expect(tansuCheck.expected.contains("except those not available from a tansu broker"))
        #expect(tansu.checks.replicaAgreement.notes.contains { $0.hasPrefix("not available from a tansu broker: ") })
    }
}
