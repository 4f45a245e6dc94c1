import ArgumentParser
import Foundation
import Lab
import Playbook
import Report
import Verification

/// `samsa suite`: every playbook × schedule case of a suite, each compared with its expected
/// verdict. Exit status: 0 every case as expected, 1 one differed, 2 invalid suite or lab failure.
struct SuiteCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "suite",
        abstract: "Run a CI suite (Chaos/suite.yaml): each case's checkers must give its expected verdict.",
        discussion: """
        A case passes when the checkers' verdict equals its `expect` (valid or invalid) and every
        expectation of its playbook holds. Each case runs in OUT/<case>; OUT/suite.json and
        OUT/junit.xml (one test case per suite case) sum them up.
        """
    )

    @Argument(help: "The suite file.") var suite: String
    @Option(name: .long, help: "Output directory (default: runs/suite-<time>).") var out: String?
    @Option(name: .long, help: "Seed for every case (overrides the cases' seeds).") var seed: UInt64?
    @Option(name: .long, help: "Run only the named case(s). Repeatable.") var only: [String] = []
    @Flag(name: .long, help: "No progress display.") var quiet = false
    @Option(name: .long, help: "Log level of the lab.") var logLevel: String = "warning"

    struct CaseResult: Codable {
        var name: String
        var playbook: String
        var schedule: String?
        var seed: UInt64
        var expected: String
        var verdict: String
        var expectationsPassed: Bool?
        var passed: Bool
        var durationSeconds: Double
        var directory: String
        var note: String

        enum CodingKeys: String, CodingKey {
            case name, playbook, schedule, seed, expected, verdict, passed, directory, note
            case expectationsPassed = "expectations_passed"
            case durationSeconds = "duration_s"
        }
    }

    func run() async throws {
        let shutdown = ShutdownSignal.install()
        bootstrapLogging(level: .warning)
        let loaded: Suite
        do { loaded = try Suite.load(path: suite, seedOverride: seed) } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(2)
        }
        let unknown = only.filter { name in !loaded.cases.contains { $0.name == name } }
        guard unknown.isEmpty else {
            FileHandle.standardError.write(Data("samsa suite: no case named \(unknown.joined(separator: ", ")); cases: \(loaded.cases.map(\.name).joined(separator: ", "))\n".utf8))
            throw ExitCode(2)
        }
        let cases = only.isEmpty ? loaded.cases : loaded.cases.filter { only.contains($0.name) }
        let root: String
        do { root = try RunDirectories.prepare(out, name: "suite-" + loaded.name) } catch {
            FileHandle.standardError.write(Data("samsa suite: \(error)\n".utf8))
            throw ExitCode(2)
        }
        var results: [CaseResult] = []
        for (index, entry) in cases.enumerated() {
            FileHandle.standardError.write(Data("» case \(index + 1)/\(cases.count): \(entry.name) (expect \(entry.expect))\n".utf8))
            let directory = root + "/" + entry.name
            let started = Date()
            var result = CaseResult(name: entry.name, playbook: entry.playbook, schedule: entry.schedule, seed: entry.plan.seed,
                                    expected: "\(entry.expect)", verdict: "error", expectationsPassed: nil, passed: false,
                                    durationSeconds: 0, directory: directory, note: "")
            do {
                _ = try RunDirectories.prepare(directory, name: entry.name)
                let outcome = try await RunExecution.execute(entry.plan, directory: directory, quiet: quiet, logLevel: logLevel, shutdown: shutdown)
                let verdict = outcome.report.checks.valid
                result.verdict = "\(verdict)"
                result.expectationsPassed = outcome.passed
                result.passed = verdict == entry.expect && outcome.passed == true
                let failed = outcome.expectations.filter { $0.passed != true }.map { "\($0.name): expected \($0.expected), observed \($0.observed)" }
                result.note = verdict != entry.expect ? "checkers said \(verdict), expected \(entry.expect)" : failed.joined(separator: "; ")
            } catch let exit as ExitCode where exit.rawValue == 130 {
                throw exit
            } catch {
                result.note = "the run failed: \(error)"
            }
            result.durationSeconds = Date().timeIntervalSince(started)
            results.append(result)
            FileHandle.standardError.write(Data("  \(result.passed ? "PASS" : "FAIL") \(entry.name): verdict \(result.verdict) (expected \(entry.expect))\(result.note.isEmpty ? "" : " — \(result.note)")\n".utf8))
        }
        try writeSummary(results, root: root, suiteName: loaded.name)
        var table = TextTable(["CASE", "EXPECT", "VERDICT", "EXPECTATIONS", "RESULT", "TIME"])
        for result in results {
            table.add([result.name, result.expected, result.verdict, result.expectationsPassed.map { $0 ? "held" : "failed" } ?? "unknown",
                       result.passed ? "PASS" : "FAIL", String(format: "%.0fs", result.durationSeconds)])
        }
        print(table.render())
        let failures = results.filter { !$0.passed }.count
        print(failures == 0 ? "suite \(loaded.name): all \(results.count) case(s) as expected" : "suite \(loaded.name): \(failures) of \(results.count) case(s) differ")
        print("results: \(root)/suite.json \(root)/junit.xml")
        throw ExitCode(failures == 0 ? 0 : 1)
    }

    func writeSummary(_ results: [CaseResult], root: String, suiteName: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(results).write(to: URL(fileURLWithPath: root + "/suite.json"))
        func escape(_ text: String) -> String {
            text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
        }
        let failures = results.filter { !$0.passed }.count
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuite name=\"\(escape(suiteName))\" tests=\"\(results.count)\" failures=\"\(failures)\" time=\"\(String(format: "%.1f", results.reduce(0) { $0 + $1.durationSeconds }))\">\n"
        for result in results {
            xml += "  <testcase classname=\"samsa.suite.\(escape(suiteName))\" name=\"\(escape(result.name))\" time=\"\(String(format: "%.1f", result.durationSeconds))\">\n"
            if !result.passed {
                xml += "    <failure message=\"\(escape("verdict \(result.verdict), expected \(result.expected)"))\">\(escape(result.note + "\nrun directory: " + result.directory))</failure>\n"
            }
            xml += "  </testcase>\n"
        }
        xml += "</testsuite>\n"
        try xml.write(toFile: root + "/junit.xml", atomically: true, encoding: .utf8)
    }
}
