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
        struct Key: Hashable {
            var process: String
            var partition: Int32
        }
        var last: [Key: PlacedSend] = [:]
        var anomalies: [NonmonotonicSend] = []
        for operation in history.operations where operation.f == .send {
            guard let completion = history.completion(of: operation), completion.type == .ok,
                  let send = history.send(of: operation), let partition = send.partition, let offset = send.offset,
                  let partitionId = index.partitionIds[.init(send.topic, partition)]
            else { continue }
            let invoke = history.firstLine(of: operation)
            let placed = PlacedSend(value: send.value, offset: offset, invokeIndex: invoke.index, ackIndex: completion.index)
            let key = Key(process: invoke.process, partition: partitionId)
            if let earlier = last[key], offset <= earlier.offset {
                anomalies.append(NonmonotonicSend(
                    process: invoke.process, topic: send.topic, partition: partition, earlier: earlier, later: placed))
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
        var positions: [String: [Int32: Last]] = [:]
        var backwards: [NonmonotonicPoll] = []
        var skips: [PollSkip] = []
        for op in history.ops where op.type != .invoke {
            if op.f.isAssignment {
                if op.type != .fail { positions[op.process] = nil }
                continue
            }
            guard op.f.isRead else { continue }
            if op.type == .info { positions[op.process] = nil }
            guard op.type == .ok, let records = op.value.poll?.records, !records.isEmpty else { continue }
            var mine = positions[op.process] ?? [:]
            for record in records {
                guard let partition = index.partitionIds[record.topicPartition] else { continue }
                defer { mine[partition] = Last(offset: record.offset, index: op.index) }
                guard let previous = mine[partition] else { continue }
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
            positions[op.process] = mine
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
