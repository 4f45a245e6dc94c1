import ArgumentParser
import Foundation
import LogStore

/// `samsa log …`: offline tools for a broker's log directory.
struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log",
        abstract: "Offline tools for a broker's log directory.",
        subcommands: [LogVerifyCommand.self])
}

/// `samsa log verify DIR`: reads every segment and index and says what is wrong and what the
/// broker's recovery would cut. Exit 0 when clean, 1 when problems were found, 64 on bad usage.
struct LogVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check every segment and index of a log directory (or one partition directory).",
        discussion: """
        Read-only (the broker may be running). Each batch is checked as the broker's reads check it: length, \
        magic, contiguous offsets, CRC-32C; damage is stepped over to the next valid batch, so every damaged \
        stretch is reported. Each index entry must be inside its log and start the batch it names. \
        Exit status: 0 clean, 1 problems found, 64 usage error.
        """)
    @Argument(help: "A broker's log.dirs directory, or one <topic>-<partition> directory in it.") var directory: String
    @Flag(name: .long, help: "One JSON object: {clean, partitions: [{directory, problems: [...], recovery: [...]}]}.") var json = false

    func validate() throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ValidationError("\(directory) is not a directory")
        }
    }

    func run() throws {
        let report: LogVerify.Report
        do { report = try LogVerify.verify(path: directory) } catch {
            throw ValidationError("\(error)")
        }
        if json {
            struct Output: Encodable {
                var clean: Bool
                var partitions: [LogVerify.Partition]
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(Output(clean: report.clean, partitions: report.partitions)), as: UTF8.self))
        } else {
            print(Self.text(report), terminator: "")
        }
        if !report.clean { throw ExitCode(1) }
    }

    static func text(_ report: LogVerify.Report) -> String {
        var text = ""
        // Clean partitions are counted, not listed: a broker's dir holds 50 empty __consumer_offsets logs.
        for partition in report.partitions where !partition.problems.isEmpty {
            let name = (partition.directory as NSString).lastPathComponent
            let end = partition.endOffset.map { "log ends at offset \($0)" } ?? "empty"
            let state = "\(partition.problems.count) problem(s)"
            text += "\(name): \(state) — \(partition.segments) segment(s), \(partition.batches) valid batch(es), \(end)"
                + (partition.cleanShutdown ? ", closed cleanly" : ", not closed cleanly") + "\n"
            for problem in partition.problems {
                let place = problem.position.map { " byte \($0)" } ?? ""
                let offset = problem.offset.map { " offset \($0)" } ?? ""
                let resume = problem.resumeOffset.map { "; valid batches resume at offset \($0)" } ?? ""
                text += "  \(problem.kind)  \(problem.file)\(place)\(offset): \(problem.detail)\(resume)\n"
            }
            for line in partition.recovery { text += "  recovery \(line)\n" }
        }
        let clean = report.partitions.filter(\.problems.isEmpty).count
        text += report.partitions.isEmpty ? "no partition directories found\n" : "\(clean) of \(report.partitions.count) partition(s) clean\n"
        text += report.clean ? "clean\n" : "problems found\n"
        return text
    }
}
