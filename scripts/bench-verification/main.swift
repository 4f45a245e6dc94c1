// Measures the Verification checkers on a synthetic history: writes it, loads it, checks it,
// measures it, and prints each phase's wall time and the process's peak resident memory.
// Built and run by ./run (release build of the Verification target).
import Foundation
import Verification

#if canImport(Glibc)
import Glibc
#endif

// Arguments: [sends] [history.jsonl]. With a path, that history is checked (and kept); a synthetic
// one is written there first when the file does not exist.
let arguments = CommandLine.arguments.dropFirst()
let sends = arguments.first.flatMap { Int($0) } ?? 500_000
let given = arguments.dropFirst().first
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("verification-bench-\(getpid())")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
let path = given ?? directory.appendingPathComponent("history.jsonl").path

let clock = ContinuousClock()
func phase<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
    let start = clock.now
    let result = try body()
    print("\(name): \(clock.now - start)")
    return result
}

func peakResidentMiB() -> Double {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return Double(usage.ru_maxrss) / 1024
}

if !FileManager.default.fileExists(atPath: path) {
    let operations = try phase("write") { try SyntheticHistory(sends: sends, recordsPerPoll: 1).write(to: path) }
    print("history: \(operations) operations")
}
let bytes = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
print("history file: \(bytes / 1_048_576) MiB")
let start = clock.now
let history = phase("load") { History.load(path: path) }
let timeline = Timeline(records: [])
let report = phase("check") { CheckReport(history: history, timeline: timeline) }
let figures = phase("figures") { Figures(history: history, timeline: timeline, report: report) }
print("load+check+figures: \(clock.now - start)")
print("lines: \(history.ops.count), operations: \(history.operations.count), problems: \(history.problems.total)")
for (checker, verdict) in report.verdicts { print("  \(checker): \(verdict)") }
print("acknowledged: \(figures.counts.sendsAcknowledged), records read: \(figures.counts.recordsRead)")
print(String(format: "peak RSS: %.0f MiB", peakResidentMiB()))
