import Processes
import Foundation

/// Starts a lab as a child process (`samsa cluster up`) and waits, bounded, for its readiness
/// record. The shell and the benchmarks start labs through it; `samsa run` runs the same
/// `LabSession.start` in its own process, which writes the same record, so all three start a lab
/// through one path and call it ready at the same moment.
public enum LabLauncher {
    /// How long a lab may take to be ready. ZooKeeper and nine brokers start in a few seconds on
    /// an idle machine; two minutes leaves room for a loaded CI runner without hanging for ever.
    public static let readyTimeoutMs = 120_000
    /// How many lines of the lab's output an error quotes.
    public static let quotedOutputLines = 5

    public struct Request: Sendable {
        public var brokers: Int
        public var basePort: Int
        public var directory: String
        /// key=value broker properties.
        public var brokerConfig: [String] = []
        /// Further `cluster up` options (e.g. `--track-durability`).
        public var options: [String] = []
        /// `--stop-with-parent`: the lab stops itself, cleanly, when its starter exits.
        public var stopWithParent = false
        /// The lab's stdout and stderr.
        public var outputPath: String
        /// false: the lab survives a SIGKILLed starter (then `stopWithParent` is what stops it).
        public var parentDeathSignal = true

        public init(brokers: Int, basePort: Int, directory: String, outputPath: String) {
            self.brokers = brokers
            self.basePort = basePort
            self.directory = directory
            self.outputPath = outputPath
        }

        var arguments: [String] {
            var arguments = ["cluster", "up", "--brokers", String(brokers), "--base-port", String(basePort), "--dir", directory]
            if stopWithParent { arguments.append("--stop-with-parent") }
            for item in brokerConfig { arguments += ["--broker-config", item] }
            return arguments + options
        }
    }

    /// A lab process that said it is ready.
    public struct Launched: Sendable {
        public var pid: pid_t
        public var readiness: LabReadiness
        public var outputPath: String
    }

    public enum Failure: Error, CustomStringConvertible {
        case exited(status: String, lastLines: String, outputPath: String)
        case timedOut(seconds: Double, outputPath: String)
        case stopped
        case unreadable(LabReadiness.ParseError, path: String)

        public var description: String {
            switch self {
            case .exited(let status, let lastLines, let outputPath):
                return "the lab \(status) before it was ready; last lines of \(outputPath):\n\(lastLines)"
            case .timedOut(let seconds, let outputPath):
                return "the lab was not ready within \(String(format: "%g", seconds)) s (it was stopped); see \(outputPath)"
            case .stopped:
                return "interrupted; the lab was stopped"
            case .unreadable(let error, let path):
                return "\(path): \(error)"
            }
        }
    }

    /// Spawns `samsa cluster up` and returns once its readiness record names it. On any failure
    /// the lab has been stopped (SIGTERM, then SIGKILL) before the error is thrown.
    public static func launch(samsaBinary: String, _ request: Request, timeoutMs: Int = readyTimeoutMs,
                              shouldStop: () -> Bool = { false }) throws -> Launched {
        var options = ChildProcess.Options(outputPath: request.outputPath)
        if !request.parentDeathSignal { options.setprivPath = nil }
        let pid = try ChildProcess.spawn(executable: samsaBinary, arguments: request.arguments, options: options)
        let readiness = try awaitReadiness(pid: pid, directory: request.directory, outputPath: request.outputPath,
                                           timeoutMs: timeoutMs, shouldStop: shouldStop)
        return Launched(pid: pid, readiness: readiness, outputPath: request.outputPath)
    }

    /// Waits for `directory`'s readiness record written by process `pid` (a record of another
    /// process is a stale one from an earlier lab), at most `timeoutMs`; stops `pid` on failure.
    public static func awaitReadiness(pid: pid_t, directory: String, outputPath: String, timeoutMs: Int,
                                      shouldStop: () -> Bool = { false }, pollMs: Int = 50) throws -> LabReadiness {
        let deadline = ContinuousClock.now + .milliseconds(timeoutMs)
        func giveUp(_ failure: Failure) -> Failure {
            _ = ChildProcess.terminate(pid, graceMs: 20_000)
            return failure
        }
        while true {
            if let status = ChildProcess.exitStatus(of: pid) {
                throw Failure.exited(status: ChildProcess.describe(waitStatus: status),
                                     lastLines: LocalCluster.tail(outputPath, lines: quotedOutputLines), outputPath: outputPath)
            }
            do throws(LabReadiness.ParseError) {
                if let record = try LabReadiness.read(directory: directory), record.pid == pid { return record }
            } catch .truncated {
                // Written by a rename, so only a lab that died mid-write leaves it: the next turn sees the exit.
            } catch {
                throw giveUp(.unreadable(error, path: directory + "/" + LabReadiness.fileName))
            }
            if shouldStop() { throw giveUp(.stopped) }
            if ContinuousClock.now >= deadline { throw giveUp(.timedOut(seconds: Double(timeoutMs) / 1000, outputPath: outputPath)) }
            usleep(useconds_t(pollMs * 1000))
        }
    }
}
