import Foundation

/// An existing Kafka-compatible cluster a playbook runs against instead of a lab Samsa launches:
/// where its clients connect, the brokers faults may touch, and how faults reach them. Nothing
/// here starts brokers; Samsa only talks Kafka's protocol to `bootstrap` and runs the user's own
/// commands (`FaultExecutorSpec`) for faults.
public struct ExternalCluster: Sendable, Codable, Equatable {
    /// One broker faults may be aimed at. Only brokers listed here are ever faulted: a role target
    /// (`leader_of orders/0`) that resolves to a broker not listed is refused.
    public struct Broker: Sendable, Codable, Equatable {
        public var id: Int32
        public var host: String
        public var port: Int
        /// Extra `{name}` values for this broker's templates (`{data_dir}`, `{service}`).
        public var variables: [String: String]
        /// Templates for this broker only, by action; they replace the executor's.
        public var commands: [String: String]

        public init(id: Int32, host: String, port: Int, variables: [String: String] = [:], commands: [String: String] = [:]) {
            self.id = id
            self.host = host
            self.port = port
            self.variables = variables
            self.commands = commands
        }
    }

    /// `host:port,host:port`, as every Kafka client takes it.
    public var bootstrap: String
    public var brokers: [Broker]
    public var executor: FaultExecutorSpec

    public init(bootstrap: String, brokers: [Broker], executor: FaultExecutorSpec) {
        self.bootstrap = bootstrap
        self.brokers = brokers
        self.executor = executor
    }

    public var brokerIds: [Int32] { brokers.map(\.id).sorted() }

    public func broker(_ id: Int32) -> Broker? { brokers.first { $0.id == id } }

    /// The template of `action` for broker `id`: the broker's own, else the executor's.
    public func template(_ action: ExecutorAction, broker id: Int32) -> String? {
        broker(id)?.commands[action.rawValue] ?? executor.commands[action.rawValue]
    }
}

/// How faults reach an external cluster's brokers: one shell command template per action, run with
/// `/bin/sh -c` on this machine, or through the system's `ssh` when `ssh` is set (a prefix
/// template such as `ssh -o BatchMode=yes {host}`; the rendered command is passed to it as one
/// quoted argument). Samsa stores no credentials: ssh uses the user's own keys and config.
public struct FaultExecutorSpec: Sendable, Codable, Equatable {
    /// Templates by action name (`crash`, `restart`, …).
    public var commands: [String: String]
    /// The ssh prefix template, or nil to run commands locally.
    public var ssh: String?
    /// The longest one command may run before it is killed and counted as failed.
    public var timeoutMs: Int
    /// Where the journal of applied faults lives between runs (absolute). A run that dies leaves
    /// its faults there, and the next run with the same state directory heals them first.
    public var stateDirectory: String

    public static let defaultTimeoutMs = 30_000

    public init(commands: [String: String], ssh: String? = nil, timeoutMs: Int = defaultTimeoutMs, stateDirectory: String) {
        self.commands = commands
        self.ssh = ssh
        self.timeoutMs = timeoutMs
        self.stateDirectory = stateDirectory
    }
}

/// What an executor template does. Each fault has the heal that undoes it (`heal`): a fault is
/// only accepted when both templates exist, so every fault applied can be healed.
///
/// `partition` and `heal_partition` run once per cut link, on the broker that receives the
/// traffic: they cut (and restore) what `{peer_host}` sends to this broker. `slow` and `heal_slow`
/// run once per broker with the degradation as values (`{latency_ms}`, `{jitter_ms}`,
/// `{bandwidth_bytes}`).
public enum ExecutorAction: String, Sendable, Codable, CaseIterable {
    case crash, stop, restart, pause, resume, isolate
    /// Undoes `isolate`.
    case healIsolate = "heal_isolate"
    case partition
    /// Undoes `partition`, one link at a time.
    case healPartition = "heal_partition"
    case slow
    /// Undoes `slow`.
    case healSlow = "heal_slow"

    /// The action that undoes this one, nil for actions that are themselves heals.
    public var heal: ExecutorAction? {
        switch self {
        case .crash, .stop: return .restart
        case .pause: return .resume
        case .isolate: return .healIsolate
        case .partition: return .healPartition
        case .slow: return .healSlow
        case .restart, .resume, .healIsolate, .healPartition, .healSlow: return nil
        }
    }

    /// The kind of fault this action's timeline records and status rows carry.
    public var faultKind: FaultKind {
        switch self {
        case .crash: return .crash
        case .stop: return .stop
        case .restart: return .restart
        case .pause: return .pause
        case .resume: return .resume
        case .isolate: return .isolate
        case .partition: return .partition
        case .slow: return .slow
        case .healIsolate, .healPartition, .healSlow: return .heal
        }
    }

    /// Whether it changes the network (what `heal network` undoes) rather than a process.
    public var isNetwork: Bool { [.isolate, .partition, .slow].contains(self) }

    /// The variables every template may use; a broker's `variables` add to them.
    public static let builtinVariables = ["broker_id", "host", "port", "bootstrap"]

    /// The variables only this action's templates get, with the value each has when a template
    /// is checked before a run (the run renders the fault's own).
    public var actionVariables: [String: String] {
        switch self {
        case .partition, .healPartition: return ["peer_id": "0", "peer_host": "peer", "peer_port": "9092"]
        case .slow, .healSlow: return ["latency_ms": "0", "jitter_ms": "0", "bandwidth_bytes": "0"]
        default: return [:]
        }
    }

    /// Every variable name Samsa sets for some action (a broker's `vars` may not reuse one).
    public static let reservedVariables = Set(builtinVariables).union(allCases.flatMap { $0.actionVariables.keys })
}

extension FaultCommand {
    /// The executor action a fault runs on an external cluster, nil for faults an external cluster
    /// cannot take (they need the lab's proxies or its process supervisor) and for heal and await,
    /// which run no template of their own.
    public var executorAction: ExecutorAction? {
        switch self {
        case .crash: return .crash
        case .stop: return .stop
        case .restart: return .restart
        case .pause: return .pause
        case .resume: return .resume
        case .isolate: return .isolate
        case .partition, .partitionOneWay: return .partition
        case .slow: return .slow
        default: return nil
        }
    }

    /// The values a `slow` fault gives its templates: `{latency_ms}` and `{jitter_ms}` (0 when not
    /// set), and `{bandwidth_bytes}` (bytes per second) only when `--bandwidth` was given, so a
    /// template that needs it refuses a step without it.
    public var degradationVariables: [String: String] {
        guard case .slow(_, let d) = self else { return [:] }
        var values = ["latency_ms": String(d.latencyMs), "jitter_ms": String(d.jitterMs)]
        if let bytes = d.bandwidthBytesPerSecond { values["bandwidth_bytes"] = String(bytes) }
        return values
    }

    /// Whether an external cluster can run it: an executor fault, a heal, an await or an admin request.
    public var runsOnExternalCluster: Bool {
        switch self {
        case .heal, .healNetwork, .awaitCondition, .electLeaders, .reassign: return true
        default: return executorAction != nil
        }
    }
}
