import Foundation
import Lab
import Playbook
import Testing

/// The launcher spec format: the shipped specs load, templates render, and every mistake is
/// reported at its line and column.
struct LauncherSpecTests {
    func problems(_ text: String) -> [String] {
        do {
            _ = try LauncherLoader.parse(text, file: "spec.yaml")
            return []
        } catch let error as PlaybookError {
            return error.diagnostics.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test func theShippedSpecsLoad() throws {
        let samsa = try LauncherLoader.resolve("samsa")
        #expect(samsa.name == "samsa")
        #expect(samsa.executable == .path("{samsa}"))
        #expect(samsa.zookeeper && samsa.readiness.zookeeperRegistration && samsa.powerLoss && samsa.properties)
        #expect(samsa.evidence.samsaEventLogs && samsa.evidence.samsaDataDirectories)
        #expect(samsa.missingEvidence.isEmpty)
        #expect(samsa.nodeId(of: 3) == 3)

        let tansu = try LauncherLoader.resolve("tansu")
        #expect(tansu.maxBrokers == 1 && !tansu.zookeeper && !tansu.powerLoss)
        #expect(tansu.nodeId(of: 1) == 111)
        #expect(tansu.brokerCountProblem(2) == "the tansu launcher supports at most 1 broker, not 2")
        #expect(tansu.brokerCountProblem(1) == nil)
        #expect(Set(tansu.missingEvidence.map(\.checker)).isSuperset(of: ["single-leader", "replica-agreement", "hw-monotonic"]))
        guard case .locate(let env, let command) = tansu.executable else { Issue.record("tansu is located by a command"); return }
        #expect(env == "CALF_TANSU_BIN" && command.first == "python3")

        let source = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let kafka = try LauncherLoader.resolve(source.path + "/Sources/Playbook/Launchers/kafka-zookeeper.example.yaml")
        #expect(kafka.executable == .path("{env:KAFKA_HOME}/bin/kafka-server-start.sh"))
        #expect(kafka.zookeeper && kafka.readiness.timeoutMs == 120_000)
    }

    @Test func unknownNamesAndPathsAreRefused() {
        #expect(throws: PlaybookError.self) { try LauncherLoader.resolve("kafka") }
        do {
            _ = try LauncherLoader.resolve("kafka")
        } catch {
            #expect("\(error)".contains("no launcher named 'kafka' (built in: samsa, tansu"))
        }
        #expect(throws: PlaybookError.self) { try LauncherLoader.resolve("/nonexistent/spec.yaml") }
    }

    @Test func templatesRender() throws {
        let context = BrokerLauncher.Context(values: [.brokerId: "2", .host: "127.0.0.1", .listenPort: "9201"], environment: ["HOME_DIR": "/opt/k"])
        #expect(try BrokerLauncher.render("tcp://{host}:{listen_port}/{{literal}}", context) == "tcp://127.0.0.1:9201/{literal}")
        #expect(try BrokerLauncher.render("{env:HOME_DIR}/bin/start {broker_id}", context) == "/opt/k/bin/start 2")
        #expect(throws: BrokerLauncher.Failure(description: "the environment variable KAFKA_HOME is not set (the template needs {env:KAFKA_HOME})")) {
            try BrokerLauncher.render("{env:KAFKA_HOME}/bin/kafka-server-start.sh", context)
        }
        #expect(throws: BrokerLauncher.Failure(description: "{zookeeper} has no value here")) { try BrokerLauncher.render("{zookeeper}", context) }
    }

    @Test func mistakesAreReportedWhereTheyAre() {
        let text = """
        launcher: mine
        executable: "/opt/broker/{bin"
        arguments: ["--port", "{prot}", "{zookeeper}"]
        max_brokers: 12
        readiness: {timeout: 5m, zookeeper_registration: true, ready: yes}
        node_id: leader
        evidense: {}
        """
        let found = problems(text)
        #expect(found.contains("spec.yaml:2:13: '{' without a closing '}' (write '{{' for a literal brace)"))
        #expect(found.contains { $0.hasPrefix("spec.yaml:3:23: unknown placeholder '{prot}'") })
        #expect(found.contains { $0.hasPrefix("spec.yaml:4:14: max_brokers") })
        #expect(found.contains { $0.hasPrefix("spec.yaml:5:56: unknown key 'ready' in readiness") })
        #expect(found.contains("spec.yaml:5:50: zookeeper_registration needs zookeeper: true"))
        #expect(found.contains("spec.yaml:6:10: node_id must give an integer (a number, or {broker_id}), not 'leader'"))
        #expect(found.contains { $0.hasPrefix("spec.yaml:7:1: unknown key 'evidense' in the launcher spec; did you mean 'evidence'?") })
        #expect(found.contains("spec.yaml:3:12: {zookeeper} needs zookeeper: true"))
    }

    @Test func placeholdersMustHaveAPlace() {
        let found = problems("""
        launcher: mine
        executable: /bin/broker
        arguments: ["{config_file}", "{properties}"]
        properties: true
        """)
        #expect(found.contains("spec.yaml:3:12: {config_file} needs a config_file with a template"))
        #expect(found.contains("spec.yaml:3:12: {properties} belongs in config_file.template only"))
        #expect(found.contains("spec.yaml:4:13: properties: true needs {properties} in config_file.template (where the broker properties go)"))
        #expect(problems("launcher: x\nexecutable: {env: X}\n").contains("spec.yaml:2:13: executable needs 'locate: [COMMAND, ARG...]' (a command printing the executable's path), or give it as a path"))
        #expect(problems("description: nothing\n") == ["spec.yaml: this is not a launcher spec: none of its top-level keys is one of launcher, executable"])
    }
}

/// The built-in spec the lab uses by default is the shipped samsa.yaml, field for field, and a
/// playbook naming a launcher is refused what the launcher cannot do.
struct LauncherPlaybookTests {
    @Test func theSwiftDefaultIsTheShippedSamsaSpec() throws {
        #expect(try LauncherLoader.resolve("samsa") == BrokerLauncher.samsa)
    }

    func playbook(_ cluster: String, steps: String = "    - {at: 6s, do: crash leader_of events/0, heal_after: 3s}") -> String {
        """
        name: launcher
        cluster:
        \(cluster)
        topics:
          - {name: events, partitions: 1, replication_factor: 1}
        workload:
          duration: 16s
          producers:
            - {topic: events, acks: all}
        faults:
          steps:
        \(steps)
        """
    }

    func problems(_ text: String) -> [String] {
        do {
            _ = try PlaybookLoader.parse(text, file: "p.yaml")
            return []
        } catch let error as PlaybookError {
            return error.diagnostics.map(\.description)
        } catch {
            return ["\(error)"]
        }
    }

    @Test func tansuRunsOneBrokerWithoutZooKeeper() throws {
        let plan = try PlaybookLoader.parse(playbook("  launcher: tansu\n  brokers: 1"), file: "p.yaml")
        #expect(plan.launcher?.name == "tansu")
        #expect(problems(playbook("  launcher: tansu")) == ["p.yaml:3:13: the tansu launcher supports at most 1 broker, not 3 (cluster.brokers defaults to 3)"])
        #expect(problems(playbook("  launcher: tansu\n  brokers: 2")) == ["p.yaml:4:12: the tansu launcher supports at most 1 broker, not 2"])
        #expect(problems(playbook("  launcher: tansu\n  brokers: 1\n  config: {min.insync.replicas: 1}"))
                == ["p.yaml:5:11: the tansu launcher takes no broker properties: cluster.config does not apply to it"])
        let zk = problems(playbook("  launcher: tansu\n  brokers: 1", steps: "    - {at: 2s, do: isolate-zk 1}\n    - {at: 3s, do: power-loss 1}"))
        #expect(zk.contains { $0.contains("step 1 ('isolate-zk 1'): the tansu launcher runs no ZooKeeper") })
        #expect(zk.contains { $0.contains("step 2 ('power-loss 1'): the tansu launcher does not support power-loss") })
        #expect(problems(playbook("  launcher: kafka\n  brokers: 1")).first?.hasPrefix("p.yaml:3:13: cluster.launcher 'kafka': ") == true)
        // The run plan (run.json) keeps the launcher.
        let decoded = try JSONDecoder().decode(RunPlan.self, from: JSONEncoder().encode(plan))
        #expect(decoded.launcher == plan.launcher)
    }

    /// The single-node crash runs unchanged but for its `cluster:` block on the built-in lab, on
    /// Tansu launched by the lab, and on an existing cluster.
    @Test func theCrashPlaybooksDifferOnlyInTheirClusterBlock() throws {
        let playbooks = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Playbooks")
        func load(_ name: String) throws -> RunPlan { try PlaybookLoader.load(path: playbooks.appendingPathComponent(name).path) }
        let lab = try load("single-node-crash.yaml")
        let tansu = try load("tansu-crash.yaml")
        let external = try load("tansu-crash-external.yaml")
        #expect(lab.launcher == nil && lab.external == nil && lab.brokers == 1)
        #expect(tansu.launcher?.name == "tansu" && tansu.brokers == 1)
        #expect(external.external?.brokerIds == [111])
        func body(_ plan: RunPlan) throws -> Data {
            var plan = plan
            (plan.name, plan.description, plan.source, plan.launcher, plan.external) = ("", "", "", nil, nil)
            return try JSONEncoder.sorted.encode(plan)
        }
        #expect(try body(tansu) == body(lab))
        #expect(try body(external) == body(lab))
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}
