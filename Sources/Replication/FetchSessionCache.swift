import KafkaProtocol

/// The fields of one partition in a fetch request that a fetch session remembers between requests
/// (KIP-227): a client names a partition again only when one of them changed.
public struct FetchPartitionRequest: Sendable, Equatable {
    public var fetchOffset: Int64
    public var logStartOffset: Int64
    public var maxBytes: Int32
    public var currentLeaderEpoch: Int32

    public init(fetchOffset: Int64, logStartOffset: Int64, maxBytes: Int32, currentLeaderEpoch: Int32) {
        self.fetchOffset = fetchOffset
        self.logStartOffset = logStartOffset
        self.maxBytes = maxBytes
        self.currentLeaderEpoch = currentLeaderEpoch
    }
}

/// Epoch arithmetic of KIP-227 fetch sessions, shared by both sides.
public enum FetchSessionEpoch {
    /// With session id 0: a full fetch that asks for a new session; with another id: close that
    /// session and open a new one.
    public static let initial: Int32 = 0
    /// Sessionless (or "close this session"): every partition is named and answered every time.
    public static let final: Int32 = -1

    /// The epoch after `epoch`: 1, 2, …, Int32.max, then 1 again (0 and -1 are never incremental).
    public static func next(_ epoch: Int32) -> Int32 {
        epoch < 0 ? initial : (epoch == Int32.max ? 1 : epoch + 1)
    }
}

/// The broker's side of KIP-227 incremental fetch sessions, as Kafka's `FetchSessionCache` and
/// `FetchManager`: a bounded set of sessions, each remembering what its client fetches and what
/// the last answers said, so that an incremental request names only partitions whose fetch
/// position changed and its answer carries only partitions with news (records, an error, or a
/// changed HW, LSO or log start).
///
/// Bounded by `maxSlots` sessions (Kafka's `max.incremental.fetch.session.cache.slots`). When full,
/// a new session takes the slot of a session unused for `evictionMs` (Kafka: 2 minutes), else of
/// the least valuable session when the new one is worth more: a follower's (privileged) session
/// beats a consumer's, then more partitions beat fewer. Sessions are not persisted: after a
/// restart every client gets FETCH_SESSION_ID_NOT_FOUND once and starts over with a full fetch.
///
/// A value type without I/O; the broker keeps it behind a lock and passes the time in.
public struct FetchSessionCache: Sendable {
    /// What a session remembers of one partition.
    struct Entry: Sendable, Equatable {
        var request: FetchPartitionRequest
        /// The HW, LSO and log start last sent for it; nil before its first answer.
        var sent: Sent?
    }

    struct Sent: Sendable, Equatable {
        var highWatermark: Int64
        var lastStableOffset: Int64
        var logStartOffset: Int64
    }

    struct Session: Sendable {
        let id: Int32
        let privileged: Bool
        /// The epoch the next incremental request must carry.
        var epoch: Int32
        /// The session's partitions in the order they joined it, which is the answer's order.
        var order: [TopicPartition]
        var entries: [TopicPartition: Entry]
        var lastUsedMs: Int64
    }

    /// How a request is to be answered.
    public struct Resolution: Sendable, Equatable {
        /// A top-level error (FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH,
        /// INVALID_REQUEST): answer it with no partitions.
        public var errorCode: ErrorCode
        /// The id to answer with: 0 when no session was kept (sessionless, or the cache had no room).
        public var sessionId: Int32
        /// Whether the answer is incremental (only partitions with news).
        public var incremental: Bool
        /// Every partition to read, in answer order: the request's own for a full fetch, the
        /// whole session's for an incremental one.
        public var partitions: [(TopicPartition, FetchPartitionRequest)]

        public static func == (lhs: Resolution, rhs: Resolution) -> Bool {
            lhs.errorCode == rhs.errorCode && lhs.sessionId == rhs.sessionId && lhs.incremental == rhs.incremental
                && lhs.partitions.map(\.0) == rhs.partitions.map(\.0) && lhs.partitions.map(\.1) == rhs.partitions.map(\.1)
        }

        static func failed(_ code: ErrorCode) -> Resolution {
            Resolution(errorCode: code, sessionId: 0, incremental: false, partitions: [])
        }
    }

    /// Kafka's default `max.incremental.fetch.session.cache.slots`.
    public static let defaultMaxSlots = 1000
    /// Kafka's fixed eviction time: a session unused this long may lose its slot to any newcomer.
    public static let defaultEvictionMs: Int64 = 120_000

    public let maxSlots: Int
    public let evictionMs: Int64
    private(set) var sessions: [Int32: Session] = [:]
    private var randomIds: @Sendable () -> Int32

    /// `randomIds` draws candidate session ids (tests pass a deterministic one); ids that are 0,
    /// negative or in use are drawn again.
    public init(maxSlots: Int = defaultMaxSlots, evictionMs: Int64 = defaultEvictionMs,
                randomIds: @escaping @Sendable () -> Int32 = { Int32.random(in: 1...Int32.max) }) {
        self.maxSlots = max(0, maxSlots)
        self.evictionMs = evictionMs
        self.randomIds = randomIds
    }

    public var count: Int { sessions.count }
    public func contains(_ sessionId: Int32) -> Bool { sessions[sessionId] != nil }
    /// The partitions a session holds, in answer order (empty when there is no such session).
    public func partitions(of sessionId: Int32) -> [TopicPartition] { sessions[sessionId]?.order ?? [] }

    /// Decides how a fetch request is answered, and opens, updates or closes its session.
    /// `privileged` is a follower's fetch (replica id ≥ 0).
    public mutating func resolve(sessionId: Int32, epoch: Int32, privileged: Bool,
                                 partitions: [(TopicPartition, FetchPartitionRequest)], forgotten: [TopicPartition],
                                 nowMs: Int64) -> Resolution {
        if epoch == FetchSessionEpoch.final || epoch == FetchSessionEpoch.initial {
            // A full fetch names everything it wants; forgetting is meaningless there.
            guard forgotten.isEmpty else { return .failed(.invalidRequest) }
            if sessionId != 0 { sessions[sessionId] = nil }
            guard epoch == FetchSessionEpoch.initial, let id = create(privileged: privileged, partitions: partitions, nowMs: nowMs) else {
                return Resolution(errorCode: .none, sessionId: 0, incremental: false, partitions: partitions)
            }
            return Resolution(errorCode: .none, sessionId: id, incremental: false, partitions: partitions)
        }
        guard sessionId != 0, var session = sessions[sessionId] else { return .failed(.fetchSessionIdNotFound) }
        guard session.epoch == epoch else { return .failed(.invalidFetchSessionEpoch) }
        for tp in forgotten where session.entries.removeValue(forKey: tp) != nil {
            session.order.removeAll { $0 == tp }
        }
        for (tp, request) in partitions {
            if session.entries[tp] == nil {
                session.order.append(tp)
                session.entries[tp] = Entry(request: request, sent: nil)
            } else {
                session.entries[tp]!.request = request
            }
        }
        session.epoch = FetchSessionEpoch.next(epoch)
        session.lastUsedMs = nowMs
        sessions[sessionId] = session
        return Resolution(errorCode: .none, sessionId: sessionId, incremental: true,
                          partitions: session.order.map { ($0, session.entries[$0]!.request) })
    }

    /// Records what `response` tells the client and, for an incremental answer, drops the
    /// partitions without news. The response carries the resolution's session id and error.
    public mutating func answer(_ response: FetchResponse, for resolution: Resolution) -> FetchResponse {
        var answer = response
        answer.sessionId = resolution.sessionId
        answer.errorCode = resolution.errorCode.rawValue
        guard resolution.errorCode == .none, resolution.sessionId != 0, var session = sessions[resolution.sessionId] else { return answer }
        var answeredWithRecords: Set<TopicPartition> = []
        answer.responses = response.responses.compactMap { topic in
            var kept = topic
            kept.partitions = topic.partitions.filter { partition in
                let tp = TopicPartition(topic.topic, partition.partitionIndex)
                guard session.entries[tp] != nil else { return true }
                let sent = Sent(highWatermark: partition.highWatermark, lastStableOffset: partition.lastStableOffset,
                                logStartOffset: partition.logStartOffset)
                let news = partition.records.readableBytes > 0 || partition.errorCode != 0 || session.entries[tp]!.sent != sent
                session.entries[tp]!.sent = sent
                if partition.records.readableBytes > 0 { answeredWithRecords.insert(tp) }
                return news || !resolution.incremental
            }
            return kept.partitions.isEmpty && resolution.incremental ? nil : kept
        }
        // As Kafka: partitions that just got records go to the back, so that under a response size
        // limit the others get their turn at the next fetch.
        if !answeredWithRecords.isEmpty {
            session.order = session.order.filter { !answeredWithRecords.contains($0) } + session.order.filter { answeredWithRecords.contains($0) }
        }
        sessions[resolution.sessionId] = session
        return answer
    }

    /// Opens a session when there is a free slot or one can be evicted; nil otherwise.
    private mutating func create(privileged: Bool, partitions: [(TopicPartition, FetchPartitionRequest)], nowMs: Int64) -> Int32? {
        guard maxSlots > 0 else { return nil }
        if sessions.count >= maxSlots && !evictOne(privileged: privileged, size: partitions.count, nowMs: nowMs) { return nil }
        var id = randomIds()
        var draws = 1
        while id <= 0 || sessions[id] != nil {
            // Bounded: with at most `maxSlots` ids in use, a free one turns up quickly.
            guard draws < 1000 else { return nil }
            id = randomIds()
            draws += 1
        }
        var session = Session(id: id, privileged: privileged, epoch: FetchSessionEpoch.next(FetchSessionEpoch.initial),
                              order: [], entries: [:], lastUsedMs: nowMs)
        for (tp, request) in partitions where session.entries[tp] == nil {
            session.order.append(tp)
            session.entries[tp] = Entry(request: request, sent: nil)
        }
        sessions[id] = session
        return id
    }

    /// Kafka's eviction: the least recently used session if it is stale; else the least valuable
    /// one (consumers' before followers', then the smallest) if the newcomer is worth more. A
    /// consumer's session never evicts a follower's unless that one is stale.
    private mutating func evictOne(privileged: Bool, size: Int, nowMs: Int64) -> Bool {
        if let stale = sessions.values.min(by: { ($0.lastUsedMs, $0.id) < ($1.lastUsedMs, $1.id) }), nowMs - stale.lastUsedMs > evictionMs {
            sessions[stale.id] = nil
            return true
        }
        func value(_ session: Session) -> (Int, Int, Int32) { (session.privileged ? 1 : 0, session.entries.count, session.id) }
        let candidates = sessions.values.filter { privileged || !$0.privileged }
        guard let victim = candidates.min(by: { value($0) < value($1) }) else { return false }
        let newcomer = (privileged ? 1 : 0, size)
        let victimValue = value(victim)
        guard newcomer > (victimValue.0, victimValue.1) else { return false }
        sessions[victim.id] = nil
        return true
    }
}
