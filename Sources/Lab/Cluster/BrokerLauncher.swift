import Foundation

/// How the lab launches one kind of broker (a launcher spec, read from YAML by `LauncherLoader`):
/// the executable, the argument and environment templates per broker, an optional configuration
/// file template, how many brokers it supports, whether it needs ZooKeeper, how readiness is
/// detected, how the lab observes it and which evidence it leaves. Samsa's own broker is launched
/// through the built-in `samsa` spec, so the format is proven sufficient for it; other brokers
/// (Tansu, Apache Kafka) differ only in their spec.
///
/// Templates name placeholders in braces (`Placeholder`); `{{` and `}}` are literal braces.
public struct BrokerLauncher: Sendable, Codable, Equatable {
    /// Where the executable comes from: a template (`{samsa}` is the lab's own binary,
    /// `{env:NAME}` an environment variable), or an environment variable that names it with a
    /// command printing its path as the fallback.
    public enum Executable: Sendable, Codable, Equatable {
        case path(String)
        case locate(environment: String?, command: [String])
    }

    public struct Readiness: Sendable, Codable, Equatable {
        /// How long the brokers have to answer Metadata naming every broker (and a controller).
        public var timeoutMs: Int = 60_000
        /// Ready only when Metadata names a controller.
        public var controller = true
        /// Ready only when every broker registered under `/brokers/ids` and `/controller` exists.
        public var zookeeperRegistration = false
        public init() {}
    }

    /// The evidence a broker of this kind leaves for the checkers beyond the clients' histories.
    public struct Evidence: Sendable, Codable, Equatable {
        /// Samsa's `events.jsonl` per broker (leadership, ISR and high-watermark changes).
        public var samsaEventLogs = false
        /// Samsa's log segments in `{data_dir}` (replica agreement reads them).
        public var samsaDataDirectories = false
        public init() {}
    }

    public var name: String
    public var description: String = ""
    public var executable: Executable
    public var arguments: [String] = []
    public var environment: [String: String] = [:]
    /// The file written to `{config_file}` before each start, or nil for none.
    public var configFile: String?
    /// The name of `{config_file}` in the broker's directory.
    public var configFileName = "broker.conf"
    public var maxBrokers = 9
    public var zookeeper = false
    /// The Kafka node id broker `{broker_id}` reports in Metadata (Tansu always reports 111).
    public var nodeId = "{broker_id}"
    public var readiness = Readiness()
    /// A Prometheus scrape URL template (`http://{host}:{metrics_port}/metrics`), or nil.
    public var prometheus: String?
    public var evidence = Evidence()
    /// The durability tracker can be preloaded (`power-loss` faults): Samsa's broker only.
    public var powerLoss = false
    /// Broker properties (lab defaults, playbook `cluster.config`) apply: `{properties}` expands to them.
    public var properties = false

    public init(name: String, executable: Executable) {
        self.name = name
        self.executable = executable
    }

    /// The placeholders a template may use.
    public enum Placeholder: String, CaseIterable, Sendable {
        case brokerId = "broker_id", nodeId = "node_id", brokers, host, port, listenPort = "listen_port", advertisedPort = "advertised_port"
        case dataDir = "data_dir", brokerDir = "broker_dir", configFile = "config_file", zookeeper, peers
        case metricsPort = "metrics_port", properties, samsa
    }

    /// The values of the placeholders for one broker.
    public struct Context: Sendable {
        public var values: [Placeholder: String]
        public var environment: [String: String]
        public init(values: [Placeholder: String], environment: [String: String] = ProcessInfo.processInfo.environment) {
            self.values = values
            self.environment = environment
        }
    }

    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let description: String
        public init(description: String) { self.description = description }
    }

    /// The placeholder names in `template` (`env:NAME` included), or the first problem with its
    /// braces: the check the loader runs on every template.
    public static func placeholders(in template: String) -> Result<[String], Failure> {
        var names: [String] = []
        var index = template.startIndex
        while index < template.endIndex {
            let character = template[index]
            let next = template.index(after: index)
            if character == "{" && next < template.endIndex && template[next] == "{" {
                index = template.index(after: next)
            } else if character == "}" && next < template.endIndex && template[next] == "}" {
                index = template.index(after: next)
            } else if character == "{" {
                guard let close = template[next...].firstIndex(of: "}") else {
                    return .failure(Failure(description: "'{' without a closing '}' (write '{{' for a literal brace)"))
                }
                let name = String(template[next..<close])
                if name.hasPrefix("env:") {
                    guard name.count > 4 else { return .failure(Failure(description: "{env:} needs a variable name")) }
                } else if Placeholder(rawValue: name) == nil {
                    let known = Placeholder.allCases.map(\.rawValue).joined(separator: ", ")
                    return .failure(Failure(description: "unknown placeholder '{\(name)}' (known: \(known), env:NAME)"))
                }
                names.append(name)
                index = template.index(after: close)
            } else if character == "}" {
                return .failure(Failure(description: "'}' without an opening '{' (write '}}' for a literal brace)"))
            } else {
                index = next
            }
        }
        return .success(names)
    }

    /// `template` with every placeholder replaced; an unset `{env:NAME}` or a placeholder without
    /// a value in `context` is an error naming it.
    public static func render(_ template: String, _ context: Context) throws -> String {
        if case .failure(let failure) = placeholders(in: template) { throw failure }
        var output = ""
        var index = template.startIndex
        while index < template.endIndex {
            let character = template[index]
            let next = template.index(after: index)
            if (character == "{" || character == "}") && next < template.endIndex && template[next] == character {
                output.append(character)
                index = template.index(after: next)
            } else if character == "{", let close = template[next...].firstIndex(of: "}") {
                let name = String(template[next..<close])
                if name.hasPrefix("env:") {
                    let variable = String(name.dropFirst(4))
                    guard let value = context.environment[variable], !value.isEmpty else {
                        throw Failure(description: "the environment variable \(variable) is not set (the template needs {\(name)})")
                    }
                    output += value
                } else if let placeholder = Placeholder(rawValue: name), let value = context.values[placeholder] {
                    output += value
                } else {
                    throw Failure(description: "{\(name)} has no value here")
                }
                index = template.index(after: close)
            } else {
                output.append(character)
                index = next
            }
        }
        return output
    }

    /// The Kafka node id of lab broker `id`.
    public func nodeId(of id: Int32) -> Int32? {
        let context = Context(values: [.brokerId: String(id)], environment: [:])
        return (try? Self.render(nodeId, context)).flatMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
    }

    /// Why this launcher cannot run `brokers` brokers (nil when it can).
    public func brokerCountProblem(_ brokers: Int) -> String? {
        brokers <= maxBrokers ? nil
            : "the \(name) launcher supports at most \(maxBrokers) broker\(maxBrokers == 1 ? "" : "s"), not \(brokers)"
    }

    /// The checkers that need evidence this launcher's brokers do not leave, with why.
    public var missingEvidence: [(checker: String, why: String)] {
        var missing: [(String, String)] = []
        let events = "it needs Samsa's broker event logs, which a \(name) broker does not write"
        if !evidence.samsaEventLogs {
            missing += [("single-leader", "\(events) (each broker's own leadership claims)"), ("stale-leader", events),
                        ("hw-monotonic", "\(events) (leader epochs with each high watermark); ListOffsets samples are on the timeline"),
                        ("unclean-election", events), ("leader-outside-isr", events), ("acks-under-min-isr", events),
                        ("stalled-follower-in-isr", events), ("poll-above-hw", events)]
        }
        if !evidence.samsaDataDirectories {
            missing.append(("replica-agreement", "it reads every replica's Samsa log segments, which a \(name) broker does not write"))
        }
        return missing
    }
}

extension BrokerLauncher {
    /// The built-in `samsa` spec (`Sources/Playbook/Launchers/samsa.yaml`; a unit test holds the
    /// two equal): the lab's default, for callers that build a `LocalCluster.Spec` without reading YAML.
    public static let samsa: BrokerLauncher = {
        var launcher = BrokerLauncher(name: "samsa", executable: .path("{samsa}"))
        launcher.description = "Samsa's broker (the lab's own), ZooKeeper-coordinated, with its event logs, metrics and data directories."
        launcher.arguments = ["broker", "--config", "{config_file}"]
        launcher.configFile = """
            broker.id={broker_id}
            listeners=PLAINTEXT://{host}:{listen_port}
            advertised.listeners=PLAINTEXT://{host}:{advertised_port}
            samsa.peer.addresses={peers}
            log.dirs={data_dir}
            zookeeper.connect={zookeeper}
            samsa.event.log={broker_dir}/events.jsonl
            samsa.metrics.port={metrics_port}
            {properties}

            """
        launcher.configFileName = "server.properties"
        launcher.properties = true
        launcher.maxBrokers = 9
        launcher.zookeeper = true
        launcher.readiness.zookeeperRegistration = true
        launcher.prometheus = "http://{host}:{metrics_port}/metrics"
        launcher.evidence.samsaEventLogs = true
        launcher.evidence.samsaDataDirectories = true
        launcher.powerLoss = true
        return launcher
    }()

    /// The executable's path: the template rendered, or the environment variable, or what the
    /// locate command prints (bounded by `timeoutMs`); an error says what was tried.
    public func resolveExecutable(_ context: Context, timeoutMs: Int = 20_000) throws -> String {
        switch executable {
        case .path(let template):
            return try Self.render(template, context)
        case .locate(let variable, let command):
            if let variable, let given = context.environment[variable], !given.isEmpty { return given }
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = command
            let output = Pipe()
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            let hint = variable.map { " (or set \($0))" } ?? ""
            do { try process.run() } catch {
                throw Failure(description: "the \(name) launcher cannot run \(command.joined(separator: " ")) to find its executable: \(error)\(hint)")
            }
            let deadline = Date(timeIntervalSinceNow: Double(timeoutMs) / 1000)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
                throw Failure(description: "the \(name) launcher's locate command did not answer within \(timeoutMs) ms\(hint)")
            }
            let data = output.fileHandleForReading.readDataToEndOfFile()
            let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard process.terminationStatus == 0, !path.isEmpty else {
                throw Failure(description: "the \(name) launcher could not find its executable: \(command.joined(separator: " ")) "
                              + "exited with status \(process.terminationStatus)\(hint)")
            }
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw Failure(description: "the \(name) launcher's executable \(path) is not an executable file")
            }
            return path
        }
    }
}
