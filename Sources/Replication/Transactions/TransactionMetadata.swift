import KafkaProtocol

/// A transaction's state at its coordinator (Kafka's `TransactionState`), with Kafka's numbering,
/// which is also the `transaction_status` byte of a `__transaction_state` record.
public enum TransactionState: Int8, Sendable, CaseIterable, CustomStringConvertible {
    /// No transaction in progress (a new transactional id, or one whose producer was just initialised).
    case empty = 0
    /// Partitions or offsets were added; records may be in the data logs.
    case ongoing = 1
    /// EndTxn(commit) was accepted and recorded; commit markers are being written.
    case prepareCommit = 2
    /// EndTxn(abort), a timeout or a fencing InitProducerId; abort markers are being written.
    case prepareAbort = 3
    /// Every partition holds the commit marker.
    case completeCommit = 4
    /// Every partition holds the abort marker.
    case completeAbort = 5
    /// The transactional id expired and is being removed.
    case dead = 6
    /// Kafka's in-memory step before an epoch-bumping abort; never written by Samsa.
    case prepareEpochFence = 7

    /// Kafka's name, as `kafka-transactions.sh describe` prints it.
    public var description: String {
        switch self {
        case .empty: return "Empty"
        case .ongoing: return "Ongoing"
        case .prepareCommit: return "PrepareCommit"
        case .prepareAbort: return "PrepareAbort"
        case .completeCommit: return "CompleteCommit"
        case .completeAbort: return "CompleteAbort"
        case .dead: return "Dead"
        case .prepareEpochFence: return "PrepareEpochFence"
        }
    }

    /// Markers are being written: the transaction is over for the client but not yet in every log.
    public var isCompleting: Bool { self == .prepareCommit || self == .prepareAbort }
}

/// Everything the coordinator knows of one transactional id: what a `__transaction_state` record
/// carries (Kafka's `TransactionMetadata` without its in-memory pending fields).
public struct TransactionMetadata: Sendable, Equatable {
    public var transactionalId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    /// The producer id and epoch before the last bump, so a retried InitProducerId is recognised (KIP-360).
    public var lastProducerId: Int64
    public var lastProducerEpoch: Int16
    public var transactionTimeoutMs: Int32
    public var state: TransactionState
    /// The data partitions (and the group's `__consumer_offsets` partition) in the current transaction.
    public var partitions: Set<TopicPartition>
    /// When the first partition was added (-1 when no transaction is open): the timeout runs from here.
    public var transactionStartMs: Int64
    public var lastUpdateMs: Int64

    public init(transactionalId: String, producerId: Int64, producerEpoch: Int16, lastProducerId: Int64 = -1,
                lastProducerEpoch: Int16 = -1, transactionTimeoutMs: Int32, state: TransactionState,
                partitions: Set<TopicPartition> = [], transactionStartMs: Int64 = -1, lastUpdateMs: Int64) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.lastProducerId = lastProducerId
        self.lastProducerEpoch = lastProducerEpoch
        self.transactionTimeoutMs = transactionTimeoutMs
        self.state = state
        self.partitions = partitions
        self.transactionStartMs = transactionStartMs
        self.lastUpdateMs = lastUpdateMs
    }

    /// The partitions in Kafka's order for records and markers: by topic, then partition.
    public var sortedPartitions: [TopicPartition] { partitions.sorted() }
}

/// The markers a completing transaction needs: one control batch per partition, written by the
/// partition's leader (WriteTxnMarkers), each carrying the coordinator's epoch.
public struct TransactionMarkers: Sendable, Equatable {
    public var transactionalId: String
    public var producerId: Int64
    public var producerEpoch: Int16
    public var committed: Bool
    public var partitions: [TopicPartition]

    public init(transactionalId: String, producerId: Int64, producerEpoch: Int16, committed: Bool, partitions: [TopicPartition]) {
        self.transactionalId = transactionalId
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.committed = committed
        self.partitions = partitions
    }
}

/// What the coordinator decided for one request: the answer the client gets, the record to write to
/// `__transaction_state` before answering (then `apply`), and the markers to write once it is durable.
public struct TransactionDecision: Sendable, Equatable {
    public var error: ErrorCode
    public var record: TransactionMetadata?
    public var markers: TransactionMarkers?

    public init(error: ErrorCode = .none, record: TransactionMetadata? = nil, markers: TransactionMarkers? = nil) {
        self.error = error
        self.record = record
        self.markers = markers
    }

    public static func reject(_ error: ErrorCode) -> TransactionDecision { TransactionDecision(error: error) }
}
