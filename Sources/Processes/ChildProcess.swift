import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Starts helper processes (ZooKeeper here; the lab may start brokers the same way) so that none
/// outlives this process, even when this process is killed with SIGKILL and has no chance to clean up.
///
/// How: the child is exec'd through `setpriv --pdeathsig KILL -- <executable>` (util-linux), which
/// sets Linux's parent-death signal and then execs the real program in place, so the pid we get is
/// the program's. Foundation's `Process` cannot do this because the signal must be set between fork
/// and exec. The parent-death signal fires when the *thread* that spawned the child exits, not the
/// process; so every spawn runs on one thread that lives as long as the process (`SpawnThread`),
/// never on a pool thread that the runtime may retire.
///
/// The child also gets its own process group, so a Ctrl-C at the terminal reaches only the lab,
/// which can then stop its children in order; a clean signal mask and default dispositions, since
/// ignored signals (SIGPIPE under NIO) would otherwise be inherited; stdin from /dev/null; stdout
/// and stderr appended to a file; and no file descriptors beyond those three.
public enum ChildProcess {
    public struct Options: Sendable {
        /// `setpriv` sets the parent-death signal before exec; nil starts the executable directly
        /// (the child then survives a SIGKILLed parent).
        public var setprivPath: String? = "/usr/bin/setpriv"
        public var workingDirectory: String?
        /// Where stdout and stderr are appended.
        public var outputPath: String
        /// Extra variables on top of this process's environment.
        public var environment: [String: String] = [:]

        public init(outputPath: String) {
            self.outputPath = outputPath
        }
    }

    public struct SpawnError: Error, CustomStringConvertible {
        public let command: [String]
        public let errorNumber: Int32
        public var description: String {
            "cannot start \(command.joined(separator: " ")): \(String(cString: strerror(errorNumber)))"
        }
    }

    /// Starts `executable` with `arguments` and returns its pid. The caller owns the pid: it must
    /// reap it with `exitStatus(of:)` or `waitForExit(_:timeoutMs:)`.
    public static func spawn(executable: String, arguments: [String], options: Options) throws -> pid_t {
        var command = [executable] + arguments
        if let setpriv = options.setprivPath {
            command = [setpriv, "--pdeathsig", "KILL", "--"] + command
        }
        let environment = ProcessInfo.processInfo.environment.merging(options.environment) { $1 }
            .map { "\($0.key)=\($0.value)" }
        let request = SpawnRequest(command: command, environment: environment, options: options)
        switch SpawnThread.shared.run(request) {
        case .success(let pid): return pid
        case .failure(let error): throw error
        }
    }

    /// The child's wait status if it has exited (reaping it), nil while it runs.
    public static func exitStatus(of pid: pid_t) -> Int32? {
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid { return status }
        if result < 0 && errno == ECHILD { return -1 }
        return nil
    }

    /// Polls every 20 ms until the child exits or `timeoutMs` passes; returns its wait status or nil.
    public static func waitForExit(_ pid: pid_t, timeoutMs: Int) -> Int32? {
        let deadline = Date(timeIntervalSinceNow: Double(timeoutMs) / 1000)
        while true {
            if let status = exitStatus(of: pid) { return status }
            if Date() >= deadline { return nil }
            usleep(20_000)
        }
    }

    /// SIGTERM, then SIGKILL if the child has not exited after `graceMs`. Returns its wait status.
    @discardableResult
    public static func terminate(_ pid: pid_t, graceMs: Int) -> Int32 {
        if let status = exitStatus(of: pid) { return status }
        kill(pid, SIGTERM)
        if let status = waitForExit(pid, timeoutMs: graceMs) { return status }
        kill(pid, SIGKILL)
        return waitForExit(pid, timeoutMs: 10_000) ?? -1
    }

    /// "exited with 1", "killed by signal 9".
    public static func describe(waitStatus status: Int32) -> String {
        if status < 0 { return "already reaped" }
        let signal = status & 0x7f
        if signal == 0 { return "exited with \((status >> 8) & 0xff)" }
        return "killed by signal \(signal)"
    }
}

/// Everything `posix_spawn` needs, prepared on the caller's thread.
private struct SpawnRequest: Sendable {
    let command: [String]
    let environment: [String]
    let options: ChildProcess.Options

    /// Runs on the spawn thread.
    func spawn() -> Result<pid_t, ChildProcess.SpawnError> {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, options.outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        GNUSpawnExtensions.closeFrom(&actions, 3)
        if let directory = options.workingDirectory { GNUSpawnExtensions.changeDirectory(&actions, directory) }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var emptyMask = sigset_t()
        sigemptyset(&emptyMask)
        posix_spawnattr_setsigmask(&attributes, &emptyMask)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(
            &attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = command.map { strdup($0) } + [nil]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, command[0], &actions, &attributes, argv, envp)
        return rc == 0 ? .success(pid) : .failure(ChildProcess.SpawnError(command: command, errorNumber: rc))
    }
}

/// glibc's `posix_spawn_file_actions_addclosefrom_np` and `_addchdir_np` are hidden from Swift's
/// Glibc module (they need `_GNU_SOURCE`), so they are looked up at run time; where missing, the
/// child simply inherits descriptors (ours are close-on-exec) or the working directory.
private enum GNUSpawnExtensions {
    typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, UnsafePointer<CChar>?) -> Int32

    static func closeFrom(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ lowest: Int32) {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addclosefrom_np") else { return }
        _ = unsafeBitCast(symbol, to: AddCloseFrom.self)(actions, lowest)
    }

    static func changeDirectory(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: String) {
        guard let symbol = dlsym(dlopen(nil, RTLD_NOW), "posix_spawn_file_actions_addchdir_np") else { return }
        _ = unsafeBitCast(symbol, to: AddChdir.self)(actions, path)
    }
}

/// The one thread that spawns children; it never exits, so the parent-death signal of the children
/// fires only when the whole process dies.
private final class SpawnThread: @unchecked Sendable {
    static let shared = SpawnThread()

    /// Invariant for `@unchecked Sendable`: `pending` is touched only with `condition` locked.
    private let condition = NSCondition()
    private var pending: [@Sendable () -> Void] = []

    private init() {
        let thread = Thread { [self] in self.serve() }
        thread.name = "samsa.child-spawner"
        thread.start()
    }

    func run(_ request: SpawnRequest) -> Result<pid_t, ChildProcess.SpawnError> {
        let outcome = Locked<Result<pid_t, ChildProcess.SpawnError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        condition.withLock {
            pending.append {
                let result = request.spawn()
                outcome.withLock { $0 = result }
                done.signal()
            }
            condition.signal()
        }
        done.wait()
        return outcome.withLock { $0! }
    }

    private func serve() {
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            let job = pending.removeFirst()
            condition.unlock()
            job()
        }
    }
}
