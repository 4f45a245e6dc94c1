import KafkaProtocol
import NIOConcurrencyHelpers
import NIOCore

extension RequestRouter {
    /// Fetch: read every requested partition (consumers up to the HW, followers up to the LEO). If
    /// fewer than `minBytes` are available and nothing failed, wait — woken by appends and HW
    /// advances, bounded by `maxWaitMs` — and read again. Every read runs on a storage thread (it
    /// preads segment files under the partition's lock); the answer comes back on the connection's
    /// loop. Fetch v7+ may use a fetch session (KIP-227, `FetchSessions`): an incremental request
    /// names only what changed, the whole session is read, and only partitions with news are answered.
    func handleFetch(_ request: FetchRequest, _ context: RequestContext) -> EventLoopFuture<any KafkaMessage> {
        broker.metrics.fetchRequests.add(1)
        guard FetchSessions.usesSessions(request, version: context.version) else { return fetch(request, context) }
        let (resolution, effective) = fetchSessions.resolve(request, nowMs: BrokerClock.monotonicMs())
        if resolution.errorCode != .none {
            return context.eventLoop.makeSucceededFuture(FetchResponse(errorCode: resolution.errorCode.rawValue, responses: []))
        }
        let sessions = fetchSessions
        let waiters = sessions.waiters(for: resolution, replicaId: request.replicaId)
        return fetch(effective, context, sessionWaiters: waiters).map { response in
            guard let response = response as? FetchResponse else { return response }
            return sessions.answer(response, for: resolution)
        }
    }

    private func fetch(_ request: FetchRequest, _ context: RequestContext, sessionWaiters: FetchSessionWaiters? = nil) -> EventLoopFuture<any KafkaMessage> {
        let version = context.version
        let partitions = request.maxWaitMs <= 0 ? [] : request.topics.flatMap { topic in
            topic.partitions.compactMap { broker.replicaManager.partition(TopicPartition(topic.topic, $0.partition)) }
        }
        let storage = broker.replicaManager.storage
        if partitions.isEmpty {
            return storage.run(on: context.eventLoop) { [self] in
                readFetch(request, version: version, recordFollowerFetch: true).response
            }.map { $0 as any KafkaMessage }
        }
        // The waiters are registered before the first read, so a change after it always wakes the
        // fetch and the read need not be repeated. Only the first read records where a follower is.
        let recorded = NIOLockedValueBox(false)
        return DelayedFetch.wait(on: partitions, sessionWaiters: sessionWaiters, timeoutMs: Int64(request.maxWaitMs),
                                 eventLoop: context.eventLoop, storage: storage) { [self] in
            let first = recorded.withLockedValue { recorded in
                defer { recorded = true }
                return !recorded
            }
            let read = readFetch(request, version: version, recordFollowerFetch: first)
            return (read.response, read.bytes >= Int(max(1, request.minBytes)) || read.hasError)
        } final: { [self] in
            readFetch(request, version: version, recordFollowerFetch: false).response
        }
    }

    struct FetchRead {
        var response: FetchResponse
        var bytes: Int
        var hasError: Bool
    }

    func readFetch(_ request: FetchRequest, version: Int16, recordFollowerFetch: Bool) -> FetchRead {
        var budget = Int(request.maxBytes <= 0 ? Int32.max : request.maxBytes)
        var total = 0
        var hasError = false
        let now = BrokerClock.monotonicMs()
        let topics = request.topics.map { topic in
            FetchResponse.Topic(topic: topic.topic, partitions: topic.partitions.map { wanted -> FetchResponse.Partition in
                func failed(_ code: ErrorCode) -> FetchResponse.Partition {
                    hasError = true
                    return FetchResponse.Partition(partitionIndex: wanted.partition, errorCode: code.rawValue,
                                                   abortedTransactions: version >= 4 ? nil : nil)
                }
                if version < SupportedApis.firstRecordBatchFetchVersion { return failed(.unsupportedForMessageFormat) }
                let tp = TopicPartition(topic.topic, wanted.partition)
                guard let partition = broker.replicaManager.partition(tp) else {
                    return failed(missingPartitionError(tp))
                }
                let maxBytes = min(Int(max(0, wanted.partitionMaxBytes)), budget)
                let result = partition.read(fetchOffset: wanted.fetchOffset, maxBytes: maxBytes, replicaId: request.replicaId,
                                            currentLeaderEpoch: wanted.currentLeaderEpoch, minOneBatch: total == 0,
                                            recordFollowerFetch: recordFollowerFetch, readCommitted: request.isolationLevel == 1, nowMs: now)
                if result.errorCode != .none { hasError = true }
                total += result.records.readableBytes
                budget = max(0, budget - result.records.readableBytes)
                return FetchResponse.Partition(partitionIndex: wanted.partition, errorCode: result.errorCode.rawValue,
                                               highWatermark: result.highWatermark, lastStableOffset: result.lastStableOffset,
                                               logStartOffset: result.logStartOffset,
                                               abortedTransactions: result.abortedTransactions?.map { .init(producerId: $0.producerId, firstOffset: $0.firstOffset) },
                                               preferredReadReplica: -1, records: result.records)
            })
        }
        return FetchRead(response: FetchResponse(responses: topics), bytes: total, hasError: hasError)
    }
}

/// A fetch waiting for data. The first attempt runs once it is registered; each wake-up re-runs
/// `attempt`; the first answer it calls enough completes it; at `timeoutMs` `final` builds the
/// answer from whatever is there — unless no partition changed since the last attempt, whose
/// answer is then still true and is sent as it is (an idle follower's fetch of a thousand
/// partitions reads them once, not twice). `attempt` and `final` read the logs, so they run on the
/// storage threads; only the timer lives on the event loop. A follower's session fetch waits on
/// the session's kept waiters (`FetchSessionWaiters`) instead of registering its own.
///
/// Owner: `state` (lock-guarded); `attempt` and `final` run outside the lock.
final class DelayedFetch: Sendable {
    private struct State {
        var completed = false
        var waiters: [(Partition, Int)] = []
        /// The session's kept waiters and this fetch's place among them.
        var sessionWait: (waiters: FetchSessionWaiters, id: Int)?
        var timeout: Scheduled<Void>?
        var checking = false
        var recheck = false
        /// Wake-ups so far: a partition changed each time.
        var changes = 0
        /// The last attempt's answer, and `changes` when it began.
        var lastAttempt: (response: FetchResponse, changes: Int)?
    }

    private let state = NIOLockedValueBox(State())
    private let promise: EventLoopPromise<any KafkaMessage>
    private let attempt: @Sendable () -> (response: FetchResponse, enough: Bool)
    private let final: @Sendable () -> FetchResponse

    private init(promise: EventLoopPromise<any KafkaMessage>, attempt: @escaping @Sendable () -> (response: FetchResponse, enough: Bool),
                 final: @escaping @Sendable () -> FetchResponse) {
        self.promise = promise
        self.attempt = attempt
        self.final = final
    }

    /// Registers on every partition (or on the session's kept waiters), then makes the first attempt.
    static func wait(on partitions: [Partition], sessionWaiters: FetchSessionWaiters? = nil, timeoutMs: Int64, eventLoop: any EventLoop, storage: StorageIO,
                     attempt: @escaping @Sendable () -> (response: FetchResponse, enough: Bool),
                     final: @escaping @Sendable () -> FetchResponse) -> EventLoopFuture<any KafkaMessage> {
        let promise = eventLoop.makePromise(of: (any KafkaMessage).self)
        let operation = DelayedFetch(promise: promise, attempt: attempt, final: final)
        let changed: @Sendable () -> Void = { [weak operation] in
            guard let operation else { return }
            operation.state.withLockedValue { $0.changes += 1 }
            storage.execute { operation.wake() }
        }
        var waiters: [(Partition, Int)] = []
        var sessionWait: (waiters: FetchSessionWaiters, id: Int)?
        if let sessionWaiters {
            sessionWaiters.watch(partitions)
            sessionWait = (sessionWaiters, sessionWaiters.wait(changed))
        } else {
            waiters = partitions.map { partition in (partition, partition.addWaiter(changed)) }
        }
        let timeout = eventLoop.scheduleTask(in: .milliseconds(timeoutMs)) { storage.execute { operation.expire() } }
        // A change may complete the fetch before its registrations are stored: then they are undone here.
        let completedAlready = operation.state.withLockedValue { state -> Bool in
            state.waiters = waiters
            state.sessionWait = sessionWait
            state.timeout = timeout
            return state.completed
        }
        if completedAlready {
            timeout.cancel()
            for (partition, id) in waiters { partition.removeWaiter(id) }
            if let (waiters, id) = sessionWait { waiters.stopWaiting(id) }
        }
        storage.execute { operation.wake() }
        return promise.futureResult
    }

    /// Re-reads; coalesces wake-ups that arrive while a read is running into one more read.
    private func wake() {
        let proceed = state.withLockedValue { state -> Bool in
            if state.completed { return false }
            if state.checking { state.recheck = true; return false }
            state.checking = true
            return true
        }
        guard proceed else { return }
        while true {
            let changes = state.withLockedValue { $0.changes }
            let (response, enough) = attempt()
            if enough {
                complete(with: response)
                return
            }
            let again = state.withLockedValue { state -> Bool in
                if state.recheck && !state.completed { state.recheck = false; return true }
                state.checking = false
                state.lastAttempt = (response, changes)
                return false
            }
            if !again { return }
        }
    }

    private func expire() {
        let kept = state.withLockedValue { state -> FetchResponse? in
            guard !state.checking, let last = state.lastAttempt, last.changes == state.changes else { return nil }
            return last.response
        }
        complete(with: kept ?? final())
    }

    private func complete(with response: FetchResponse) {
        let cleanup = state.withLockedValue { state -> (waiters: [(Partition, Int)], sessionWait: (waiters: FetchSessionWaiters, id: Int)?, timeout: Scheduled<Void>?)? in
            guard !state.completed else { return nil }
            state.completed = true
            return (state.waiters, state.sessionWait, state.timeout)
        }
        guard let cleanup else { return }
        cleanup.timeout?.cancel()
        for (partition, id) in cleanup.waiters { partition.removeWaiter(id) }
        if let (waiters, id) = cleanup.sessionWait { waiters.stopWaiting(id) }
        promise.succeed(response)
    }
}
