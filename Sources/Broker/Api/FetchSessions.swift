import KafkaProtocol
import NIOConcurrencyHelpers
import Replication

/// The broker's fetch sessions (KIP-227): the cache behind a lock, and the translation between
/// a Fetch request and what the cache decides.
///
/// Owner: `cache` (lock-guarded); each call holds the lock for one decision or one answer.
final class FetchSessions: Sendable {
    private let cache: NIOLockedValueBox<FetchSessionCache>

    init(maxSlots: Int) {
        cache = NIOLockedValueBox(FetchSessionCache(maxSlots: maxSlots))
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
}
