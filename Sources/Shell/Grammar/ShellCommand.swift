import KafkaProtocol
import Lab
import Verification

/// One parsed shell line. Faults keep the fault grammar shared with `samsa fault` and playbook steps,
/// and are parsed here once: the lab receives the `FaultCommand`, not the line.
public enum ShellCommand: Equatable, Sendable {
    /// `brokers` nil: 3, or fewer when the launcher supports fewer. `launcher` nil: the built-in `samsa`.
    case clusterUp(brokers: Int?, config: [Property], directory: String?, trackDurability: Bool = false, basePort: Int? = nil,
                   launcher: String? = nil)
    case clusterDown
    case clusterStatus
    case attach(directory: String)
    case topicsList
    case topicsCreate(name: String, partitions: Int, replicationFactor: Int, config: [Property])
    case topicsDescribe(name: String?)
    case topicsDelete(name: String)
    case topicsAlter(name: String, partitions: Int)
    case topicsDeleteRecords(name: String, partition: Int32, offset: Int64)
    case configsDescribe(topic: String)
    case configsAlter(topic: String, set: [Property], delete: [String])
    case clusterDescribe
    case clusterLogDirs(topic: String?)
    case topicsElectLeaders(topic: String?, partition: Int32?, type: ElectionType = .preferred)
    /// `replicas` nil cancels the partition's move.
    case topicsReassign(topic: String, partition: Int32, replicas: [Int32]?)
    case topicsReassignments(topic: String?)
    case produce(Produce)
    case consume(Consume)
    case groupsList
    case groupsDescribe(group: String?)
    case transactionsList
    case transactionsDescribe(transactionalId: String)
    case fault(FaultCommand)
    case watch(WatchKind, intervalMs: Int)
    case check
    case report(directory: String?)
    case run(playbook: String)
    case source(file: String)
    case help(topic: String?)
    case exit(keep: Bool)

    public struct Property: Equatable, Sendable {
        public var key: String
        public var value: String
    }

    public struct Produce: Equatable, Sendable {
        public var topic: String
        /// nil: the lines typed next (or piped), up to a line holding only `.`.
        public var count: Int?
        public var acks = "all"
        public var idempotence = false
        public var rate: Double = 0
        public var keys = 0
        public var partition: Int32?
        public var compression = "none"
        /// A transactional producer: `txnRecords` records per transaction, `abortRate` of them aborted.
        public var transactional = false
        public var txnRecords = 10
        public var abortRate: Double = 0
    }

    public struct Consume: Equatable, Sendable {
        public var topic: String
        public var group: String?
        /// Stop after this many records; nil tails until Ctrl-C.
        public var count: Int?
        /// Stop after this many seconds (with or without --count).
        public var timeoutSeconds: Double?
        public var isolation: IsolationLevel = .readUncommitted
    }

    public enum WatchKind: String, CaseIterable, Sendable {
        case isr, lag, leaders
    }
}
