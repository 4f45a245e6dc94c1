import KafkaProtocol

/// What a follower's fetcher fetches from one leader, kept between rounds so that an idle round
/// costs nothing per partition: each partition's request (the fetch session's input) and a
/// `Handle` the fetcher applies answers to (the broker's partition). The fetcher updates only the
/// partitions it knows changed; `FetchSessionBuilder` then names only those whose request differs
/// from what the leader's session holds.
///
/// A value type without I/O, owned by the fetcher's loop.
public struct FetchTargets<Handle: Sendable>: Sendable {
    /// One fetchable partition: where it applies answers, at which leader epoch, from which offset.
    public struct Target: Sendable {
        public var handle: Handle
        public var leaderEpoch: Int32
        public var fetchOffset: Int64
    }

    /// Every fetchable partition's request, as the next fetch wants it.
    public private(set) var requests: [TopicPartition: FetchPartitionRequest] = [:]
    /// Every fetchable partition's target, for applying the answer.
    public private(set) var fetched: [TopicPartition: Target] = [:]
    /// When the fetcher next looks at every partition, not only those marked changed.
    public var nextRescanMs: Int64 = 0

    public init() {}

    public var partitions: Dictionary<TopicPartition, FetchPartitionRequest>.Keys { requests.keys }

    public mutating func set(_ tp: TopicPartition, handle: Handle, leaderEpoch: Int32, request: FetchPartitionRequest) {
        requests[tp] = request
        fetched[tp] = Target(handle: handle, leaderEpoch: leaderEpoch, fetchOffset: request.fetchOffset)
    }

    /// `tp` is not fetchable now (removed, delayed, to be truncated, or no longer followed).
    public mutating func remove(_ tp: TopicPartition) {
        requests[tp] = nil
        fetched[tp] = nil
    }
}
