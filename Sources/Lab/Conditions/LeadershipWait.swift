import Foundation
import KafkaClient

/// The one wait for partition leadership: until every partition has a leader, or a full ISR, or
/// is no longer led or followed by brokers a fault took away. The playbook runner, the shell and
/// the benchmarks all wait through it, with one bound and one error.
public enum LeadershipWait {
    /// The bound of every leadership wait unless a caller has its own (a playbook's settle time).
    /// A controller moves leadership within a ZooKeeper session timeout (6 s in the lab) plus an
    /// election; 30 s leaves room for a loaded machine and still fails a stuck cluster quickly.
    public static let timeoutMs = 30_000
    /// How often the metadata is asked again.
    public static let pollMs = 200

    public enum Goal: Sendable, CustomStringConvertible {
        /// Every partition has a leader.
        case leaders
        /// Every partition has a leader and every replica in its ISR.
        case fullIsr
        /// No partition is led by these brokers, and no led partition lists them in its ISR (an
        /// offline partition keeps its last ISR, as in Kafka).
        case awayFrom(Set<Int32>)

        public var description: String {
            switch self {
            case .leaders: return "every partition to have a leader"
            case .fullIsr: return "every partition to have a leader and a full ISR"
            case .awayFrom(let brokers): return "leadership and ISRs to leave broker(s) \(brokers.sorted().map(String.init).joined(separator: ","))"
            }
        }
    }

    public struct Timeout: Error, CustomStringConvertible {
        public var goal: Goal
        public var timeoutMs: Int
        /// Partitions that still missed the goal, as `topic/partition (why)`.
        public var unmet: [String]
        /// The last metadata seen (empty when none could be read).
        public var last: [KafkaAdmin.PartitionDescription]

        public var description: String {
            let shown = unmet.prefix(5).joined(separator: ", ") + (unmet.count > 5 ? " and \(unmet.count - 5) more" : "")
            return "waited \(String(format: "%g", Double(timeoutMs) / 1000)) s for \(goal); still unmet: \(shown.isEmpty ? "no metadata" : shown)"
        }
    }

    /// The partitions of `partitions` that miss `goal`; `expected` (topic → partition count) also
    /// counts a topic whose metadata is short of partitions. Pure, for tests.
    public static func unmet(_ goal: Goal, _ partitions: [KafkaAdmin.PartitionDescription], expected: [String: Int32] = [:]) -> [String] {
        var missing: [String] = []
        for (topic, count) in expected.sorted(by: { $0.key < $1.key }) {
            let known = partitions.filter { $0.topic == topic && $0.partition >= 0 }.count
            if known < count { missing.append("\(topic) (\(known) of \(count) partitions known)") }
        }
        for partition in partitions {
            let name = "\(partition.topic)/\(partition.partition)"
            switch goal {
            case .leaders:
                if partition.leader < 0 { missing.append("\(name) (no leader)") }
            case .fullIsr:
                if partition.leader < 0 { missing.append("\(name) (no leader)") }
                else if Set(partition.isr) != Set(partition.replicas) { missing.append("\(name) (ISR \(partition.isr) of \(partition.replicas))") }
            case .awayFrom(let away):
                if away.contains(partition.leader) { missing.append("\(name) (led by \(partition.leader))") }
                else if partition.leader >= 0 && partition.isr.contains(where: away.contains) { missing.append("\(name) (ISR \(partition.isr))") }
            }
        }
        return missing
    }

    /// Waits until `goal` holds for `topics` (nil: every topic), at most `timeoutMs`; returns the
    /// metadata that met it, or the last one seen when `shouldStop` ended the wait early. Throws
    /// `Timeout` naming the partitions that missed the goal. Each metadata request is given only the
    /// time that remains, so a broker that accepts connections but never answers cannot stretch the
    /// wait past its bound by the client's own request timeout.
    @discardableResult
    public static func until(_ goal: Goal, client: KafkaCluster, topics: [String]? = nil, expected: [String: Int32] = [:],
                             timeoutMs: Int = LeadershipWait.timeoutMs, shouldStop: @Sendable () -> Bool = { false }) async throws -> [KafkaAdmin.PartitionDescription] {
        let deadline = ContinuousClock.now + .milliseconds(timeoutMs)
        var last: [KafkaAdmin.PartitionDescription] = []
        var missing = ["no metadata yet"]
        while !shouldStop() {
            let remaining = deadline - ContinuousClock.now
            if remaining > .zero, let now = await describe(client: client, topics: topics, within: remaining) {
                last = now
                missing = unmet(goal, now, expected: expected)
                if missing.isEmpty { return now }
            }
            if ContinuousClock.now >= deadline { throw Timeout(goal: goal, timeoutMs: timeoutMs, unmet: missing, last: last) }
            try await Task.sleep(for: min(.milliseconds(pollMs), deadline - ContinuousClock.now))
        }
        return last
    }

    /// The partitions of `topics`, or nil when the request failed or did not answer `within`. A
    /// request that overruns is abandoned, not awaited: it ends by itself at the client's own
    /// timeouts, and its answer is dropped.
    static func describe(client: KafkaCluster, topics: [String]?, within limit: Duration) async -> [KafkaAdmin.PartitionDescription]? {
        let answer = FirstAnswer<[KafkaAdmin.PartitionDescription]?>()
        return await withCheckedContinuation { continuation in
            answer.install(continuation)
            let request = Task { answer.give(try? await KafkaAdmin(cluster: client).describeTopics(topics)) }
            Task {
                try? await Task.sleep(for: limit)
                if answer.give(nil) { request.cancel() }
            }
        }
    }
}

/// Resumes one continuation with the first of several answers; later answers are dropped.
private final class FirstAnswer<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Value, Never>?
    private var pending: Value?
    private var given = false

    func install(_ continuation: CheckedContinuation<Value, Never>) {
        lock.lock()
        if given, let pending {
            lock.unlock()
            continuation.resume(returning: pending)
            return
        }
        self.continuation = continuation
        lock.unlock()
    }

    /// Whether `value` was the first answer.
    @discardableResult
    func give(_ value: Value) -> Bool {
        lock.lock()
        guard !given else { lock.unlock(); return false }
        given = true
        let waiting = continuation
        continuation = nil
        if waiting == nil { pending = value }
        lock.unlock()
        waiting?.resume(returning: value)
        return true
    }
}

extension LeadershipWait {
    /// `until` for synchronous callers (the benchmarks) with a client of its own on `bootstrap`.
    /// It blocks the calling thread, so it must run on a thread of its own (`Blocking.run`), never
    /// on Swift's cooperative pool, whose threads the wait itself needs.
    public static func untilBlocking(_ goal: Goal, bootstrap: String, topics: [String]? = nil,
                                     timeoutMs: Int = LeadershipWait.timeoutMs) throws -> [KafkaAdmin.PartitionDescription] {
        let client = try KafkaCluster(bootstrap: bootstrap)
        let outcome = BlockingOutcome()
        let done = DispatchSemaphore(value: 0)
        Task {
            do { outcome.set(.success(try await until(goal, client: client, topics: topics, timeoutMs: timeoutMs))) } catch {
                outcome.set(.failure(error))
            }
            await client.close()
            done.signal()
        }
        done.wait()
        return try outcome.get()
    }
}

/// The result handed from the wait's task to the blocked thread; the lock orders the one write
/// before the one read (the semaphore already does, the lock makes it checkable).
private final class BlockingOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Result<[KafkaAdmin.PartitionDescription], any Error> = .success([])
    func set(_ result: Result<[KafkaAdmin.PartitionDescription], any Error>) { lock.lock(); value = result; lock.unlock() }
    func get() throws -> [KafkaAdmin.PartitionDescription] { lock.lock(); defer { lock.unlock() }; return try value.get() }
}
