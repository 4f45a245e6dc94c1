import ArgumentParser
import Foundation
import Lab
import KafkaClient

/// Options shared by the commands that talk to a running cluster.
struct ClientOptions: ParsableArguments {
    /// Where the bootstrap list comes from when no flag gives it.
    static let environmentVariable = "SAMSA_BOOTSTRAP"
    static let defaultBootstrap = "127.0.0.1:9092"

    @Option(name: [.customShort("b"), .customLong("bootstrap"), .customLong("bootstrap-server")],
            help: "Bootstrap brokers, host:port[,host:port...] (default: $SAMSA_BOOTSTRAP, else 127.0.0.1:9092).")
    var bootstrapFlag: String?

    @Option(name: .long, help: "Request timeout in milliseconds.")
    var timeoutMs: Int64 = 10_000

    /// The flag's list, else the environment's, else Kafka's default address.
    var bootstrap: String {
        if let bootstrapFlag { return bootstrapFlag }
        if let value = ProcessInfo.processInfo.environment[Self.environmentVariable], !value.isEmpty { return value }
        return Self.defaultBootstrap
    }

    func validate() throws {
        guard bootstrap.split(separator: ",").allSatisfy({ $0.contains(":") }) else {
            let source = bootstrapFlag == nil ? "$\(Self.environmentVariable)" : "--bootstrap"
            throw ValidationError("\(source) '\(bootstrap)' is not host:port[,host:port...]")
        }
        guard timeoutMs > 0 else { throw ValidationError("--timeout-ms must be positive") }
    }

    /// Runs `body` with a connected cluster client and closes it afterwards; an error is reported as
    /// one line naming `command` and turns into exit code 1.
    func run<T>(_ command: String, _ body: (KafkaCluster) async throws -> T) async throws -> T {
        let cluster: KafkaCluster
        do { cluster = try self.cluster() } catch { throw fail(command, error) }
        do {
            let result = try await body(cluster)
            await cluster.close()
            return result
        } catch let exit as ExitCode {
            await cluster.close()
            throw exit
        } catch {
            await cluster.close()
            throw fail(command, error)
        }
    }

    func cluster() throws -> KafkaCluster {
        var options = KafkaCluster.Options()
        options.requestTimeoutMs = timeoutMs
        options.clientId = "samsa-cli"
        return try KafkaCluster(bootstrap: bootstrap, options: options)
    }
}

/// Prints a one-line error to stderr and exits 1: the CLI's answer to a failed operation.
func fail(_ command: String, _ error: Error) -> ExitCode {
    StandardStreams.writeError("samsa \(command): \(error)\n")
    return ExitCode(1)
}

/// The CLI's `--json`: snake_case keys (as report.json has them), slashes unescaped.
func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.keyEncodingStrategy = .convertToSnakeCase
    var data = try encoder.encode(value)
    data.append(0x0A)
    StandardStreams.writeOutput(data)
}
