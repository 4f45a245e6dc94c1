import Dispatch
import Foundation

/// Turns SIGTERM and SIGINT into an awaitable event. `install()` must run before anything a user
/// might interrupt (the default handlers are replaced at once, so a signal during startup is not
/// lost and does not kill the process); `wait()` returns the first signal, even one that arrived
/// before it was called, and `wait(count:)` the n-th (a second Ctrl-C that asks to abort faster).
final class ShutdownSignal: @unchecked Sendable {
    // `lock` guards `received` and `waiters` (each is resumed by the signal it waits for); the
    // signal sources are retained for the process lifetime (it is exiting when they fire).
    private let lock = NSLock()
    private var received: [String] = []
    private var waiters: [(count: Int, continuation: CheckedContinuation<String, Never>)] = []
    private var sources: [DispatchSourceSignal] = []

    static func install() -> ShutdownSignal {
        let shutdown = ShutdownSignal()
        let queue = DispatchQueue(label: "samsa.signals")
        for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { shutdown.deliver(name) }
            source.resume()
            shutdown.sources.append(source)
        }
        return shutdown
    }

    /// Fires as a signal would (the control API's shutdown request).
    func trigger(_ reason: String) { deliver(reason) }

    private func deliver(_ name: String) {
        lock.lock()
        received.append(name)
        let count = received.count
        let due = waiters.filter { $0.count <= count }
        waiters.removeAll { $0.count <= count }
        lock.unlock()
        for waiter in due { waiter.continuation.resume(returning: name) }
    }

    /// Whether a signal has arrived (for startup code that checks between steps).
    var hasFired: Bool {
        lock.lock()
        defer { lock.unlock() }
        return !received.isEmpty
    }

    /// How many signals have arrived.
    var count: Int {
        lock.lock()
        defer { lock.unlock() }
        return received.count
    }

    /// The first signal's name, once one has arrived.
    var first: String? {
        lock.lock()
        defer { lock.unlock() }
        return received.first
    }

    func wait() async -> String { await wait(count: 1) }

    /// Returns when `count` signals have arrived, with the name of the `count`-th.
    func wait(count: Int) async -> String {
        await withCheckedContinuation { continuation in
            lock.lock()
            if received.count >= count {
                let name = received[count - 1]
                lock.unlock()
                continuation.resume(returning: name)
                return
            }
            waiters.append((count, continuation))
            lock.unlock()
        }
    }
}
