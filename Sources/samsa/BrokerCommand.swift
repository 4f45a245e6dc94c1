import ArgumentParser
import Broker
import Foundation
import Lab
import Logging

struct BrokerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run a broker configured with Kafka's property names.",
        discussion: """
        Without zookeeper.connect the broker runs standalone: a one-node cluster that is its own controller. \
        SIGTERM or SIGINT shuts it down cleanly (flush, checkpoints, exit 0).
        """
    )

    @Option(name: .long, help: "A server.properties-style file.")
    var config: String

    @Option(name: .long, help: "Override one property: key=value. Repeatable.")
    var override: [String] = []

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown log level '\(logLevel)'") }
    }

    func run() async throws {
        StandardStreams.exitOnClosedOutput = false
        let shutdown = ShutdownSignal.install()
        let brokerConfig: BrokerConfig
        do {
            brokerConfig = try BrokerConfig.load(path: config, overrides: override)
        } catch {
            StandardStreams.writeError("samsa broker: \(error)\n")
            throw ExitCode(2)
        }
        if let refusal = brokerConfig.seededBugsRefusal(environment: ProcessInfo.processInfo.environment) {
            StandardStreams.writeError("samsa broker: \(refusal)\n")
            throw ExitCode(2)
        }
        let level = Logger.Level(rawValue: logLevel)!
        let brokerId = brokerConfig.brokerId
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            handler.metadata["broker"] = "\(brokerId)"
            return handler
        }
        let logger = Logger(label: "samsa.broker")
        let broker: Broker
        do {
            broker = try Broker(config: brokerConfig, logger: logger)
            try await broker.start()
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
        let signal = await shutdown.wait()
        logger.info("received \(signal), shutting down")
        await broker.shutdown()
    }
}
