import Dispatch
import Foundation

/// Waits for SIGTERM or SIGINT with a dispatch signal source (the default handlers are ignored so the
/// process is not killed before it has shut down cleanly).
enum ShutdownSignal {
    static func wait() async -> String {
        await withCheckedContinuation { continuation in
            let queue = DispatchQueue(label: "samsa.signals")
            let box = Once(continuation)
            var sources: [DispatchSourceSignal] = []
            for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                source.setEventHandler { box.resume(name) }
                source.resume()
                sources.append(source)
            }
            retained.append(contentsOf: sources)
        }
    }

    /// Signal sources must outlive `wait`; they are never cancelled (the process is exiting). Safe
    /// without isolation: only appended to from inside `wait`, which a command calls once.
    nonisolated(unsafe) static var retained: [DispatchSourceSignal] = []
}

/// Resumes a continuation at most once, from whichever signal comes first.
final class Once: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<String, Never>?
    init(_ continuation: CheckedContinuation<String, Never>) { self.continuation = continuation }
    func resume(_ value: String) {
        lock.lock()
        let pending = continuation
        continuation = nil
        lock.unlock()
        pending?.resume(returning: value)
    }
}
