import NIOConcurrencyHelpers

/// The partition waiters of one follower's fetch session (KIP-227), kept from one fetch to the
/// next. Registered once on each partition the session reads, they wake whichever long poll of the
/// session is waiting, so an idle follower's long poll registers and removes nothing. (With a
/// waiter per partition per poll, 1,000 partitions RF=3 on 3 brokers cost each leader about 330
/// registrations and 330 removals per follower twice a second.)
///
/// Only followers' sessions keep them (`FetchSessions.waiters`): a consumer may vanish without
/// closing its session, and waiters left behind would run on every append until the session is
/// evicted. A follower that opens a new session closes its old one's waiters.
///
/// Owner: `state` (lock-guarded). No partition lock is taken while it is held, and a partition
/// calls `changed` after releasing its own.
final class FetchSessionWaiters: Sendable {
    private struct State {
        var registered: [ObjectIdentifier: (partition: Partition, id: Int)] = [:]
        /// The wake-ups of the session's fetches waiting now (normally at most one).
        var waiting: [Int: @Sendable () -> Void] = [:]
        var nextWaitingId = 0
        var closed = false
    }

    private let state = NIOLockedValueBox(State())

    /// Makes the registrations exactly `partitions` (what the session's fetch reads): registers on
    /// the new ones and removes those no longer read. An idle session's call finds nothing to do.
    func watch(_ partitions: [Partition]) {
        let (missing, stale) = state.withLockedValue { state -> ([Partition], [(partition: Partition, id: Int)]) in
            if state.closed { return ([], []) }
            let missing = partitions.filter { state.registered[ObjectIdentifier($0)] == nil }
            // Every registered partition is still read when the counts add up (the partitions are distinct).
            if state.registered.count + missing.count == partitions.count { return (missing, []) }
            let read = Set(partitions.map(ObjectIdentifier.init))
            let stale = state.registered.filter { !read.contains($0.key) }
            for key in stale.keys { state.registered[key] = nil }
            return (missing, Array(stale.values))
        }
        for (partition, id) in stale { partition.removeWaiter(id) }
        guard !missing.isEmpty else { return }
        let added = missing.map { partition in
            (partition, partition.addWaiter { [weak self] in self?.changed() })
        }
        // A concurrent call (or `close`) may have got there first: keep one registration per partition.
        let extra = state.withLockedValue { state -> [(Partition, Int)] in
            if state.closed { return added }
            var extra: [(Partition, Int)] = []
            for (partition, id) in added {
                let key = ObjectIdentifier(partition)
                if state.registered[key] == nil { state.registered[key] = (partition, id) } else { extra.append((partition, id)) }
            }
            return extra
        }
        for (partition, id) in extra { partition.removeWaiter(id) }
    }

    /// Adds a waiting fetch's wake-up; returns the id for `stopWaiting`.
    func wait(_ wake: @escaping @Sendable () -> Void) -> Int {
        state.withLockedValue { state in
            state.nextWaitingId += 1
            state.waiting[state.nextWaitingId] = wake
            return state.nextWaitingId
        }
    }

    func stopWaiting(_ id: Int) {
        state.withLockedValue { _ = $0.waiting.removeValue(forKey: id) }
    }

    /// Removes every registration; the session is gone.
    func close() {
        let registered = state.withLockedValue { state -> [(partition: Partition, id: Int)] in
            state.closed = true
            defer { state.registered = [:] }
            return Array(state.registered.values)
        }
        for (partition, id) in registered { partition.removeWaiter(id) }
    }

    /// How many partitions it is registered on (for tests).
    var registeredCount: Int { state.withLockedValue { $0.registered.count } }

    private func changed() {
        let wakes = state.withLockedValue { Array($0.waiting.values) }
        for wake in wakes { wake() }
    }
}
