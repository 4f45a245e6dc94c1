import KafkaProtocol
import NIOConcurrencyHelpers
import Replication

/// The broker's fetch sessions (KIP-227): the cache behind a lock, and the translation between
/// a Fetch request and what the cache decides.
///
/// Followers' sessions also keep their partition waiters between fetches (`FetchSessionWaiters`).
///
/// Owner: `cache` (lock-guarded); each call holds the lock for one decision or one answer.
/// `waiters` (lock-guarded, never held with `cache`'s lock) maps sessions to their waiters.
final class FetchSessions: Sendable {
    private let cache: NIOLockedValueBox<FetchSessionCache>

    private struct Waiters {
        var bySession: [Int32: FetchSessionWaiters] = [:]
        /// Each follower's latest session: its earlier one is abandoned when it opens another.
        var sessionOfFollower: [Int32: Int32] = [:]
    }

    private let waiters = NIOLockedValueBox(Waiters())

    /// Whether followers' sessions keep their waiters (`samsa.fetch.session.keep.waiters`).
    let keepsWaiters: Bool

    init(maxSlots: Int, keepsWaiters: Bool = true) {
        cache = NIOLockedValueBox(FetchSessionCache(maxSlots: maxSlots))
        self.keepsWaiters = keepsWaiters
    }

    /// Whether a request of `version` takes part in sessions at all: v7+ with a session id or
    /// an epoch other than "sessionless" (id 0, epoch -1).
    static func usesSessions(_ request: FetchRequest, version: Int16) -> Bool {
        version >= 7 && !(request.sessionId == 0 && request.sessionEpoch == FetchSessionEpoch.final)
    }

    /// Resolves `request` against its session. Returns the decision and the request to read: the
    /// request itself for a full fetch, the whole session's partitions for an incremental one.
    func resolve(_ request: FetchRequest, nowMs: Int64) -> (FetchSessionCache.Resolution, FetchRequest) {
        let named = request.topics.flatMap { topic in
            topic.partitions.map { partition in
                (TopicPartition(topic.topic, partition.partition),
                 FetchPartitionRequest(fetchOffset: partition.fetchOffset, logStartOffset: partition.logStartOffset,
                                       maxBytes: partition.partitionMaxBytes, currentLeaderEpoch: partition.currentLeaderEpoch))
            }
        }
        let forgotten = request.forgottenTopics.flatMap { topic in topic.partitions.map { TopicPartition(topic.topic, $0) } }
        let resolution = cache.withLockedValue {
            $0.resolve(sessionId: request.sessionId, epoch: request.sessionEpoch, privileged: request.replicaId >= 0,
                       partitions: named, forgotten: forgotten, nowMs: nowMs)
        }
        guard resolution.incremental else { return (resolution, request) }
        var effective = request
        effective.forgottenTopics = []
        effective.topics = []
        var topicIndex: [String: Int] = [:]
        for (tp, wanted) in resolution.partitions {
            let partition = FetchRequest.Partition(partition: tp.partition, currentLeaderEpoch: wanted.currentLeaderEpoch,
                                                   fetchOffset: wanted.fetchOffset, logStartOffset: wanted.logStartOffset,
                                                   partitionMaxBytes: wanted.maxBytes)
            if let index = topicIndex[tp.topic] {
                effective.topics[index].partitions.append(partition)
            } else {
                topicIndex[tp.topic] = effective.topics.count
                effective.topics.append(.init(topic: tp.topic, partitions: [partition]))
            }
        }
        return (resolution, effective)
    }

    /// The answer to send for `response`: its session id, and for an incremental fetch only the
    /// partitions with news.
    func answer(_ response: FetchResponse, for resolution: FetchSessionCache.Resolution) -> FetchResponse {
        cache.withLockedValue { $0.answer(response, for: resolution) }
    }

    var count: Int { cache.withLockedValue { $0.count } }

    /// The kept waiters of a follower's session (nil for a consumer, sessionless or refused fetch).
    /// When `resolution` opened or closed a session, the waiters of sessions no longer cached, or
    /// no longer the follower's latest, are closed.
    func waiters(for resolution: FetchSessionCache.Resolution, replicaId: Int32) -> FetchSessionWaiters? {
        guard keepsWaiters, replicaId >= 0, resolution.errorCode == .none, resolution.sessionId != 0 else { return nil }
        let sessionId = resolution.sessionId
        let known = resolution.incremental ? [] : waiters.withLockedValue { Array($0.bySession.keys) }
        let gone = known.isEmpty ? [] : cache.withLockedValue { cache in known.filter { !cache.contains($0) } }
        let (kept, closed) = waiters.withLockedValue { state -> (FetchSessionWaiters, [FetchSessionWaiters]) in
            var closed = gone.compactMap { state.bySession.removeValue(forKey: $0) }
            if let previous = state.sessionOfFollower[replicaId], previous != sessionId, let old = state.bySession.removeValue(forKey: previous) {
                closed.append(old)
            }
            state.sessionOfFollower[replicaId] = sessionId
            if let existing = state.bySession[sessionId] { return (existing, closed) }
            let fresh = FetchSessionWaiters()
            state.bySession[sessionId] = fresh
            return (fresh, closed)
        }
        for old in closed { old.close() }
        return kept
    }

    /// Sessions with kept waiters (for tests).
    var waitingSessions: Int { waiters.withLockedValue { $0.bySession.count } }
}
