import Foundation
import Synchronization

/// Ctrl-C for the shell: SIGINT is counted and announced on a self-pipe, never delivered as a
/// process kill. The prompt clears its line on it; a running command checks `pending` in its
/// loops and stops. The lab's processes run in their own process groups and never see it.
public enum Interrupts {
    static let count = Atomic<Int>(0)
    /// The self-pipe: [read end, write end]. The handler writes one byte per SIGINT.
    nonisolated(unsafe) static var pipe: [Int32] = [-1, -1]
    static let installed = Mutex(false)

    public static func install() {
        installed.withLock { done in
            guard !done else { return }
            done = true
            var fds: [Int32] = [-1, -1]
            guard Glibc.pipe(&fds) == 0 else { return }
            for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            pipe = fds
            _ = count.load(ordering: .relaxed)
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in
                Interrupts.count.add(1, ordering: .relaxed)
                var byte: UInt8 = 1
                _ = write(Interrupts.pipe[1], &byte, 1)
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = 0
            sigaction(SIGINT, &action, nil)
        }
    }

    /// Ctrl-C presses since the last `reset`.
    public static var pending: Bool { count.load(ordering: .relaxed) > 0 }

    /// Forgets earlier presses (before a new prompt or command) and empties the pipe.
    public static func reset() {
        count.store(0, ordering: .relaxed)
        var buffer = [UInt8](repeating: 0, count: 64)
        while pipe[0] >= 0 && read(pipe[0], &buffer, buffer.count) > 0 {}
    }

    static var readFd: Int32 { pipe[0] }

    /// Sleeps up to `ms`, returning early on Ctrl-C. true when interrupted.
    public static func sleep(ms: Int) -> Bool {
        let deadline = Date(timeIntervalSinceNow: Double(ms) / 1000)
        while Date() < deadline {
            if pending { return true }
            var poller = pollfd(fd: readFd, events: Int16(POLLIN), revents: 0)
            _ = poll(&poller, 1, Int32(max(1, min(100, Int(deadline.timeIntervalSinceNow * 1000)))))
        }
        return pending
    }
}
