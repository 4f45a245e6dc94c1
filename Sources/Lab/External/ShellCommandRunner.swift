import Foundation
import Processes

/// Runs one executor command with `/bin/sh -c`, bounded by a timeout: the shell gets a process
/// group of its own and dies with this process (`ChildProcess`), and on timeout the whole group
/// (the shell, ssh, whatever it started) is SIGKILLed. Output goes to a file; its last bytes are
/// kept for the timeline.
public enum ShellCommandRunner {
    public struct Result: Sendable, Equatable {
        /// The exit status, nil when the command timed out or could not start.
        public var exitStatus: Int32?
        public var timedOut: Bool
        /// "exited with 0", "timed out after 30000 ms and was killed", "cannot start: …"
        public var summary: String
        /// The end of what it printed (stdout and stderr together), at most `outputTailBytes`.
        public var output: String
        public var durationMs: Int64

        public var succeeded: Bool { exitStatus == 0 }
    }

    /// The timeline keeps this much of a command's output.
    public static let outputTailBytes = 2000

    /// Runs `command`; `outputPath` collects what it prints (appended).
    public static func run(_ command: String, timeoutMs: Int, outputPath: String) -> Result {
        let started = ContinuousClock.now
        func elapsed() -> Int64 {
            let d = ContinuousClock.now - started
            return d.components.seconds * 1000 + d.components.attoseconds / 1_000_000_000_000_000
        }
        let before = (try? FileManager.default.attributesOfItem(atPath: outputPath)[.size] as? NSNumber)?.uint64Value ?? 0
        let pid: pid_t
        do {
            pid = try ChildProcess.spawn(executable: "/bin/sh", arguments: ["-c", command], options: ChildProcess.Options(outputPath: outputPath))
        } catch {
            return Result(exitStatus: nil, timedOut: false, summary: "cannot start: \(error)", output: "", durationMs: elapsed())
        }
        var result: Result
        if let status = ChildProcess.waitForExit(pid, timeoutMs: timeoutMs) {
            let exited = status & 0x7f == 0
            result = Result(exitStatus: exited ? (status >> 8) & 0xff : nil, timedOut: false, summary: ChildProcess.describe(waitStatus: status),
                            output: "", durationMs: elapsed())
        } else {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            _ = ChildProcess.waitForExit(pid, timeoutMs: 10_000)
            result = Result(exitStatus: nil, timedOut: true, summary: "timed out after \(timeoutMs) ms and was killed", output: "", durationMs: elapsed())
        }
        result.output = tail(of: outputPath, from: before)
        return result
    }

    static func tail(of path: String, from offset: UInt64) -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        guard size > offset else { return "" }
        let start = max(offset, size > UInt64(outputTailBytes) ? size - UInt64(outputTailBytes) : 0)
        try? handle.seek(toOffset: start)
        let data = (try? handle.readToEnd()) ?? Data()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
