import Processes
import Verification
import Foundation
import Logging
import LogStore

/// A producer instance of a workload, as `kafka_workload.py` takes it.
public struct ProducerSpec: Sendable, Equatable, Codable {
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
    /// The producer's `compression.type`: none, gzip, snappy, lz4 or zstd.
    public var compression = "none"
    /// A transactional producer (its process name is its `transactional.id`): `txnRecords` records
    /// per transaction, a fraction `abortRate` of the transactions deliberately aborted.
    public var transactional = false
    public var txnRecords = 10
    public var abortRate: Double = 0
    /// A zombie (transactional producers): this long into the workload the producer is set aside
    /// mid-transaction past its transaction timeout, a replacement with the same transactional.id
    /// inits, and the zombie then tries to commit. Nil: never.
    public var zombieAfterMs: Int64?

    /// The `transaction.timeout.ms` a transactional producer gets: at least twice the 10 s bound on
    /// each transactional call, so the coordinator does not abort a transaction while a call of it
    /// is still allowed to run, and no less than the delivery timeout.
    public var transactionTimeoutMs: Int { max(deliveryTimeoutMs, 20_000) }

    public init(topic: String) { self.topic = topic }

    /// The `compression.type` values a workload producer takes (librdkafka's names).
    public static let codecs = ["none", "gzip", "snappy", "lz4", "zstd"]
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
    /// Stop after reading this many records (0: until the duration ends); no more are consumed or committed.
    public var count = 0
    /// The client's `isolation.level`, always passed explicitly (librdkafka's own default is
    /// read_committed, which would leave a broker's read_uncommitted path untested).
    public var isolation: IsolationLevel = .readUncommitted
    /// Consume-transform-produce instead of a plain consumer: reads read_committed in `group` and
    /// writes one record to the output topic per record read, the output and the input offsets in
    /// one transaction (its process name is its `transactional.id`).
    public var transform: TransformSpec?

    public init(topic: String, group: String?) {
        self.topic = topic
        self.group = group
    }
}

/// What a consume-transform-produce process writes, and how its transactions end.
public struct TransformSpec: Sendable, Equatable, Codable {
    public var output: String
    /// At most this many input records per transaction.
    public var txnRecords = 10
    /// The fraction of transactions deliberately aborted (their inputs are then processed again).
    public var abortRate: Double = 0

    public init(output: String, txnRecords: Int = 10, abortRate: Double = 0) {
        self.output = output
        self.txnRecords = txnRecords
        self.abortRate = abortRate
    }
}

/// Runs the workload processes of a run: each a real Kafka client (confluent-kafka) writing its own
/// history file under `directory/histories/` (`HistoryMerge` then writes the run's `history.jsonl`
/// in time order with one global index). Processes are started through `ChildProcess` (they die with
/// the lab) and are bounded by their duration; `stopAll` ends them with SIGTERM, then SIGKILL.
///
/// How each process ended goes to `directory/clients.jsonl` (`ClientExit`, one line per process,
/// written when it is reaped): a client that died, was killed, overran its bound or reported a
/// fatal client error fails the run's `clients` check. Reap workload processes only through
/// `reap(_:)`, `waitAll` or `stopAll`, never with `ChildProcess` directly, or their end is lost.
public final class Workloads: @unchecked Sendable {
    private struct Running {
        var name: String
        var history: String
        var startedNs: Int64
    }

    // `lock` guards `processes` and the writes to `clients.jsonl`.
    private let lock = NSLock()
    private var processes: [pid_t: Running] = [:]
    public let directory: String
    public let bootstrap: String
    let script: String
    let python: String
    let logger: Logger

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static let clientsFile = "clients.jsonl"

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
        if spec.compression != "none" { arguments += ["--compression", spec.compression] }
        if spec.transactional {
            arguments += ["--transactional-id", name, "--txn-records", String(spec.txnRecords), "--abort-rate", String(spec.abortRate)]
            arguments += ["--transaction-timeout-ms", String(spec.transactionTimeoutMs)]
            if let zombie = spec.zombieAfterMs { arguments += ["--zombie-after", String(Double(zombie) / 1000)] }
        }
        return try start(name, arguments)
    }

    @discardableResult
    public func startConsumer(_ name: String, _ spec: ConsumerSpec, durationSeconds: Double) throws -> pid_t {
        var arguments = ["--topic", spec.topic, "--duration", String(durationSeconds),
                         "--session-timeout-ms", String(spec.sessionTimeoutMs), "--drain", String(spec.drainSeconds)]
        if let transform = spec.transform {
            guard let group = spec.group else {
                throw Failure(description: "a consume-transform-produce consumer needs a group (its offsets are committed in its transactions)")
            }
            arguments = ["--role", "transform", "--group", group, "--output", transform.output, "--transactional-id", name,
                         "--txn-records", String(transform.txnRecords), "--abort-rate", String(transform.abortRate)] + arguments
            return try start(name, arguments)
        }
        arguments = ["--role", "consumer", "--commit", spec.commit, "--isolation", spec.isolation.rawValue] + arguments
        if let group = spec.group { arguments += ["--group", group] } else { arguments += ["--assign"] + spec.assign.map(String.init) }
        if spec.count > 0 { arguments += ["--count", String(spec.count)] }
        return try start(name, arguments)
    }

    /// Exit status of the final reader when it could not read every partition to its end.
    public static let finalReadIncompleteStatus: Int32 = 3

    /// The final read: every partition of `topics` from the start to the high watermark. Blocks
    /// until it ends (bounded by `timeoutSeconds`); returns its exit status (0 when complete).
    /// `shouldStop` is asked every 20 ms: when it answers true (the run was interrupted) the
    /// reader is stopped at once.
    public func finalRead(topics: [String], timeoutSeconds: Double, shouldStop: @escaping () -> Bool = { false }) throws -> Int32 {
        let pid = try start("final-reader", ["--role", "final-reader", "--topics"] + topics + ["--duration", String(timeoutSeconds)])
        var overran = false
        var status = waitReaping(pid, timeoutMs: Int(timeoutSeconds * 1000) + 30_000, shouldStop: shouldStop)
        if status == nil {
            overran = !shouldStop()
            kill(pid, SIGKILL)
            status = waitReaping(pid, timeoutMs: 5000)
        }
        if overran, let status { record(pid, status: status, overran: true) }
        guard let status else { return -1 }
        return status & 0x7f == 0 ? (status >> 8) & 0xff : -1
    }

    private func start(_ name: String, _ arguments: [String]) throws -> pid_t {
        let history = "\(directory)/histories/\(name).jsonl"
        var options = ChildProcess.Options(outputPath: "\(directory)/histories/\(name).log")
        options.environment = ["PYTHONUNBUFFERED": "1"]
        let started = Self.nowNs()
        let pid = try ChildProcess.spawn(executable: python,
                                         arguments: pythonArguments + ["--bootstrap", bootstrap, "--process", name, "--history", history] + arguments,
                                         options: options)
        lock.withLock { processes[pid] = Running(name: name, history: history, startedNs: started) }
        return pid
    }

    /// The process's wait status if it has ended (recording how), nil while it runs.
    public func reap(_ pid: pid_t) -> Int32? {
        guard let status = ChildProcess.exitStatus(of: pid) else { return nil }
        record(pid, status: status, overran: false)
        return status
    }

    private func waitReaping(_ pid: pid_t, timeoutMs: Int, shouldStop: () -> Bool = { false }) -> Int32? {
        let deadline = Date(timeIntervalSinceNow: Double(timeoutMs) / 1000)
        while true {
            if let status = reap(pid) { return status }
            if Date() >= deadline || shouldStop() { return nil }
            usleep(20_000)
        }
    }

    /// Writes how a process ended to `clients.jsonl`, once.
    private func record(_ pid: pid_t, status: Int32, overran: Bool) {
        guard let process = lock.withLock({ processes.removeValue(forKey: pid) }) else { return }
        let signal = status >= 0 ? status & 0x7f : 0
        let exit = ClientExit(
            process: process.name, pid: pid, startedNs: process.startedNs, endedNs: Self.nowNs(),
            exitCode: status >= 0 && signal == 0 ? (status >> 8) & 0xff : nil, signal: signal != 0 ? signal : nil,
            overran: overran, error: Self.fatalLine(in: "\(directory)/histories/\(process.name).log"))
        guard let line = try? JSONL.encodeLine(exit) else { return }
        // Opened per line: the file exists only once a client has ended, which is how a run that
        // recorded no exits is told apart from one whose clients all ended well.
        lock.withLock {
            guard let file = try? JSONLinesFile(path: directory + "/" + Self.clientsFile) else { return }
            file.appendRaw(line)
            file.close()
        }
        if exit.failed { logger.warning("workload \(process.name): \(exit.summary)") }
    }

    /// The workload script prints one line starting "FATAL client error:" when its client reports a
    /// fatal error; it is near the end of the process's output.
    static func fatalLine(in path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        try? handle.seek(toOffset: size > 65_536 ? size - 65_536 : 0)
        guard let data = try? handle.readToEnd(), let text = String(data: data, encoding: .utf8) else { return nil }
        return text.split(separator: "\n").last { $0.hasPrefix("FATAL client error:") }.map(String.init)
    }

    static func nowNs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    public var running: [String] {
        lock.withLock { Array(processes.keys) }.filter { reap($0) == nil }.compactMap { pid in lock.withLock { processes[pid]?.name } }
    }

    /// Waits (bounded) for every workload process to end by itself; one that overruns is stopped and
    /// recorded as having overrun its bound.
    public func waitAll(timeoutMs: Int) {
        let deadline = Date(timeIntervalSinceNow: Double(timeoutMs) / 1000)
        for (pid, process) in lock.withLock({ processes }) {
            let left = max(0, Int(deadline.timeIntervalSinceNow * 1000))
            if waitReaping(pid, timeoutMs: left) == nil {
                logger.warning("workload \(process.name) did not end in time; stopping it")
                let status = ChildProcess.terminate(pid, graceMs: 10_000)
                record(pid, status: status, overran: true)
            }
        }
    }

    /// SIGKILLs every workload process still running, without waiting; `stopAll` (or `waitAll`)
    /// then reaps them and records how they ended.
    public func killAll() {
        for pid in lock.withLock({ Array(processes.keys) }) {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
        }
    }

    public func stopAll(graceMs: Int = 10_000) {
        for pid in lock.withLock({ Array(processes.keys) }) {
            let status = ChildProcess.terminate(pid, graceMs: graceMs)
            record(pid, status: status, overran: false)
        }
    }
}
