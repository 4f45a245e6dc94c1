import Foundation
import KafkaProtocol
import Logging
import LogStore
import NIOConcurrencyHelpers
import NIOCore
import Replication

/// Writes a proposed ISR to the coordination store, conditional on the version the leader holds.
/// Standalone brokers have single-replica partitions and never propose a change.
public protocol IsrWriter: Sendable {
    /// Completes with the node's new version, or `.rejected(currentVersion)` when the version did not
    /// match (the leader was deposed), or throws when the store could not be reached.
    func writeIsr(_ leadership: PartitionLeadership) async throws -> IsrWriteResult
}

public enum IsrWriteResult: Sendable, Equatable {
    case committed(newVersion: Int32)
    case rejected(currentVersion: Int32?)
}

/// The partitions this broker hosts, and the rules that tie them to the cluster: applying the
/// controller's leadership decisions, carrying out replication directives, periodic ISR checks,
/// HW checkpoints, retention and flushes.
///
/// Owner: `partitions` is guarded by its lock and replaced copy-on-write; each `Partition` guards itself.
/// Every call that touches a log's files runs on `storage`'s threads, never on an event loop.
public final class ReplicaManager: Sendable {
    public let brokerId: Int32
    let config: BrokerConfig
    let logger: Logger
    let events: EventLog
    let logDirectory: LogDirectory
    private let partitions = NIOLockedValueBox<[TopicPartition: Partition]>([:])
    /// Held across a leadership decision and its application (`applyLeadership`, `stopReplica`), so
    /// the decision is taken on the state it changes: two decisions for one partition never both
    /// judge the same old state.
    private let leadershipLock = NIOLock()
    private let isrWriter = NIOLockedValueBox<(any IsrWriter)?>(nil)
    /// Told when this broker starts or stops leading a partition (the group coordinator follows
    /// the partitions of __consumer_offsets this way).
    private let leadershipListener = NIOLockedValueBox<(@Sendable (TopicPartition, Bool) -> Void)?>(nil)
    let metrics: BrokerMetrics
    /// The threads that do the partitions' file I/O for request handlers, fetchers and timers.
    public let storage: StorageIO

    public init(config: BrokerConfig, logger: Logger, events: EventLog, metrics: BrokerMetrics, storage: StorageIO = .shared) throws {
        self.brokerId = config.brokerId
        self.storage = storage
        self.config = config
        self.logger = logger
        self.events = events
        self.metrics = metrics
        self.logDirectory = try LogDirectory(path: config.logDir, logger: logger, seededLossyRecovery: config.seededBugs.contains(.lossyRecovery))
    }

    public func setIsrWriter(_ writer: any IsrWriter) { isrWriter.withLockedValue { $0 = writer } }

    func setLeadershipListener(_ listener: @escaping @Sendable (TopicPartition, Bool) -> Void) {
        leadershipListener.withLockedValue { $0 = listener }
    }

    private func leadershipChanged(_ tp: TopicPartition, leading: Bool) {
        leadershipListener.withLockedValue { $0 }?(tp, leading)
    }

    public func partition(_ topicPartition: TopicPartition) -> Partition? {
        partitions.withLockedValue { $0[topicPartition] }
    }

    public var allPartitions: [Partition] { partitions.withLockedValue { Array($0.values) } }

    /// Topic-partitions that have a log directory on disk, for startup.
    public func partitionsOnDisk() throws -> [TopicPartition] { try logDirectory.partitions() }

    // MARK: Leadership

    /// Applies the controller's decision for partitions with a replica here: opens the log if needed,
    /// then becomes leader or follower. Returns the partitions that became followers (their fetchers
    /// must start) with the leader to fetch from.
    @discardableResult
    public func applyLeadership(_ decisions: [PartitionLeadership], topicConfigs: [String: [String: String]]) -> [PartitionLeadership] {
        leadershipLock.withLock { applyLeadershipLocked(decisions, topicConfigs: topicConfigs) }
    }

    private func applyLeadershipLocked(_ decisions: [PartitionLeadership], topicConfigs: [String: [String: String]]) -> [PartitionLeadership] {
        var followers: [PartitionLeadership] = []
        let now = BrokerClock.monotonicMs()
        for decision in decisions where decision.replicas.contains(brokerId) {
            let topicConfig = TopicConfig(overrides: topicConfigs[decision.topicPartition.topic] ?? [:], broker: config)
            let partition: Partition
            do {
                partition = try getOrCreatePartition(decision.topicPartition, config: topicConfig)
            } catch {
                logger.error("cannot open the log of \(decision.topicPartition): \(error)")
                continue
            }
            let current = partition.replicaState
            let tp = decision.topicPartition
            switch current.leadershipChange(leader: decision.leader, leaderEpoch: decision.leaderEpoch, isr: decision.isr,
                                            replicas: decision.replicas, stateVersion: decision.stateVersion) {
            case .becomeLeader(let controllerChangedIsr):
                if controllerChangedIsr {
                    recordControllerIsrChange(tp, old: current.isr, new: decision.isr, epoch: decision.leaderEpoch,
                                              stateVersion: decision.stateVersion, highWatermark: current.highWatermark)
                }
                partition.becomeLeader(decision, nowMs: now)
            case .becomeFollower:
                partition.becomeFollower(decision)
                followers.append(decision)
            case .staleEpoch:
                logger.info("ignoring leader epoch \(decision.leaderEpoch) for \(tp): already at \(current.leaderEpoch)")
            case .leaderOutsideIsr:
                logger.error("ignoring leadership of \(tp) at epoch \(decision.leaderEpoch): ISR \(decision.isr) does not include this broker or is not within replicas \(decision.replicas)")
            case .demotionIgnored:
                logger.warning("seeded bug stale-leader-keeps-serving: ignoring leader \(decision.leader) at epoch \(decision.leaderEpoch) for \(tp)")
            case .unchanged, .noLeader:
                break
            }
        }
        return followers
    }

    /// The controller changed the ISR of a partition this broker keeps leading (it removed a dead
    /// broker, or a controlled shutdown): the same shrink or expand a leader would report itself.
    private func recordControllerIsrChange(_ tp: TopicPartition, old: [Int32], new: [Int32], epoch: Int32, stateVersion: Int32,
                                           highWatermark: Int64) {
        let shrink = new.count < old.count
        if shrink { metrics.isrShrinks.add(1) } else { metrics.isrExpands.add(1) }
        let reason = "controller set the ISR at leader epoch \(epoch)"
        logger.info("ISR of \(tp) \(shrink ? "shrank" : "expanded") from \(old) to \(new): \(reason)")
        events.record(shrink ? "isr_shrink" : "isr_expand", [
            "topic": tp.topic, "partition": Int(tp.partition), "old_isr": old.map(Int.init), "new_isr": new.map(Int.init),
            "reason": reason, "leader_epoch": Int(epoch), "state_version": Int(stateVersion), "hw": Int(highWatermark),
        ])
    }

    /// A topic's overrides changed (AlterConfigs): every hosted partition of it takes the new
    /// settings at once, as Kafka's dynamic topic configs do.
    public func updateTopicConfig(_ topic: String, overrides: [String: String]) {
        let topicConfig = TopicConfig(overrides: overrides, broker: config)
        let hosted = partitions.withLockedValue { $0.values.filter { $0.topicPartition.topic == topic } }
        for partition in hosted where partition.topicConfig != topicConfig { partition.updateConfig(topicConfig) }
    }

    func getOrCreatePartition(_ topicPartition: TopicPartition, config topicConfig: TopicConfig) throws -> Partition {
        if let existing = partition(topicPartition) {
            if existing.topicConfig != topicConfig { existing.updateConfig(topicConfig) }
            return existing
        }
        let log = try logDirectory.open(topicPartition, config: topicConfig.log)
        let created = Partition(topicPartition: topicPartition, log: log, brokerId: brokerId, config: topicConfig,
                                lagTimeMaxMs: config.replicaLagTimeMaxMs, seededBugs: config.seededBugs) { [weak self] partition, directives in
            self?.handle(directives, for: partition)
        }
        return partitions.withLockedValue { map in
            if let raced = map[topicPartition] { return raced }
            map[topicPartition] = created
            return created
        }
    }

    /// Stops hosting a partition; with `delete` its log directory is removed too.
    public func stopReplica(_ topicPartition: TopicPartition, delete: Bool) {
        leadershipLock.withLock { stopReplicaLocked(topicPartition, delete: delete) }
    }

    private func stopReplicaLocked(_ topicPartition: TopicPartition, delete: Bool) {
        guard let partition = partitions.withLockedValue({ $0.removeValue(forKey: topicPartition) }) else {
            if delete { try? logDirectory.delete(topicPartition) }
            return
        }
        if partition.replicaState.role == .leader { leadershipChanged(topicPartition, leading: false) }
        partition.close()
        if delete {
            do { try logDirectory.delete(topicPartition) } catch { logger.error("cannot delete \(topicPartition): \(error)") }
        }
    }

    // MARK: Directives

    func handle(_ directives: [ReplicaDirective], for partition: Partition) {
        let tp = partition.topicPartition
        for directive in directives {
            switch directive {
            case .becameLeader(let epoch, let isr, let stateVersion):
                logger.info("became leader of \(tp) at epoch \(epoch) with ISR \(isr)")
                events.record("became_leader", ["topic": tp.topic, "partition": Int(tp.partition), "leader_epoch": Int(epoch),
                                                "isr": isr.map(Int.init), "state_version": Int(stateVersion)])
                leadershipChanged(tp, leading: true)
            case .becameFollower(let leader, let epoch, let wasLeader):
                logger.info("became follower of \(tp) under leader \(leader) at epoch \(epoch)")
                if wasLeader {
                    events.record("resigned_leadership", ["topic": tp.topic, "partition": Int(tp.partition), "leader_epoch": Int(epoch)])
                }
                events.record("became_follower", ["topic": tp.topic, "partition": Int(tp.partition), "leader_epoch": Int(epoch),
                                                  "leader": Int(leader)])
                if wasLeader { leadershipChanged(tp, leading: false) }
            case .highWatermarkAdvanced:
                break
            case .proposeIsr(let isr, let expectedVersion, _):
                proposeIsr(isr, expectedVersion: expectedVersion, partition: partition)
            case .isrChanged(let old, let new, let reason, let epoch, let stateVersion, let highWatermark):
                let shrink = new.count < old.count
                if shrink { metrics.isrShrinks.add(1) } else { metrics.isrExpands.add(1) }
                logger.info("ISR of \(tp) \(shrink ? "shrank" : "expanded") from \(old) to \(new): \(reason)")
                events.record(shrink ? "isr_shrink" : "isr_expand", [
                    "topic": tp.topic, "partition": Int(tp.partition), "old_isr": old.map(Int.init), "new_isr": new.map(Int.init),
                    "reason": reason.description, "leader_epoch": Int(epoch),
                    "state_version": Int(stateVersion), "hw": Int(highWatermark),
                ])
            case .underMinIsr(let isr):
                logger.warning("\(tp) is under min.insync.replicas with ISR \(isr)")
            case .storageError(let message):
                logger.error("\(tp): \(message)")
            case .fenced(let expected, let actual):
                logger.warning("ISR write for \(tp) fenced: expected version \(expected), found \(actual.map(String.init) ?? "none"); no longer acting as leader")
                events.record("fenced_write", ["topic": tp.topic, "partition": Int(tp.partition),
                                               "expected_version": Int(expected), "actual_version": actual.map(Int.init) ?? -1])
                leadershipChanged(tp, leading: false)
            }
        }
    }

    private func proposeIsr(_ isr: [Int32], expectedVersion: Int32, partition: Partition) {
        guard let writer = isrWriter.withLockedValue({ $0 }) else {
            partition.isrWriteAbandoned()
            return
        }
        let state = partition.replicaState
        let leadership = PartitionLeadership(topicPartition: partition.topicPartition, leader: brokerId, leaderEpoch: state.leaderEpoch,
                                             isr: isr, replicas: state.replicas, controllerEpoch: -1, stateVersion: expectedVersion)
        let logger = self.logger
        Task {
            do {
                switch try await writer.writeIsr(leadership) {
                case .committed(let version): partition.isrCommitted(isr, newVersion: version)
                case .rejected(let current): partition.isrRejected(currentVersion: current)
                }
            } catch {
                logger.warning("ISR write for \(partition.topicPartition) failed: \(error); will retry")
                partition.isrWriteAbandoned()
            }
        }
    }

    // MARK: Periodic work

    public func tick() {
        let now = BrokerClock.monotonicMs()
        for partition in allPartitions { partition.tick(nowMs: now) }
    }

    public func checkpointHighWatermarks() {
        for partition in allPartitions { partition.checkpointHighWatermark() }
    }

    public func applyRetention() {
        let now = BrokerClock.wallMs()
        for partition in allPartitions {
            let deleted = partition.applyRetention(nowMs: now)
            if deleted > 0 { logger.info("retention deleted \(deleted) segment(s) of \(partition.topicPartition)") }
        }
    }

    public func flushDue() {
        let now = BrokerClock.wallMs()
        for partition in allPartitions { partition.maybeFlush(nowMs: now) }
    }

    /// Threads closing partitions at shutdown. Closing a log fsyncs its segments and writes its
    /// checkpoints and clean-shutdown marker, each fsynced with its directory: about ten fsyncs per
    /// partition, which one after another made SIGTERM of a broker with thousands of partitions take
    /// minutes. fsyncs of different files overlap well, so a few threads share the work.
    static let shutdownThreads = 8

    public func shutdown() {
        let all = partitions.withLockedValue { map -> [Partition] in
            let values = Array(map.values)
            map = [:]
            return values
        }
        let next = NIOLockedValueBox(0)
        let done = DispatchGroup()
        for _ in 0..<min(Self.shutdownThreads, all.count) {
            done.enter()
            Thread.detachNewThread {
                defer { done.leave() }
                while true {
                    let index = next.withLockedValue { value -> Int in
                        defer { value += 1 }
                        return value
                    }
                    guard index < all.count else { return }
                    all[index].close()
                }
            }
        }
        done.wait()
    }
}
