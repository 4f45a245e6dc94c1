/// A send and where it landed, as order evidence.
public struct PlacedSend: Sendable, Hashable, Codable {
    public var value: String
    public var offset: Int64
    public var invokeIndex: Int
    public var ackIndex: Int

    enum CodingKeys: String, CodingKey {
        case value, offset
        case invokeIndex = "invoke_index"
        case ackIndex = "ack_index"
    }
}

/// A producer's later send landed at or before an earlier one.
public struct NonmonotonicSend: Sendable, Hashable, Codable {
    public var process: String
    public var topic: String
    public var partition: Int32
    public var earlier: PlacedSend
    public var later: PlacedSend
}

/// A consumer went back: it returned an offset at or below one it had already returned.
public struct NonmonotonicPoll: Sendable, Hashable, Codable {
    public var process: String
    public var topic: String
    public var partition: Int32
    public var previousOffset: Int64
    /// History index of the read that returned the previous offset.
    public var previousIndex: Int
    public var offset: Int64
    public var index: Int

    enum CodingKeys: String, CodingKey {
        case process, topic, partition, offset, index
        case previousOffset = "previous_offset"
        case previousIndex = "previous_index"
    }
}

/// A consumer jumped forward past offsets that exist.
public struct PollSkip: Sendable, Hashable, Codable {
    /// Skipped offsets listed at most.
    public static let listLimit = 16

    public var process: String
    public var topic: String
    public var partition: Int32
    public var previousOffset: Int64
    public var previousIndex: Int
    public var offset: Int64
    public var index: Int
    public var skippedCount: Int
    /// The first skipped offsets.
    public var skipped: [Int64]

    enum CodingKeys: String, CodingKey {
        case process, topic, partition, offset, index, skipped
        case previousOffset = "previous_offset"
        case previousIndex = "previous_index"
        case skippedCount = "skipped_count"
    }
}

/// Jepsen's nonmonotonic-send, nonmonotonic-poll and poll-skip analyses.
enum OrderCheckers {
    /// Per producer process and partition, acknowledged sends taken in the order the process
    /// invoked them must land at increasing offsets. Pipelined sends (several in flight, linked by
    /// `op_id`) are held to the same rule: Kafka keeps a partition's batches in order when the
    /// producer is idempotent, and this is the check that shows when it did not.
    static func nonmonotonicSends(_ index: HistoryIndex, limit: Int) -> CheckResult<NonmonotonicSend> {
        let history = index.history
        /// Process number in the high half, partition number in the low half.
        var last: [Int64: PlacedSend] = [:]
        var anomalies: [NonmonotonicSend] = []
        for (number, entry) in index.sends.entries.enumerated()
        where entry.outcome == .ok && entry.partition >= 0 && entry.offset >= 0 {
            let firstPosition = Int(entry.invokePosition >= 0 ? entry.invokePosition : entry.completionPosition)
            let process = history.processOf[firstPosition]
            let key = Int64(process) << 32 | Int64(entry.partition)
            let placed = PlacedSend(
                value: index.value(index.sendValue[number]), offset: entry.offset,
                invokeIndex: history.ops[firstPosition].index,
                ackIndex: history.ops[Int(entry.completionPosition)].index)
            if let earlier = last[key], entry.offset <= earlier.offset {
                let partition = index.partition(entry.partition)
                anomalies.append(NonmonotonicSend(
                    process: history.processNames[Int(process)], topic: partition.topic, partition: partition.partition,
                    earlier: earlier, later: placed))
            }
            last[key] = placed
        }
        return .judge("nonmonotonic-send", anomalies: anomalies, limit: limit, problems: history.problems)
    }

    /// Per consumer process and partition, every record returned must be the next existing one
    /// after the record returned before it — within one poll and across consecutive polls —
    /// until the process's assignment changes (an `assign` or `subscribe` completes, as the lab
    /// records at every rebalance), which resets the tracking. "Next existing" is measured in
    /// the final read's offsets (or, without a final read, in every `ok` poll's), so gaps left
    /// by compaction, aborted transactions or control batches are not skips. A poll that ended
    /// `info` leaves the position unknown and also resets; one that `fail`ed changes nothing.
    static func pollOrder(_ index: HistoryIndex, limit: Int)
        -> (nonmonotonic: CheckResult<NonmonotonicPoll>, skip: CheckResult<PollSkip>)
    {
        let history = index.history
        struct Last {
            var offset: Int64
            var index: Int
        }
        // Per process number: the last record returned, per partition number (arrays, not
        // dictionaries: this runs for every record read).
        var positions = [[Last?]](repeating: [], count: history.processNames.count)
        var backwards: [NonmonotonicPoll] = []
        var skips: [PollSkip] = []
        var lastPartition: (topic: String, partition: Int32, id: Int32)?
        for position in history.ops.indices where history.ops[position].type != .invoke {
            // Sends are most lines: passed over in place, without copying them.
            guard history.ops[position].f.isAssignment || history.ops[position].f.isRead else { continue }
            let op = history.ops[position]
            let process = Int(history.processOf[position])
            if op.f.isAssignment {
                if op.type != .fail { positions[process] = [] }
                continue
            }
            guard op.f.isRead else { continue }
            if op.type == .info { positions[process] = [] }
            guard op.type == .ok, case .poll(let poll) = op.value else { continue }
            for record in poll.records {
                let partition: Int32
                if let last = lastPartition, last.partition == record.partition, last.topic == record.topic {
                    partition = last.id
                } else {
                    guard let id = index.partitionIds[record.topicPartition] else { continue }
                    partition = id
                    lastPartition = (record.topic, record.partition, id)
                }
                let slot = Int(partition)
                if slot >= positions[process].count {
                    positions[process].append(contentsOf: repeatElement(nil, count: slot - positions[process].count + 1))
                }
                let last = positions[process][slot]
                positions[process][slot] = Last(offset: record.offset, index: op.index)
                guard let previous = last else { continue }
                if record.offset <= previous.offset {
                    backwards.append(NonmonotonicPoll(
                        process: op.process, topic: record.topic, partition: record.partition,
                        previousOffset: previous.offset, previousIndex: previous.index, offset: record.offset,
                        index: op.index))
                    continue
                }
                let existing = index.existingOffsets[Int(partition)]
                let from = lowerBound(existing, previous.offset + 1)
                let to = lowerBound(existing, record.offset)
                if to > from {
                    skips.append(PollSkip(
                        process: op.process, topic: record.topic, partition: record.partition,
                        previousOffset: previous.offset, previousIndex: previous.index, offset: record.offset,
                        index: op.index, skippedCount: to - from,
                        skipped: Array(existing[from..<min(to, from + PollSkip.listLimit)])))
                }
            }
        }
        let basis = history.hasFinalRead
            ? "existing offsets are those of the final read"
            : "the history has no final read: existing offsets are those of every ok poll"
        return (
            .judge("nonmonotonic-poll", anomalies: backwards, limit: limit, problems: history.problems),
            .judge("poll-skip", anomalies: skips, limit: limit, problems: history.problems, notes: [basis])
        )
    }

    /// The first position in a sorted array whose element is not below `target`.
    static func lowerBound(_ sorted: [Int64], _ target: Int64) -> Int {
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < target { low = middle + 1 } else { high = middle }
        }
        return low
    }
}
