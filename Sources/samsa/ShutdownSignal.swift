import Dispatch
import Foundation

/// Turns SIGTERM and SIGINT into an awaitable event. `install()` must run before anything a user
/// might interrupt (the default handlers are replaced at once, so a signal during startup is not
/// lost and does not kill the process); `wait()` returns the first signal, even one that arrived
/// before it was called.
final class ShutdownSignal: @unchecked Sendable {
    // `lock` guards `received` and `continuations` (every waiter is resumed by the first signal);
    // the signal sources are retained for the process lifetime (it is exiting when they fire).
    private let lock = NSLock()
    private var received: String?
    private var continuations: [CheckedContinuation<String, Never>] = []
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
        if received == nil { received = name }
        let pending = continuations
        continuations = []
        lock.unlock()
        for continuation in pending { continuation.resume(returning: name) }
    }

    /// Whether a signal has arrived (for startup code that checks between steps).
    var hasFired: Bool {
        lock.lock()
        defer { lock.unlock() }
        return received != nil
    }

    func wait() async -> String {
        await withCheckedContinuation { continuation in
            lock.lock()
            if let received {
                lock.unlock()
                continuation.resume(returning: received)
                return
            }
            continuations.append(continuation)
            lock.unlock()
        }
    }
}
