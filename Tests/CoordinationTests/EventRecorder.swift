import Coordination
import Foundation

/// Collects a client's events and lets a test wait (bounded) for one of them.
///
/// `@unchecked Sendable`: `events` is touched only with `condition` locked.
final class EventRecorder: @unchecked Sendable {
    /// Every wait in these tests is bounded by this, so that a missing event fails the test in
    /// seconds instead of hanging the suite.
    static let waitLimitMs = 10_000

    private let condition = NSCondition()
    private var events: [CoordinationEvent] = []

    var handler: CoordinationEventHandler {
        { [self] event in
            condition.withLock {
                events.append(event)
                condition.broadcast()
            }
        }
    }

    var all: [CoordinationEvent] { condition.withLock { events } }

    func count(_ event: CoordinationEvent) -> Int {
        condition.withLock { events.filter { $0 == event }.count }
    }

    /// Waits until `event` has been received at least `occurrences` times.
    @discardableResult
    func waitFor(_ event: CoordinationEvent, occurrences: Int = 1, timeoutMs: Int = waitLimitMs) -> Bool {
        let deadline = Date(timeIntervalSinceNow: Double(timeoutMs) / 1000)
        condition.lock()
        defer { condition.unlock() }
        while events.filter({ $0 == event }).count < occurrences {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }
}

/// Polls `condition` every 50 ms until it holds or `timeoutMs` passes.
func eventually(timeoutMs: Int = EventRecorder.waitLimitMs, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date(timeIntervalSinceNow: Double(timeoutMs) / 1000)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        Thread.sleep(forTimeInterval: 0.05)
    }
}
