import KafkaClient
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Replication

/// Where a follower reaches a leader: the peer address from `samsa.peer.addresses` when configured
/// (the lab points it at a proxy), else the leader's registered endpoint.
public struct FetchSource: Sendable, Equatable, Hashable {
    public var brokerId: Int32
    public var host: String
    public var port: Int
}

/// Replicates every partition this broker follows under one leader, as Kafka's
/// `ReplicaFetcherThread`: first truncation (OffsetForLeaderEpoch, KIP-101/279) for partitions new to
/// it, then Fetch with this broker's id as `replica_id`, long-polling the leader, appending what comes
/// back and applying the leader's HW. Errors back off by `replica.fetch.backoff.ms`.
///
/// The fetches use a fetch session (KIP-227, `FetchSessionBuilder`): after the first full fetch,
/// each names only the partitions whose fetch offset (or epoch, or log start) changed, so an idle
/// follower's fetch is a few dozen bytes whatever the partition count, and the leader answers only
/// partitions with news. A session error or a failed exchange starts over with a full fetch.
///
/// Nor does an idle round look at every partition: the loop keeps each partition's last request
/// (`FetchTargets`) and looks again only at the partitions marked changed — added, removed,
/// truncated, delayed, or named in the leader's last answer (an append, a new HW or log start) —
/// plus all of them every `samsa.replica.fetch.rescan.interval.ms` (5 s), which bounds how long a change made elsewhere (a
/// log start moved by local retention) waits to reach the leader.
///
/// Owner: `state` (lock-guarded) holds the partition set and the changed marks; the loop task is
/// the only one that talks to the leader, and owns the session and the targets.
final class ReplicaFetcher: Sendable {
    struct PartitionFetchState: Sendable, Equatable {
        var leaderEpoch: Int32
        /// Truncation still to do before fetching: the epoch to ask the leader about, or nil when done.
        var truncationEpoch: Int32?
        var needsTruncation: Bool
        var delayedUntilMs: Int64 = 0
        /// The fetch offset at which the leader last answered CORRUPT_MESSAGE (logged once per offset).
        var corruptAtOffset: Int64?
    }

    struct State {
        var partitions: [TopicPartition: PartitionFetchState] = [:]
        /// Partitions whose request the loop must work out again before its next fetch.
        var changed: Set<TopicPartition> = []
        /// Set when every partition is to be looked at again (after a failed exchange).
        var rescanAll = true
        var stopped = false
        var wake: CheckedContinuation<Void, Never>?
    }

    let source: FetchSource
    let brokerId: Int32
    let config: BrokerConfig
    let replicaManager: ReplicaManager
    let events: EventLog
    let logger: Logger
    let group: EventLoopGroup
    private let state = NIOLockedValueBox(State())
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(source: FetchSource, brokerId: Int32, config: BrokerConfig, replicaManager: ReplicaManager, events: EventLog, logger: Logger, group: EventLoopGroup) {
        self.source = source
        self.brokerId = brokerId
        self.config = config
        self.replicaManager = replicaManager
        self.events = events
        self.logger = logger
        self.group = group
    }

    func start() {
        task.withLockedValue { $0 = Task { await self.run() } }
    }

    func add(_ tp: TopicPartition, leaderEpoch: Int32) {
        let wake = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            // Seeded bug skip-truncation.v2: fetching starts at the LEO without OffsetForLeaderEpoch.
            let truncate = !config.seededBugs.contains(.skipTruncationV2)
            state.partitions[tp] = PartitionFetchState(leaderEpoch: leaderEpoch, truncationEpoch: nil, needsTruncation: truncate)
            state.changed.insert(tp)
            defer { state.wake = nil }
            return state.wake
        }
        wake?.resume()
    }

    func remove(_ tp: TopicPartition) {
        state.withLockedValue {
            _ = $0.partitions.removeValue(forKey: tp)
            $0.changed.insert(tp)
        }
    }

    var isEmpty: Bool { state.withLockedValue { $0.partitions.isEmpty } }

    /// Whether `tp` still has to ask the leader where to truncate before fetching (nil: not here).
    func needsTruncation(_ tp: TopicPartition) -> Bool? { state.withLockedValue { $0.partitions[tp]?.needsTruncation } }
    var partitions: [TopicPartition] { state.withLockedValue { Array($0.partitions.keys) } }

    func stop() {
        let wake = state.withLockedValue { state -> CheckedContinuation<Void, Never>? in
            state.stopped = true
            defer { state.wake = nil }
            return state.wake
        }
        wake?.resume()
        task.withLockedValue { $0?.cancel() }
    }

    private var stopped: Bool { state.withLockedValue { $0.stopped } }

    // MARK: The loop

    private func run() async {
        var connection: KafkaConnection?
        var session = FetchSessionBuilder()
        var targets = FetchTargets<Partition>()
        while !stopped {
            if state.withLockedValue({ $0.partitions.isEmpty }) {
                await waitForWork()
                continue
            }
            do {
                if connection == nil || connection!.isClosed {
                    connection = try await KafkaConnection.connect(host: source.host, port: source.port, group: group,
                                                                   clientId: "samsa-replica-fetcher-\(brokerId)",
                                                                   connectTimeoutMs: min(config.replicaSocketTimeoutMs, 3000),
                                                                   requestTimeoutMs: config.replicaSocketTimeoutMs)
                }
                try await truncatePending(connection!)
                let fetched = try await fetchOnce(connection!, session: &session, targets: &targets)
                if !fetched { try await Task.sleep(for: .milliseconds(max(10, config.replicaFetchBackoffMs))) }
            } catch is CancellationError {
                break
            } catch {
                if !stopped {
                    logger.debug("fetcher for leader \(source.brokerId) at \(source.host):\(source.port): \(error)")
                }
                connection?.close()
                connection = nil
                session.failed()
                state.withLockedValue { $0.rescanAll = true }
                try? await Task.sleep(for: .milliseconds(max(10, config.replicaFetchBackoffMs)))
            }
        }
        connection?.close()
    }

    private func waitForWork() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLockedValue { state -> Bool in
                if state.stopped || !state.partitions.isEmpty { return true }
                state.wake = continuation
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    /// KIP-101/279: ask the leader where our latest epoch ends; truncate there (possibly in several rounds).
    private func truncatePending(_ connection: KafkaConnection) async throws {
        var pending = state.withLockedValue { $0.partitions.filter { $0.value.needsTruncation } }
        var rounds = 0
        while !pending.isEmpty && rounds < 8 {
            rounds += 1
            var queries: [TopicPartition: Int32] = [:]
            for (tp, fetchState) in pending {
                guard let partition = replicaManager.partition(tp) else { continue }
                let epoch = fetchState.truncationEpoch ?? Truncation.firstQuery(partition.localEpochs)
                if let epoch { queries[tp] = epoch } else { finishTruncation(tp) }
            }
            if queries.isEmpty { return }
            let byTopic = Dictionary(grouping: queries.keys, by: \.topic)
            let request = OffsetForLeaderEpochRequest(replicaId: brokerId, topics: byTopic.map { topic, tps in
                .init(topic: topic, partitions: tps.map { tp in
                    .init(partition: tp.partition, currentLeaderEpoch: pending[tp]!.leaderEpoch, leaderEpoch: queries[tp]!)
                })
            })
            let response: OffsetForLeaderEpochResponse = try await connection.send(request, timeoutMs: config.replicaSocketTimeoutMs)
            for topic in response.topics {
                for answer in topic.partitions {
                    let tp = TopicPartition(topic.topic, answer.partition)
                    guard let asked = queries[tp], let partition = replicaManager.partition(tp) else { continue }
                    guard answer.errorCode == 0 else {
                        delay(tp, because: ErrorCode.describe(answer.errorCode))
                        continue
                    }
                    let decision = Truncation.decide(local: partition.localEpochs, askedEpoch: asked,
                                                     leaderEpoch: answer.leaderEpoch, leaderEndOffset: answer.endOffset,
                                                     seededBugs: config.seededBugs)
                    switch decision {
                    case .noTruncation:
                        finishTruncation(tp)
                    case .truncate(let offset):
                        try await truncate(partition, to: offset, reason: "leader's epoch \(answer.leaderEpoch) ends at \(answer.endOffset)")
                        finishTruncation(tp)
                    case .truncateAndAskAgain(let offset, let epoch):
                        try await truncate(partition, to: offset, reason: "diverged before epoch \(asked); asking about epoch \(epoch)")
                        state.withLockedValue {
                            $0.partitions[tp]?.truncationEpoch = epoch
                            $0.changed.insert(tp)
                        }
                    }
                }
            }
            pending = state.withLockedValue { $0.partitions.filter { $0.value.needsTruncation } }
        }
    }

    /// Truncates on a storage thread (it cuts segment files and rewrites the epoch checkpoint).
    private func truncate(_ partition: Partition, to offset: Int64, reason: String) async throws {
        let (from, to) = try await replicaManager.storage.run { try partition.truncateAsFollower(to: offset) }
        guard from != to else { return }
        let tp = partition.topicPartition
        logger.info("truncated \(tp) from \(from) to \(to): \(reason)")
        events.record("truncate", ["topic": tp.topic, "partition": Int(tp.partition), "from_offset": Int(from), "to_offset": Int(to),
                                   "leader": Int(source.brokerId), "reason": reason])
    }

    private func finishTruncation(_ tp: TopicPartition) {
        state.withLockedValue {
            $0.partitions[tp]?.needsTruncation = false
            $0.partitions[tp]?.truncationEpoch = nil
            $0.changed.insert(tp)
        }
    }

    private func delay(_ tp: TopicPartition, because reason: String) {
        let until = BrokerClock.monotonicMs() + max(10, config.replicaFetchBackoffMs)
        state.withLockedValue {
            $0.partitions[tp]?.delayedUntilMs = until
            $0.changed.insert(tp)
        }
        logger.debug("fetch of \(tp) from \(source.brokerId) delayed: \(reason)")
    }

    private func markForTruncation(_ tp: TopicPartition) {
        state.withLockedValue {
            $0.partitions[tp]?.needsTruncation = true
            $0.changed.insert(tp)
        }
    }

    /// Brings `targets` up to date with the partitions marked changed (or with all of them when a
    /// rescan is due). A partition is fetchable when it needs no truncation, is not delayed, and this
    /// broker still follows `source` at its epoch; delayed ones stay marked until their time comes.
    private func refresh(_ targets: inout FetchTargets<Partition>, nowMs: Int64) {
        let (looks, rescan) = state.withLockedValue { state -> ([(TopicPartition, PartitionFetchState?)], Bool) in
            let rescan = state.rescanAll || nowMs >= targets.nextRescanMs
            let keys = rescan ? Set(state.partitions.keys).union(targets.partitions) : state.changed
            state.rescanAll = false
            state.changed = []
            return (keys.map { ($0, state.partitions[$0]) }, rescan)
        }
        if rescan { targets.nextRescanMs = nowMs + config.replicaFetchRescanIntervalMs }
        var stillDelayed: [TopicPartition] = []
        let maxBytes = config.replicaFetchMaxBytes
        for (tp, fetchState) in looks {
            guard let fetchState, !fetchState.needsTruncation else { targets.remove(tp); continue }
            if fetchState.delayedUntilMs > nowMs {
                targets.remove(tp)
                stillDelayed.append(tp)
                continue
            }
            guard let partition = replicaManager.partition(tp),
                  let position = partition.followerFetchPosition(leader: source.brokerId, epoch: fetchState.leaderEpoch) else {
                targets.remove(tp)
                continue
            }
            targets.set(tp, handle: partition, leaderEpoch: fetchState.leaderEpoch,
                        request: FetchPartitionRequest(fetchOffset: position.logEndOffset, logStartOffset: position.logStartOffset,
                                                       maxBytes: maxBytes, currentLeaderEpoch: fetchState.leaderEpoch))
        }
        if !stillDelayed.isEmpty { state.withLockedValue { $0.changed.formUnion(stillDelayed) } }
    }

    /// One fetch round. Returns false when nothing was fetchable (all delayed) or the leader
    /// refused the request as a whole.
    private func fetchOnce(_ connection: KafkaConnection, session: inout FetchSessionBuilder, targets: inout FetchTargets<Partition>) async throws -> Bool {
        refresh(&targets, nowMs: BrokerClock.monotonicMs())
        guard !targets.requests.isEmpty else { return false }
        let plan = session.plan(targets.requests)
        let named = Dictionary(grouping: plan.partitions.keys, by: \.topic)
        let forgotten = Dictionary(grouping: plan.forgotten, by: \.topic)
        let request = FetchRequest(replicaId: brokerId, maxWaitMs: config.replicaFetchWaitMaxMs, minBytes: config.replicaFetchMinBytes,
                                   maxBytes: config.replicaFetchResponseMaxBytes, isolationLevel: 0,
                                   sessionId: plan.sessionId, sessionEpoch: plan.epoch,
                                   topics: named.keys.sorted().map { topic in
                                       .init(topic: topic, partitions: named[topic]!.sorted().map { tp in
                                           let wanted = plan.partitions[tp]!
                                           return .init(partition: tp.partition, currentLeaderEpoch: wanted.currentLeaderEpoch,
                                                        fetchOffset: wanted.fetchOffset, logStartOffset: wanted.logStartOffset,
                                                        partitionMaxBytes: wanted.maxBytes)
                                       })
                                   },
                                   forgottenTopics: forgotten.keys.sorted().map { topic in
                                       .init(topic: topic, partitions: forgotten[topic]!.map(\.partition).sorted())
                                   })
        let timeout = config.replicaSocketTimeoutMs + Int64(config.replicaFetchWaitMaxMs)
        let response: FetchResponse = try await connection.send(request, version: 11, timeoutMs: timeout)
        session.received(plan, errorCode: response.errorCode, sessionId: response.sessionId)
        if response.errorCode != 0 {
            logger.debug("fetch session \(plan.sessionId) epoch \(plan.epoch) with leader \(source.brokerId): \(ErrorCode.describe(response.errorCode)); starting over with a full fetch")
            // A lost or out-of-step session is rebuilt at once; any other refusal backs off.
            return response.errorCode == ErrorCode.fetchSessionIdNotFound.rawValue
                || response.errorCode == ErrorCode.invalidFetchSessionEpoch.rawValue
        }
        // Every partition answered may have a new LEO or log start: look at it again next round.
        let answered = response.responses.flatMap { topic in topic.partitions.map { TopicPartition(topic.topic, $0.partitionIndex) } }
        if !answered.isEmpty { state.withLockedValue { $0.changed.formUnion(answered) } }
        // The appends and truncations write segment files: a storage thread waits for the disk, not
        // one of the few threads that run every task of the broker.
        let wanted = targets.fetched
        try await replicaManager.storage.run { [self, wanted] in try apply(response, wanted: wanted) }
        return true
    }

    /// Appends each partition's answer to its log, or truncates it, or backs off. Runs on a storage thread.
    private func apply(_ response: FetchResponse, wanted: [TopicPartition: FetchTargets<Partition>.Target]) throws {
        for topic in response.responses {
            for answer in topic.partitions {
                let tp = TopicPartition(topic.topic, answer.partitionIndex)
                guard let target = wanted[tp], target.handle.isFollowing(leader: source.brokerId, epoch: target.leaderEpoch) else { continue }
                let (partition, fetchOffset) = (target.handle, target.fetchOffset)
                switch ErrorCode(rawValue: answer.errorCode) ?? .unknownServerError {
                case .none:
                    do {
                        _ = try partition.appendAsFollower(answer.records, leaderHighWatermark: answer.highWatermark,
                                                           leaderLogStartOffset: answer.logStartOffset)
                    } catch {
                        logger.warning("cannot append fetched data for \(tp) at \(fetchOffset): \(error); truncating again")
                        markForTruncation(tp)
                    }
                case .offsetOutOfRange:
                    if fetchOffset < answer.logStartOffset || answer.logStartOffset < 0 {
                        let start = max(answer.logStartOffset, 0)
                        let (from, to) = try partition.resetAsFollower(at: start)
                        events.record("truncate", ["topic": tp.topic, "partition": Int(tp.partition), "from_offset": Int(from),
                                                   "to_offset": Int(to), "leader": Int(source.brokerId), "reason": "below the leader's log start"])
                    } else {
                        markForTruncation(tp)
                    }
                case .corruptMessage:
                    // The leader's copy is damaged at this offset: this replica cannot get past it
                    // from this leader, and retries after the backoff (as Kafka's fetcher does).
                    let first = state.withLockedValue { states -> Bool in
                        defer { states.partitions[tp]?.corruptAtOffset = fetchOffset }
                        return states.partitions[tp]?.corruptAtOffset != fetchOffset
                    }
                    if first {
                        logger.error("leader \(source.brokerId) answers CORRUPT_MESSAGE for \(tp) at offset \(fetchOffset): its log is damaged there; retrying every \(max(10, config.replicaFetchBackoffMs)) ms")
                    }
                    delay(tp, because: ErrorCode.describe(answer.errorCode))
                default:
                    delay(tp, because: ErrorCode.describe(answer.errorCode))
                }
            }
        }
    }
}

/// One `ReplicaFetcher` per leader this broker follows.
final class ReplicaFetcherManager: Sendable {
    private let fetchers = NIOLockedValueBox<[FetchSource: ReplicaFetcher]>([:])
    let brokerId: Int32
    let config: BrokerConfig
    let replicaManager: ReplicaManager
    let events: EventLog
    let logger: Logger
    let group: EventLoopGroup

    init(brokerId: Int32, config: BrokerConfig, replicaManager: ReplicaManager, events: EventLog, logger: Logger, group: EventLoopGroup) {
        self.brokerId = brokerId
        self.config = config
        self.replicaManager = replicaManager
        self.events = events
        self.logger = logger
        self.group = group
    }

    /// Moves `tp` to the fetcher of `source` (creating it), removing it from any other.
    func follow(_ tp: TopicPartition, leaderEpoch: Int32, source: FetchSource) {
        let (fetcher, created, emptied) = fetchers.withLockedValue { fetchers -> (ReplicaFetcher, Bool, [ReplicaFetcher]) in
            var emptied: [ReplicaFetcher] = []
            for (key, other) in fetchers where key != source {
                other.remove(tp)
                if other.isEmpty {
                    emptied.append(other)
                    fetchers[key] = nil
                }
            }
            if let existing = fetchers[source] { return (existing, false, emptied) }
            let fresh = ReplicaFetcher(source: source, brokerId: brokerId, config: config, replicaManager: replicaManager,
                                       events: events, logger: logger, group: group)
            fetchers[source] = fresh
            return (fresh, true, emptied)
        }
        for other in emptied { other.stop() }
        fetcher.add(tp, leaderEpoch: leaderEpoch)
        if created { fetcher.start() }
    }

    func unfollow(_ tp: TopicPartition) {
        let emptied = fetchers.withLockedValue { fetchers -> [ReplicaFetcher] in
            var emptied: [ReplicaFetcher] = []
            for (key, fetcher) in fetchers {
                fetcher.remove(tp)
                if fetcher.isEmpty {
                    emptied.append(fetcher)
                    fetchers[key] = nil
                }
            }
            return emptied
        }
        for fetcher in emptied { fetcher.stop() }
    }

    func shutdown() {
        let all = fetchers.withLockedValue { fetchers -> [ReplicaFetcher] in
            defer { fetchers = [:] }
            return Array(fetchers.values)
        }
        for fetcher in all { fetcher.stop() }
    }
}
