import KafkaProtocol

/// Every send of a history reduced to numbers, built once so checkers and figures iterate sends
/// without re-merging invoke and completion values for each question.
struct SendTable {
    struct Entry {
        /// Position in `History.operations`.
        var operation: Int32
        /// Number in `topics`.
        var topic: Int32
        /// Number in `partitions`, or -1 when the partition is unknown.
        var partition: Int32
        /// The acknowledged offset, or -1.
        var offset: Int64
        /// Positions in `History.ops`, or -1.
        var invokePosition: Int32
        var completionPosition: Int32
        /// How the send ended; `info` for one the run ended before it completed.
        var outcome: OpType
        /// Sent inside a transaction: visible only if the transaction commits, which the
        /// transaction checkers judge (the plain lost-write analysis does not apply to it).
        var transactional = false
    }

    private(set) var entries: [Entry] = []
    private(set) var topics: [String] = []
    private(set) var topicIds: [String: Int32] = [:]
    private(set) var partitions: [TopicPartition] = []
    private(set) var partitionIds: [TopicPartition: Int32] = [:]

    init(_ history: History) {
        entries.reserveCapacity(history.operations.count)
        for (number, operation) in history.operations.enumerated() where operation.f == .send {
            // The invoke names topic (and maybe partition); the completion adds partition and offset.
            var topicName: String?
            var partitionNumber: Int32?
            var offset: Int64?
            var transactional = false
            if let position = operation.invokePosition, case .send(let send) = history.ops[position].value {
                topicName = send.topic
                partitionNumber = send.partition
                offset = send.offset
                transactional = send.txn != nil
            }
            if let position = operation.completionPosition, case .send(let send) = history.ops[position].value {
                topicName = topicName ?? send.topic
                partitionNumber = send.partition ?? partitionNumber
                offset = send.offset ?? offset
                transactional = transactional || send.txn != nil
            }
            guard let topicName else { continue }
            let topic = topicId(topicName)
            let partition = partitionNumber.map { partitionId(TopicPartition(topicName, $0)) } ?? -1
            entries.append(Entry(
                operation: Int32(number), topic: topic, partition: partition, offset: max(offset ?? -1, -1),
                invokePosition: Int32(operation.invokePosition ?? -1),
                completionPosition: Int32(operation.completionPosition ?? -1),
                outcome: operation.outcome(in: history), transactional: transactional))
        }
    }

    mutating func topicId(_ topic: String) -> Int32 {
        if let id = topicIds[topic] { return id }
        let id = Int32(topics.count)
        topicIds[topic] = id
        topics.append(topic)
        return id
    }

    mutating func partitionId(_ partition: TopicPartition) -> Int32 {
        if let id = partitionIds[partition] { return id }
        let id = Int32(partitions.count)
        partitionIds[partition] = id
        partitions.append(partition)
        return id
    }
}

extension History {
    /// The time of a line, by position.
    func timeNs(at position: Int32) -> Int64 { ops[Int(position)].timeNs }
}
