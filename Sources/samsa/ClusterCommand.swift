import ArgumentParser
import Foundation
import Lab
import Logging

struct ClusterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "Run a local multi-process cluster: ZooKeeper and N brokers.",
        subcommands: [Up.self]
    )

    struct Up: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "up",
            abstract: "Start ZooKeeper and N brokers, print READY, run until SIGINT/SIGTERM.",
            discussion: """
            Broker i (ids 1..N) serves clients at 127.0.0.1:(base-port + i - 1). Each process has its
            config, data, output and event log under --dir. When every broker is registered and a
            controller is elected, one line is printed: READY bootstrap=<host:port,...>.
            SIGINT or SIGTERM stops every broker (SIGTERM, then SIGKILL after a grace period) and ZooKeeper.
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

        func validate() throws {
            guard (1...9).contains(brokers) else { throw ValidationError("--brokers must be between 1 and 9") }
            guard (1024...65000).contains(basePort) else { throw ValidationError("--base-port must be between 1024 and 65000") }
            for item in brokerConfig where !item.contains("=") { throw ValidationError("--broker-config '\(item)' is not key=value") }
            guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown log level '\(logLevel)'") }
        }

        func run() async throws {
            let shutdown = ShutdownSignal.install()
            bootstrapLogging(level: Logger.Level(rawValue: logLevel)!)
            let properties = brokerConfig.map { item -> (String, String) in
                let parts = item.split(separator: "=", maxSplits: 1)
                return (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
            }
            let spec = LocalCluster.Spec(brokers: brokers, basePort: basePort, directory: dir, brokerProperties: properties,
                                         samsaBinary: samsaExecutablePath())
            let cluster = LocalCluster(spec: spec, logger: Logger(label: "samsa.lab"))
            let started = Date()
            do {
                try await cluster.start()
            } catch {
                FileHandle.standardError.write(Data("samsa cluster up: \(error)\n".utf8))
                await cluster.stop(graceMs: 2000)
                throw ExitCode(1)
            }
            if shutdown.hasFired {
                await cluster.stop()
                return
            }
            let elapsed = Date().timeIntervalSince(started)
            FileHandle.standardOutput.write(Data("READY bootstrap=\(cluster.bootstrap)\n".utf8))
            FileHandle.standardError.write(Data(String(format: "cluster ready in %.2f s; run directory %@\n", elapsed, cluster.run.path).utf8))
            FileHandle.standardOutput.synchronizeFile()
            let signal = await shutdown.wait()
            FileHandle.standardError.write(Data("received \(signal), stopping the cluster\n".utf8))
            await cluster.stop()
        }
    }
}

/// This executable's path, to start brokers with the same binary.
func samsaExecutablePath() -> String {
    (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
}


func bootstrapLogging(level: Logger.Level) {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}
