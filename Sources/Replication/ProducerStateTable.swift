import KafkaProtocol

/// Idempotent-producer state of one partition (Kafka's `ProducerStateManager`): per producer id, its
/// epoch and the metadata of its last five batches. The leader checks each batch against it before
/// appending; followers and recovery replay batches into it without checks.
///
/// Not thread-safe: owned by the partition, under its lock.
public struct ProducerStateTable: Sendable, Equatable {
    /// Kafka keeps this many batches per producer to answer retries of in-flight requests.
    public static let retainedBatches = 5

    public struct BatchMetadata: Sendable, Equatable {
        public var firstSequence: Int32
        public var lastSequence: Int32
        public var firstOffset: Int64
        public var lastOffset: Int64
    }

    public struct Entry: Sendable, Equatable {
        public var epoch: Int16
        public var batches: [BatchMetadata]
        public var lastSequence: Int32 { batches.last?.lastSequence ?? -1 }
    }

    public enum Check: Sendable, Equatable {
        case append
        /// A retry of a batch already in the log: answer with its original offsets, append nothing.
        case duplicate(firstOffset: Int64, lastOffset: Int64)
        case reject(ErrorCode, String)
    }

    public private(set) var producers: [Int64: Entry] = [:]

    public init() {}

    /// Kafka's sequence rules (`ProducerAppendInfo`).
    public func check(producerId: Int64, epoch: Int16, firstSequence: Int32, lastSequence: Int32, seededBugs: SeededBugs = []) -> Check {
        guard let entry = producers[producerId] else {
            if firstSequence != 0 {
                return .reject(.unknownProducerId, "producer \(producerId) has no state here and sent sequence \(firstSequence)")
            }
            return .append
        }
        if epoch < entry.epoch {
            return .reject(.invalidProducerEpoch, "producer \(producerId) epoch \(epoch) is older than \(entry.epoch)")
        }
        if epoch > entry.epoch {
            return firstSequence == 0 ? .append
                : .reject(.outOfOrderSequenceNumber, "new epoch \(epoch) of producer \(producerId) must start at sequence 0, got \(firstSequence)")
        }
        if let duplicate = entry.batches.first(where: { $0.firstSequence == firstSequence && $0.lastSequence == lastSequence }) {
            // Seeded bug no-dedup: the retry is appended again.
            if seededBugs.contains(.noDedup) { return .append }
            return .duplicate(firstOffset: duplicate.firstOffset, lastOffset: duplicate.lastOffset)
        }
        let expected = entry.lastSequence == Int32.max ? 0 : entry.lastSequence + 1
        guard firstSequence == expected else {
            return .reject(.outOfOrderSequenceNumber, "producer \(producerId) sent sequence \(firstSequence), expected \(expected)")
        }
        return .append
    }

    /// Records an appended batch (leader after `check`, follower and recovery directly).
    public mutating func record(producerId: Int64, epoch: Int16, firstSequence: Int32, lastSequence: Int32, firstOffset: Int64, lastOffset: Int64) {
        var entry = producers[producerId] ?? Entry(epoch: epoch, batches: [])
        if epoch != entry.epoch {
            entry = Entry(epoch: epoch, batches: [])
        }
        entry.batches.append(BatchMetadata(firstSequence: firstSequence, lastSequence: lastSequence, firstOffset: firstOffset, lastOffset: lastOffset))
        if entry.batches.count > Self.retainedBatches { entry.batches.removeFirst(entry.batches.count - Self.retainedBatches) }
        producers[producerId] = entry
    }

    /// Replays a stored batch header.
    public mutating func replay(_ header: RecordBatchHeader) {
        guard header.hasProducerId, header.baseSequence >= 0, !header.isControl else { return }
        record(producerId: header.producerId, epoch: header.producerEpoch, firstSequence: header.baseSequence,
               lastSequence: header.lastSequence, firstOffset: header.baseOffset, lastOffset: header.lastOffset)
    }

    public mutating func removeAll() { producers = [:] }
}
