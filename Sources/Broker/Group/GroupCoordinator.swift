import Foundation
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Replication

/// The group coordinator of this broker: the consumer groups whose `__consumer_offsets` partition
/// this broker leads. It loads a partition's groups and offsets from the log when it becomes leader
/// (answering COORDINATOR_LOAD_IN_PROGRESS meanwhile), drops them when it stops leading
/// (NOT_COORDINATOR), runs Kafka's classic group protocol (`GroupStateMachine`), and stores offset
/// commits and group metadata in the partition, acknowledging a commit only once it is replicated as
/// with acks=all.
///
/// Owner: `state` (lock-guarded) holds the groups, offsets and waiting JoinGroup/SyncGroup promises;
/// promises are completed after the lock is released.
final class GroupCoordinator: Sendable {
    enum Load: Equatable { case loading, loaded }

    struct State {
        var partitions: [Int32: Load] = [:]
        var groups: [String: GroupState] = [:]
        var offsets: [String: [TopicPartition: OffsetsTopic.CommittedOffset]] = [:]
        var pendingJoins: [String: EventLoopPromise<JoinResult>] = [:]
        var pendingSyncs: [String: EventLoopPromise<SyncResult>] = [:]
        /// TxnOffsetCommit offsets per producer id and group, applied when its transaction commits.
        var transactionalOffsets: [Int64: [String: [TopicPartition: OffsetsTopic.CommittedOffset]]] = [:]
    }

    let config: BrokerConfig
    let replicaManager: ReplicaManager
    let logger: Logger
    let machine: GroupStateMachine
    /// Where replication waits and the timers run.
    let loop: any EventLoop
    let state = NIOLockedValueBox(State())
    private let ticker = NIOLockedValueBox<RepeatedTask?>(nil)

    init(config: BrokerConfig, replicaManager: ReplicaManager, loop: any EventLoop, logger: Logger) {
        self.loop = loop
        self.config = config
        self.replicaManager = replicaManager
        self.logger = logger
        machine = GroupStateMachine(minSessionTimeoutMs: config.groupMinSessionTimeoutMs, maxSessionTimeoutMs: config.groupMaxSessionTimeoutMs,
                                    initialRebalanceDelayMs: config.groupInitialRebalanceDelayMs)
    }

    var partitionCount: Int32 { config.offsetsTopicNumPartitions }

    func partition(for group: String) -> Int32 { OffsetsTopic.partition(for: group, partitions: partitionCount) }

    /// Session and rebalance timers: Kafka's purgatory timers, here one bounded periodic check.
    func start() {
        let task = loop.scheduleRepeatedTask(initialDelay: .milliseconds(100), delay: .milliseconds(100)) { [weak self] _ in self?.tick() }
        ticker.withLockedValue { $0 = task }
    }

    func stop() {
        ticker.withLockedValue { $0?.cancel() }
        failAllPending(.notCoordinator)
    }

    /// NOT_COORDINATOR or COORDINATOR_LOAD_IN_PROGRESS when this broker cannot serve `group` now.
    func ownership(of group: String) -> ErrorCode? {
        let index = partition(for: group)
        switch state.withLockedValue({ $0.partitions[index] }) {
        case .loaded: return nil
        case .loading: return .coordinatorLoadInProgress
        case nil: return .notCoordinator
        }
    }

    // MARK: Leadership of __consumer_offsets partitions

    func becameLeader(of partition: Int32) {
        let already = state.withLockedValue { state -> Bool in
            if state.partitions[partition] != nil { return true }
            state.partitions[partition] = .loading
            return false
        }
        guard !already else { return }
        Task.detached { [self] in await load(partition) }
    }

    func resigned(from partition: Int32) {
        let (joins, syncs) = state.withLockedValue { state -> ([EventLoopPromise<JoinResult>], [EventLoopPromise<SyncResult>]) in
            state.partitions[partition] = nil
            let doomed = state.groups.keys.filter { self.partition(for: $0) == partition }
            var joins: [EventLoopPromise<JoinResult>] = []
            var syncs: [EventLoopPromise<SyncResult>] = []
            for producerId in Array(state.transactionalOffsets.keys) {
                state.transactionalOffsets[producerId] = state.transactionalOffsets[producerId]?.filter { self.partition(for: $0.key) != partition }
                if state.transactionalOffsets[producerId]?.isEmpty == true { state.transactionalOffsets[producerId] = nil }
            }
            for group in doomed {
                state.groups[group] = nil
                state.offsets[group] = nil
                for key in state.pendingJoins.keys where key.hasPrefix(group + "\u{0}") { joins.append(state.pendingJoins.removeValue(forKey: key)!) }
                for key in state.pendingSyncs.keys where key.hasPrefix(group + "\u{0}") { syncs.append(state.pendingSyncs.removeValue(forKey: key)!) }
            }
            return (joins, syncs)
        }
        for promise in joins { promise.succeed(JoinResult(errorCode: .notCoordinator, memberId: "")) }
        for promise in syncs { promise.succeed(SyncResult(errorCode: .notCoordinator)) }
    }

    /// Replays the partition's records into groups and offsets. TxnOffsetCommit records (a
    /// producer's transactional batches) wait for their producer's marker: a commit marker makes
    /// them the group's offsets, an abort drops them, and those with no marker yet stay pending.
    private func load(_ index: Int32) async {
        let tp = TopicPartition(OffsetsTopic.name, index)
        let started = BrokerClock.monotonicMs()
        var groups: [String: OffsetsTopic.StoredGroup] = [:]
        var offsets: [String: [TopicPartition: OffsetsTopic.CommittedOffset]] = [:]
        var pending: [Int64: [String: [TopicPartition: OffsetsTopic.CommittedOffset]]] = [:]
        var records = 0
        if let partition = replicaManager.partition(tp) {
            var position = partition.logStartOffset
            let end = partition.logEndOffset
            while position < end {
                let from = position
                let read: ByteBuffer? = try? await replicaManager.storage.run {
                    partition.withLog { log, _ in try? log.read(from: from, maxBytes: 1 << 20, maxOffset: end, minOneBatch: true).records }
                }
                guard let bytes = read, bytes.readableBytes > 0, let split = try? RecordBatches.split(bytes), !split.batches.isEmpty else { break }
                for batch in split.batches {
                    let header = batch.header
                    if header.isControl {
                        if header.isTransactional, header.hasProducerId, let marker = try? TransactionMarker.decode(batch: batch.bytes) {
                            for (group, committed) in pending.removeValue(forKey: header.producerId) ?? [:] where marker.type == .commit {
                                offsets[group, default: [:]].merge(committed) { _, new in new }
                            }
                        }
                        position = header.nextOffset
                        continue
                    }
                    let producer: Int64? = header.isTransactional && header.hasProducerId ? header.producerId : nil
                    for record in (try? RecordBatches.records(of: batch)) ?? [] {
                        records += 1
                        switch try? OffsetsTopic.decode(key: record.key, value: record.value) {
                        case .offset(let group, let partition, let committed?)? where producer != nil:
                            pending[producer!, default: [:]][group, default: [:]][partition] = committed
                        case .offset(let group, let partition, let committed)?:
                            offsets[group, default: [:]][partition] = committed
                        case .group(let group, let stored)?:
                            groups[group] = stored
                        case nil:
                            break
                        }
                    }
                    position = batch.header.nextOffset
                }
            }
        }
        let now = BrokerClock.monotonicMs()
        state.withLockedValue { state in
            guard state.partitions[index] == .loading else { return }
            for (group, stored) in groups { state.groups[group] = Self.restore(group, stored, nowMs: now) }
            for (group, committed) in offsets where !committed.isEmpty { state.offsets[group] = committed }
            for (producerId, groups) in pending {
                for (group, committed) in groups { state.transactionalOffsets[producerId, default: [:]][group] = committed }
            }
            state.partitions[index] = .loaded
        }
        logger.info("loaded \(OffsetsTopic.name)-\(index): \(groups.count) group(s), \(records) record(s) in \(now - started) ms")
    }

    /// A group read back from the log: members resume with fresh session timers, as in Kafka.
    static func restore(_ groupId: String, _ stored: OffsetsTopic.StoredGroup, nowMs: Int64) -> GroupState {
        var group = GroupState(groupId: groupId, nowMs: nowMs)
        group.generationId = stored.generationId
        group.protocolType = stored.protocolType.isEmpty ? nil : stored.protocolType
        group.protocolName = stored.protocolName
        group.leaderId = stored.leaderId
        group.members = stored.members.map { member in
            GroupState.Member(memberId: member.memberId, groupInstanceId: member.groupInstanceId, clientId: member.clientId,
                              clientHost: member.clientHost, sessionTimeoutMs: member.sessionTimeoutMs, rebalanceTimeoutMs: member.rebalanceTimeoutMs,
                              protocolType: stored.protocolType,
                              protocols: [.init(name: stored.protocolName ?? "", metadata: member.subscription)],
                              assignment: member.assignment, lastHeartbeatMs: nowMs)
        }
        group.phase = group.members.isEmpty ? .empty : .stable
        return group
    }

    static func stored(_ group: GroupState) -> OffsetsTopic.StoredGroup {
        OffsetsTopic.StoredGroup(protocolType: group.protocolType ?? "", generationId: group.generationId, protocolName: group.protocolName,
                                 leaderId: group.leaderId, stateTimestampMs: BrokerClock.wallMs(),
                                 members: group.members.map { member in
                                     OffsetsTopic.StoredMember(memberId: member.memberId, groupInstanceId: member.groupInstanceId,
                                                               clientId: member.clientId, clientHost: member.clientHost,
                                                               rebalanceTimeoutMs: member.rebalanceTimeoutMs, sessionTimeoutMs: member.sessionTimeoutMs,
                                                               subscription: member.metadata(for: group.protocolName ?? "") ?? ByteBuffer(),
                                                               assignment: member.assignment)
                                 })
    }

    // MARK: Time

    private func tick() {
        let now = BrokerClock.monotonicMs()
        var outputs: [(String, [GroupOutput])] = []
        state.withLockedValue { state in
            for key in Array(state.groups.keys) {
                guard var group = state.groups[key], group.phase != .empty || !group.pendingMembers.isEmpty else { continue }
                let produced = machine.tick(&group, nowMs: now)
                state.groups[key] = group
                if !produced.isEmpty { outputs.append((key, produced)) }
            }
        }
        for (group, produced) in outputs { deliver(produced, group: group) }
    }

    // MARK: Outputs

    /// Completes waiting joins and syncs, and stores group metadata when it changed.
    func deliver(_ outputs: [GroupOutput], group groupId: String) {
        var persist = false
        for output in outputs {
            switch output {
            case .joinResponse(let memberId, let result):
                state.withLockedValue { $0.pendingJoins.removeValue(forKey: Self.key(groupId, memberId)) }?.succeed(result)
            case .syncResponse(let memberId, let result):
                state.withLockedValue { $0.pendingSyncs.removeValue(forKey: Self.key(groupId, memberId)) }?.succeed(result)
            case .persist:
                persist = true
            }
        }
        if persist, let group = state.withLockedValue({ $0.groups[groupId] }) {
            let value = OffsetsTopic.groupValue(Self.stored(group))
            Task { _ = await self.append([(OffsetsTopic.groupKey(groupId), value)], group: groupId) }
        }
    }

    static func key(_ group: String, _ member: String) -> String { group + "\u{0}" + member }

    private func failAllPending(_ code: ErrorCode) {
        let (joins, syncs) = state.withLockedValue { state -> ([EventLoopPromise<JoinResult>], [EventLoopPromise<SyncResult>]) in
            defer {
                state.pendingJoins = [:]
                state.pendingSyncs = [:]
            }
            return (Array(state.pendingJoins.values), Array(state.pendingSyncs.values))
        }
        for promise in joins { promise.succeed(JoinResult(errorCode: code, memberId: "")) }
        for promise in syncs { promise.succeed(SyncResult(errorCode: code)) }
    }

    // MARK: Writing to __consumer_offsets

    /// Appends records to the group's partition with acks=all semantics and waits (bounded by
    /// `offsets.commit.timeout.ms`) until they are replicated. Returns the error to answer with.
    /// `transactional` makes the batch the producer's transactional batch (TxnOffsetCommit): no
    /// sequence number, as Kafka's coordinator writes it; the partition refuses it from an epoch
    /// its markers have fenced (INVALID_PRODUCER_EPOCH).
    func append(_ records: [(key: ByteBuffer, value: ByteBuffer?)], group: String,
                transactional: (producerId: Int64, epoch: Int16)? = nil) async -> ErrorCode {
        let tp = TopicPartition(OffsetsTopic.name, partition(for: group))
        guard let partition = replicaManager.partition(tp) else { return .notCoordinator }
        let now = BrokerClock.wallMs()
        var builder = RecordBatchBuilder(producerId: transactional?.producerId ?? -1, producerEpoch: transactional?.epoch ?? -1, baseSequence: -1)
        if transactional != nil { builder.attributes = TransactionMarker.transactionalAttribute }
        let batch = builder.build(records.map { .init(key: $0.key, value: $0.value, timestampMs: now) })
        let appended = try? await replicaManager.storage.run { partition.appendAsLeader([batch], requiredAcks: -1, nowMs: now) }
        switch appended ?? .rejected(.kafkaStorageError, "the storage threads are stopped") {
        case .rejected(let code, _):
            // Kafka maps storage-side failures of offset writes to coordinator errors the client retries.
            switch code {
            case .notLeaderOrFollower: return .notCoordinator
            case .notEnoughReplicas, .notEnoughReplicasAfterAppend, .requestTimedOut: return .coordinatorNotAvailable
            case .messageTooLarge, .recordListTooLarge: return .invalidCommitOffsetSize
            case .invalidProducerEpoch: return .invalidProducerEpoch
            default: return .unknownServerError
            }
        case .appended(_, let last, _, _):
            let outcome = try? await DelayedProduce.wait(for: [(partition, last + 1)], timeoutMs: config.offsetsCommitTimeoutMs, eventLoop: loop,
                                                             storage: replicaManager.storage).get()
            switch outcome?[tp] ?? .requestTimedOut {
            case .none: return .none
            case .notLeaderOrFollower: return .notCoordinator
            default: return .coordinatorNotAvailable
            }
        }
    }
}
