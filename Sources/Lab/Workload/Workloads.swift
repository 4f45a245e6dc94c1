import Coordination
import Foundation
import Logging

/// A producer instance of a workload, as `kafka_workload.py` takes it.
public struct ProducerSpec: Sendable, Equatable {
    public var topic: String
    public var acks: String = "all"
    public var idempotence = false
    public var maxInFlight = 5
    public var retries = Int(Int32.max)
    public var deliveryTimeoutMs = 30_000
    public var requestTimeoutMs = 10_000
    public var rate: Double = 0
    public var count = 0
    public var keys = 0
    public var valueSize = 32
    public var partition: Int32?
    /// Send these values (one per line of the file) instead of generated ones.
    public var valuesFile: String?

    public init(topic: String) { self.topic = topic }
}

/// A consumer instance: a group member (subscribe) or an assignment.
public struct ConsumerSpec: Sendable, Equatable {
    public var topic: String
    public var group: String?
    public var assign: [Int32] = []
    public var commit: String = "sync"
    public var sessionTimeoutMs = 6000
    /// Seconds to go on reading (and committing) after the duration, until a second passes without
    /// a record: the producers stop with the workload, the consumers catch up.
    public var drainSeconds: Double = 0

    public init(topic: String, group: String?) {
        self.topic = topic
        self.group = group
    }
}

/// Runs the workload processes of a run: each a real Kafka client (confluent-kafka) writing its own
/// history file under `directory/histories/` (`HistoryMerge` then writes the run's `history.jsonl`
/// in time order with one global index). Processes are started through `ChildProcess` (they die with
/// the lab) and are bounded by their duration; `stopAll` ends them with SIGTERM, then SIGKILL.
public final class Workloads: @unchecked Sendable {
    // `lock` guards `processes`.
    private let lock = NSLock()
    private var processes: [(name: String, pid: pid_t, history: String)] = []
    public let directory: String
    public let bootstrap: String
    let script: String
    let python: String
    let logger: Logger

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public init(directory: String, bootstrap: String, logger: Logger) throws {
        self.directory = directory
        self.bootstrap = bootstrap
        self.logger = logger
        guard let script = Bundle.module.path(forResource: "kafka_workload", ofType: "py") else {
            throw Failure(description: "the workload script is missing from the build (Lab resources)")
        }
        self.script = script
        python = ProcessInfo.processInfo.environment["SAMSA_PYTHON"] ?? "/usr/bin/env"
        try FileManager.default.createDirectory(atPath: directory + "/histories", withIntermediateDirectories: true)
    }

    var pythonArguments: [String] { python == "/usr/bin/env" ? ["python3", script] : [script] }

    @discardableResult
    public func startProducer(_ name: String, _ spec: ProducerSpec, durationSeconds: Double) throws -> pid_t {
        var arguments = ["--role", "producer", "--topic", spec.topic, "--acks", spec.acks, "--idempotence", spec.idempotence ? "true" : "false",
                         "--max-in-flight", String(spec.maxInFlight), "--retries", String(spec.retries),
                         "--delivery-timeout-ms", String(spec.deliveryTimeoutMs), "--request-timeout-ms", String(spec.requestTimeoutMs),
                         "--rate", String(spec.rate), "--count", String(spec.count), "--keys", String(spec.keys), "--value-size", String(spec.valueSize),
                         "--duration", String(durationSeconds), "--flush-timeout", String(max(5, Double(spec.deliveryTimeoutMs) / 1000 + 5))]
        if let partition = spec.partition { arguments += ["--partition", String(partition)] }
        if let valuesFile = spec.valuesFile { arguments += ["--values-file", valuesFile] }
        return try start(name, arguments)
    }

    @discardableResult
    public func startConsumer(_ name: String, _ spec: ConsumerSpec, durationSeconds: Double) throws -> pid_t {
        var arguments = ["--role", "consumer", "--topic", spec.topic, "--commit", spec.commit, "--duration", String(durationSeconds),
                         "--session-timeout-ms", String(spec.sessionTimeoutMs), "--drain", String(spec.drainSeconds)]
        if let group = spec.group { arguments += ["--group", group] } else { arguments += ["--assign"] + spec.assign.map(String.init) }
        return try start(name, arguments)
    }

    /// The final read: every partition of `topics` from the start to the high watermark. Blocks
    /// until it ends (bounded by `timeoutSeconds`); returns its exit status (0 when complete).
    public func finalRead(topics: [String], timeoutSeconds: Double) throws -> Int32 {
        let pid = try start("final-reader", ["--role", "final-reader", "--topics"] + topics + ["--duration", String(timeoutSeconds)])
        let status = ChildProcess.waitForExit(pid, timeoutMs: Int(timeoutSeconds * 1000) + 30_000) ?? {
            kill(pid, SIGKILL)
            return ChildProcess.waitForExit(pid, timeoutMs: 5000) ?? -1
        }()
        forget(pid)
        return status & 0x7f == 0 ? (status >> 8) & 0xff : -1
    }

    private func start(_ name: String, _ arguments: [String]) throws -> pid_t {
        let history = "\(directory)/histories/\(name).jsonl"
        var options = ChildProcess.Options(outputPath: "\(directory)/histories/\(name).log")
        options.environment = ["PYTHONUNBUFFERED": "1"]
        let pid = try ChildProcess.spawn(executable: python,
                                         arguments: pythonArguments + ["--bootstrap", bootstrap, "--process", name, "--history", history] + arguments,
                                         options: options)
        lock.withLock { processes.append((name, pid, history)) }
        return pid
    }

    private func forget(_ pid: pid_t) { lock.withLock { processes.removeAll { $0.pid == pid } } }

    public var running: [String] {
        lock.withLock { processes.filter { ChildProcess.exitStatus(of: $0.pid) == nil }.map(\.name) }
    }

    /// Waits (bounded) for every workload process to end by itself.
    public func waitAll(timeoutMs: Int) {
        let deadline = Date(timeIntervalSinceNow: Double(timeoutMs) / 1000)
        for process in lock.withLock({ processes }) {
            let left = max(0, Int(deadline.timeIntervalSinceNow * 1000))
            if ChildProcess.waitForExit(process.pid, timeoutMs: left) == nil {
                logger.warning("workload \(process.name) did not end in time; stopping it")
                ChildProcess.terminate(process.pid, graceMs: 10_000)
            }
        }
    }

    public func stopAll(graceMs: Int = 10_000) {
        for process in lock.withLock({ processes }) { ChildProcess.terminate(process.pid, graceMs: graceMs) }
    }
}
