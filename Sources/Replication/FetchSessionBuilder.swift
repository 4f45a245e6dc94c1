import KafkaProtocol

/// The client's side of a KIP-227 fetch session, as Kafka's `FetchSessionHandler`: the first fetch
/// names every partition (epoch 0); once the broker answers with a session id, each next fetch
/// names only partitions whose request changed (a new fetch offset after an append, a truncation,
/// a new leader epoch), lists those no longer wanted as forgotten, and carries the next epoch. Any
/// error, or an answer without a session id, starts over with a full fetch.
///
/// A value type without I/O, owned by the one task that sends the fetches.
public struct FetchSessionBuilder: Sendable, Equatable {
    /// The next request: its session fields and what it names.
    public struct Plan: Sendable, Equatable {
        public var sessionId: Int32
        public var epoch: Int32
        public var partitions: [TopicPartition: FetchPartitionRequest]
        public var forgotten: [TopicPartition]
        public var isFull: Bool { epoch == FetchSessionEpoch.initial }
    }

    public private(set) var sessionId: Int32 = 0
    public private(set) var nextEpoch: Int32 = FetchSessionEpoch.initial
    /// What the broker's session holds for each partition, as last sent.
    private var inSession: [TopicPartition: FetchPartitionRequest] = [:]

    public init() {}

    /// The request for fetching `wanted` now.
    public func plan(_ wanted: [TopicPartition: FetchPartitionRequest]) -> Plan {
        guard sessionId != 0, nextEpoch != FetchSessionEpoch.initial else {
            return Plan(sessionId: sessionId, epoch: FetchSessionEpoch.initial, partitions: wanted, forgotten: [])
        }
        let changed = wanted.filter { inSession[$0.key] != $0.value }
        let forgotten = inSession.keys.filter { wanted[$0] == nil }.sorted()
        return Plan(sessionId: sessionId, epoch: nextEpoch, partitions: changed, forgotten: forgotten)
    }

    /// Takes in the broker's answer to `plan`: its top-level error and session id.
    public mutating func received(_ plan: Plan, errorCode: Int16, sessionId answeredId: Int32) {
        guard errorCode == 0 else {
            // FETCH_SESSION_ID_NOT_FOUND: the broker forgot it, so ask for a new one; other errors
            // (INVALID_FETCH_SESSION_EPOCH among them): close this one and open a new one.
            if errorCode == ErrorCode.fetchSessionIdNotFound.rawValue { sessionId = 0 }
            reset(keepingId: true)
            return
        }
        if plan.isFull {
            guard answeredId != 0 else { return reset(keepingId: false) }
            sessionId = answeredId
            inSession = plan.partitions
            nextEpoch = FetchSessionEpoch.next(FetchSessionEpoch.initial)
            return
        }
        for tp in plan.forgotten { inSession[tp] = nil }
        for (tp, request) in plan.partitions { inSession[tp] = request }
        nextEpoch = FetchSessionEpoch.next(nextEpoch)
    }

    /// After a failed exchange (a lost connection, a timeout): the broker may or may not have
    /// taken the last request in, so the next fetch is a full one that replaces the session.
    public mutating func failed() { reset(keepingId: true) }

    private mutating func reset(keepingId: Bool) {
        if !keepingId { sessionId = 0 }
        nextEpoch = FetchSessionEpoch.initial
        inSession = [:]
    }
}
