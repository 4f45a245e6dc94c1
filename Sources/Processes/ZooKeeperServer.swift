import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A standalone ZooKeeper process started by tests and by the lab.
///
/// The process runs in its own process group, dies with this process (parent-death signal, see
/// `ChildProcess`), logs into its directory, and serves requests when `start` returns.
/// This object owns the pid and reaps it: signal it freely (the lab pauses it with SIGSTOP), but
/// wait for it only through `stop()`, `waitForExit` or `isRunning`.
public final class ZooKeeperServer: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public let configuration: ZooKeeperServerConfiguration
    public let pid: pid_t
    public let port: Int
    private let exitStatus = Locked<Int32?>(nil)

    private init(configuration: ZooKeeperServerConfiguration, pid: pid_t, port: Int) {
        self.configuration = configuration
        self.pid = pid
        self.port = port
    }

    /// "127.0.0.1:port", for `ZooKeeperClient.connect`.
    public var connectString: String { "127.0.0.1:\(port)" }

    /// Writes the configuration, starts the JVM and waits until it answers `ruok` with `imok` and
    /// serves requests. Throws, with the end of its log, if it exits or is not ready within
    /// `startTimeoutMs`; the process is then stopped.
    public static func start(_ configuration: ZooKeeperServerConfiguration) throws -> ZooKeeperServer {
        let port = try configuration.clientPort ?? freeLoopbackPort()
        let files = FileManager.default
        try files.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        try configuration.zooCfg(port: port).write(toFile: configuration.configPath, atomically: true, encoding: .utf8)
        try configuration.logProperties.write(
            toFile: configuration.logPropertiesPath, atomically: true, encoding: .utf8)
        var options = ChildProcess.Options(outputPath: configuration.consolePath)
        options.setprivPath = configuration.setprivPath
        options.workingDirectory = configuration.directory
        let pid = try ChildProcess.spawn(
            executable: configuration.javaPath, arguments: configuration.javaArguments, options: options)
        let server = ZooKeeperServer(configuration: configuration, pid: pid, port: port)
        try server.waitUntilReady()
        return server
    }

    private func waitUntilReady() throws {
        let deadline = Date(timeIntervalSinceNow: Double(configuration.startTimeoutMs) / 1000)
        while Date() < deadline {
            if let status = reap() {
                throw Failure(description: """
                    ZooKeeper on port \(port) \(ChildProcess.describe(waitStatus: status)) while starting; \
                    see \(configuration.directory)
                    \(logTail())
                    """)
            }
            if isServing() { return }
            usleep(100_000)
        }
        stop()
        throw Failure(description: """
            ZooKeeper on port \(port) was not serving within \(configuration.startTimeoutMs) ms; \
            see \(configuration.directory)
            \(logTail())
            """)
    }

    /// `ruok` answers `imok` as soon as the listener is up, before the database is loaded; `srvr`
    /// names the server's mode only once it serves requests. Ready means both.
    public func isServing() -> Bool {
        guard (try? fourLetterWord("ruok", timeoutMs: 1_000)) == "imok" else { return false }
        return (try? fourLetterWord("srvr", timeoutMs: 1_000))?.contains("Mode: ") ?? false
    }

    /// Whether the process is still alive (a paused process counts as alive).
    public var isRunning: Bool { reap() == nil }

    /// SIGTERM, then SIGKILL after `stopGraceMs`; returns how it ended, e.g. "killed by signal 15".
    /// Resumes a paused process first so that it can act on SIGTERM.
    @discardableResult
    public func stop() -> String {
        let status = exitStatus.withLock { status in
            if status == nil {
                kill(pid, SIGCONT)
                status = ChildProcess.terminate(pid, graceMs: configuration.stopGraceMs)
            }
            return status ?? -1
        }
        return ChildProcess.describe(waitStatus: status)
    }

    /// Sends a four-letter command (`ruok`, `srvr`, `stat`, `mntr`) and returns the reply.
    public func fourLetterWord(_ word: String, timeoutMs: Int = 2_000) throws -> String {
        try Self.fourLetterWord(word, port: port, timeoutMs: timeoutMs)
    }

    /// Sends a four-letter command to the ZooKeeper listening on 127.0.0.1:`port`.
    public static func fourLetterWord(_ word: String, port: Int, timeoutMs: Int = 2_000) throws -> String {
        do {
            return try LoopbackSocket.exchange(port: port, request: word, timeoutMs: timeoutMs)
        } catch let failure as LoopbackSocket.Failure {
            throw Failure(description: "\(word) to ZooKeeper on port \(port): \(failure.description)")
        }
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read, close). Another
    /// process may take it before the caller binds it; that bind then fails loudly.
    public static func freeLoopbackPort() throws -> Int {
        do {
            return try LoopbackSocket.freePort()
        } catch let failure as LoopbackSocket.Failure {
            throw Failure(description: "no free port: \(failure.description)")
        }
    }

    /// The last `lines` lines of the server log and of the JVM's console output.
    public func logTail(lines: Int = 40) -> String {
        let tail = { (path: String) -> String in
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "(no \(path))" }
            return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
        }
        return "--- \(configuration.logPath)\n\(tail(configuration.logPath))\n"
            + "--- \(configuration.consolePath)\n\(tail(configuration.consolePath))"
    }

    /// Reaps the process if it exited; the status is remembered since a pid is reaped only once.
    private func reap() -> Int32? {
        exitStatus.withLock { status in
            if status == nil { status = ChildProcess.exitStatus(of: pid) }
            return status
        }
    }
}
