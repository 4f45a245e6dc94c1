import KafkaProtocol

/// The transactional state of one partition's log (the transaction half of Kafka's
/// `ProducerStateManager` plus its `TransactionIndex`): which producers have an open transaction
/// here and from which offset, the aborted transactions a read_committed consumer must skip, and
/// from these the last stable offset (LSO).
///
/// A transaction is unstable until its marker is below the high watermark: the LSO is the first
/// offset of the earliest such transaction, or the high watermark when there is none.
///
/// Not thread-safe: owned by the partition, under its lock, next to its `ProducerStateTable`.
public struct PartitionTransactions: Sendable, Equatable {
    /// An aborted transaction as the index keeps it: its data spans `firstOffset` up to the abort
    /// marker at `lastOffset`.
    public struct Aborted: Sendable, Equatable {
        public var producerId: Int64
        public var firstOffset: Int64
        public var lastOffset: Int64
    }

    /// A transaction whose marker is written but not yet below the high watermark.
    struct Completed: Sendable, Equatable {
        var producerId: Int64
        var firstOffset: Int64
        var markerOffset: Int64
    }

    public enum Check: Sendable, Equatable {
        case append
        case reject(ErrorCode, String)
    }

    /// Open transactions: producer id to the offset of its first record here.
    public private(set) var ongoing: [Int64: Int64] = [:]
    /// The epoch of the last marker per producer: a transactional batch with an older epoch is a zombie's.
    public private(set) var markerEpochs: [Int64: Int16] = [:]
    /// The coordinator epoch of the last marker per producer: a marker from an older coordinator
    /// epoch comes from a zombie transaction coordinator (Kafka's `ProducerStateEntry.coordinatorEpoch`).
    public private(set) var coordinatorEpochs: [Int64: Int32] = [:]
    /// Aborted transactions in marker order.
    public private(set) var aborted: [Aborted] = []
    private(set) var completed: [Completed] = []

    public init() {}

    /// A transactional batch from the leader's produce path: refused when its producer was fenced
    /// by a marker with a newer epoch (the coordinator bumped the epoch and aborted).
    public func check(producerId: Int64, epoch: Int16) -> Check {
        if let fenced = markerEpochs[producerId], epoch < fenced {
            return .reject(.invalidProducerEpoch, "producer \(producerId) epoch \(epoch) was fenced by a marker at epoch \(fenced)")
        }
        return .append
    }

    /// A marker the leader is asked to write (by its own transaction coordinator or WriteTxnMarkers):
    /// refused with TRANSACTION_COORDINATOR_FENCED when a marker for the same producer came from a
    /// newer coordinator epoch, as Kafka's `checkCoordinatorEpoch` does for the coordinator's writes.
    public func checkMarker(producerId: Int64, coordinatorEpoch: Int32) -> Check {
        if let seen = coordinatorEpochs[producerId], coordinatorEpoch < seen {
            return .reject(.transactionCoordinatorFenced,
                           "a marker for producer \(producerId) from coordinator epoch \(coordinatorEpoch) is older than epoch \(seen) seen here")
        }
        return .append
    }

    /// Records an appended transactional data batch (leader, follower and recovery alike).
    public mutating func recordData(producerId: Int64, firstOffset: Int64) {
        if ongoing[producerId] == nil { ongoing[producerId] = firstOffset }
    }

    /// Records an appended commit or abort marker: the producer's transaction here is over. An
    /// abort is indexed only when the transaction had data here. Its coordinator epoch becomes the
    /// producer's (replicated and replayed markers included, as Kafka overwrites it).
    public mutating func recordMarker(producerId: Int64, epoch: Int16, coordinatorEpoch: Int32, committed: Bool, offset: Int64) {
        markerEpochs[producerId] = max(epoch, markerEpochs[producerId] ?? epoch)
        coordinatorEpochs[producerId] = coordinatorEpoch
        guard let first = ongoing.removeValue(forKey: producerId) else { return }
        if !committed { aborted.append(Aborted(producerId: producerId, firstOffset: first, lastOffset: offset)) }
        completed.append(Completed(producerId: producerId, firstOffset: first, markerOffset: offset))
    }

    /// Replays a stored batch; `marker` is the decoded control record of a control batch.
    public mutating func replay(_ header: RecordBatchHeader, marker: TransactionMarker?) {
        guard header.hasProducerId, header.isTransactional else { return }
        if header.isControl {
            guard let marker else { return }
            recordMarker(producerId: header.producerId, epoch: header.producerEpoch, coordinatorEpoch: marker.coordinatorEpoch,
                         committed: marker.type == .commit, offset: header.baseOffset)
        } else {
            recordData(producerId: header.producerId, firstOffset: header.baseOffset)
        }
    }

    /// The first offset a read_committed consumer may not read yet.
    public mutating func lastStableOffset(highWatermark: Int64) -> Int64 {
        completed.removeAll { $0.markerOffset < highWatermark }
        let unstable = ongoing.values.min().map { min($0, completed.map(\.firstOffset).min() ?? $0) } ?? completed.map(\.firstOffset).min()
        return min(unstable ?? highWatermark, highWatermark)
    }

    /// The aborted transactions a read_committed fetch from `fetchOffset` up to `upperBound`
    /// (exclusive) must return: those whose data overlaps the range (Kafka's `collectAbortedTxns`).
    public func abortedTransactions(from fetchOffset: Int64, upTo upperBound: Int64) -> [Aborted] {
        aborted.filter { $0.lastOffset >= fetchOffset && $0.firstOffset < upperBound }
    }

    /// Forgets everything at or above `offset` (log truncation); state that began earlier is kept.
    public mutating func truncate(to offset: Int64) {
        ongoing = ongoing.filter { $0.value < offset }
        aborted.removeAll { $0.lastOffset >= offset }
        completed.removeAll { $0.markerOffset >= offset }
    }

    /// Drops aborted transactions wholly below the log start offset (retention deleted them).
    public mutating func advanceLogStart(to offset: Int64) {
        aborted.removeAll { $0.lastOffset < offset }
    }

    public mutating func removeAll() { self = PartitionTransactions() }
}
