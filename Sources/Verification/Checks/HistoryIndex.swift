import KafkaProtocol

/// A partition (by its number in `HistoryIndex.partitions`) and an offset in it.
struct PartitionOffset: Hashable {
    var partition: Int32
    var offset: Int64

    /// One word to hash instead of two: the index looks places up millions of times.
    func hash(into hasher: inout Hasher) {
        hasher.combine(UInt64(UInt32(bitPattern: partition)) &<< 40 ^ UInt64(bitPattern: offset))
    }
}

/// Whether the final read of a partition read everything up to the partition's end.
enum FinalReadStatus: Equatable {
    /// `end`: the recorded end, when the history has one.
    case complete(end: Int64?)
    case incomplete(String)

    var isComplete: Bool {
        if case .complete = self { return true }
        return false
    }
}

/// A value seen at an offset, and the history line that reported it.
struct Observation: Hashable {
    var value: Int32
    var position: Int32
}

/// Everything the history checkers share, built in one pass over the history: values and
/// partitions numbered, who wrote and who read each value, what each offset held.
///
/// Built with per-partition arrays indexed by offset and flat arrays keyed by value number, so a
/// million operations index in linear time.
struct HistoryIndex {
    let history: History
    /// Every send, numbered; partitions are numbered in `sends.partitions`, reads' partitions too.
    private(set) var sends: SendTable
    /// Per send entry: its value's number.
    private(set) var sendValue: [Int32] = []

    private(set) var valueIds: [String: Int32] = [:]
    private(set) var values: [String] = []
    /// Per value: the send entry that wrote it, or -1.
    private(set) var writer: [Int32] = []
    /// Per value: whether some `ok` poll or final read returned it.
    private(set) var readOk: [Bool] = []
    /// Per value: whether an `ok` final read returned it.
    private(set) var readByFinal: [Bool] = []
    /// Per value: the first read completion (position in `history.ops`) that returned it, or -1.
    private(set) var firstRead: [Int32] = []
    /// Per value: the first place it was seen, by ack or read.
    private(set) var firstLocation: [PartitionOffset?] = []
    /// Values seen at more than one place: the other places.
    private(set) var otherLocations: [Int32: [PartitionOffset]] = [:]

    /// Per partition: one past the highest offset an `ok` final read returned (0 for none).
    private(set) var finalReached: [Int64] = []
    /// Per partition: the highest offset an `ok` read returned (-1 for none) and the line.
    private(set) var maxReadOffset: [Int64] = []
    private(set) var maxReadPosition: [Int32] = []
    /// Per partition: the offsets known to exist, sorted: those of the final read when the run
    /// has one, otherwise those of every `ok` poll.
    private(set) var existingOffsets: [[Int64]] = []

    /// The first value seen at each offset.
    private(set) var observed = OffsetTable()
    /// Further, different values seen at an offset.
    private(set) var conflicts: [PartitionOffset: [Observation]] = [:]

    /// The last partition looked up: records of one poll mostly share it.
    private var lastPartition: (topic: String, partition: Int32, id: Int32)?

    init(_ history: History) {
        self.history = history
        sends = SendTable(history)
        sendValue.reserveCapacity(sends.entries.count)
        valueIds.reserveCapacity(sends.entries.count)
        for number in sends.entries.indices { indexSend(number) }
        for operation in history.operations where operation.f.isRead {
            if let position = operation.completionPosition { indexRead(at: position) }
        }
        growPartitions()
        for partition in existingOffsets.indices {
            existingOffsets[partition].sort()
            existingOffsets[partition] = dedupSorted(existingOffsets[partition])
        }
    }

    var partitions: [TopicPartition] { sends.partitions }
    var partitionIds: [TopicPartition: Int32] { sends.partitionIds }
    func value(_ id: Int32) -> String { values[Int(id)] }
    func partition(_ id: Int32) -> TopicPartition { sends.partitions[Int(id)] }

    /// The send of a send entry, merged from invoke and completion, for evidence.
    func send(_ entry: SendTable.Entry) -> SendValue? {
        history.send(of: history.operations[Int(entry.operation)])
    }

    /// Whether the final read is complete for a partition: it read up to the end its leader gave
    /// when the final read began. Histories that predate recorded ends count the final read
    /// complete when every part of it completed `ok` (the final reader reads to the high
    /// watermark and says so otherwise).
    func finalReadStatus(_ partition: Int32) -> FinalReadStatus {
        guard partition >= 0 else { return .incomplete("the partition is not known") }
        let bounds = history.finalReadBounds
        if bounds.isEmpty {
            guard history.hasFinalRead else { return .incomplete("the history has no final read") }
            guard history.finalReadComplete else { return .incomplete("the final read did not complete") }
            return .complete(end: nil)
        }
        let topicPartition = self.partition(partition)
        guard let bound = bounds[topicPartition] else {
            return .incomplete("the final read did not cover \(topicPartition)")
        }
        guard let end = bound.end else {
            return .incomplete("the final reader could not learn where \(topicPartition) ends")
        }
        let start = bound.start ?? 0
        let reached = finalReached[Int(partition)]
        if end > start && reached < end {
            return .incomplete("the final read of \(topicPartition) stopped at \(reached), before its end \(end)")
        }
        return .complete(end: end)
    }

    /// The history line at a position, as evidence.
    func sighting(at position: Int32) throws -> Sighting {
        guard history.ops.indices.contains(Int(position)) else {
            throw CheckerError("no history line at position \(position)")
        }
        let op = history.ops[Int(position)]
        let source: Sighting.Source = op.f == .send ? .ack : (op.f == .finalRead ? .finalRead : .poll)
        return Sighting(source: source, process: op.process, index: op.index, timeNs: op.timeNs)
    }

    /// A partition's number, reusing the previous answer when the same partition comes again.
    mutating func partitionId(topic: String, partition: Int32) -> Int32 {
        if let last = lastPartition, last.partition == partition, last.topic == topic { return last.id }
        let id = sends.partitionId(TopicPartition(topic, partition))
        lastPartition = (topic, partition, id)
        growPartitions()
        return id
    }

    private mutating func growPartitions() {
        while maxReadOffset.count < sends.partitions.count {
            finalReached.append(0)
            maxReadOffset.append(-1)
            maxReadPosition.append(-1)
            existingOffsets.append([])
        }
    }

    mutating func valueId(_ value: String) -> Int32 {
        if let id = valueIds[value] { return id }
        let id = Int32(values.count)
        valueIds[value] = id
        values.append(value)
        writer.append(-1)
        readOk.append(false)
        readByFinal.append(false)
        firstRead.append(-1)
        firstLocation.append(nil)
        return id
    }

    private mutating func indexSend(_ number: Int) {
        let entry = sends.entries[number]
        let firstPosition = entry.invokePosition >= 0 ? entry.invokePosition : entry.completionPosition
        guard case .send(let send) = history.ops[Int(firstPosition)].value else {
            sendValue.append(-1)
            return
        }
        let value = valueId(send.value)
        sendValue.append(value)
        if writer[Int(value)] < 0 { writer[Int(value)] = Int32(number) }
        guard entry.outcome == .ok, entry.partition >= 0, entry.offset >= 0 else { return }
        observe(
            PartitionOffset(partition: entry.partition, offset: entry.offset),
            Observation(value: value, position: entry.completionPosition))
    }

    private mutating func indexRead(at position: Int) {
        guard case .poll(let poll) = history.ops[position].value else { return }
        let ok = history.ops[position].type == .ok
        let finalRead = ok && history.ops[position].f == .finalRead
        let definesExistence = ok && (history.hasFinalRead ? finalRead : true)
        for record in poll.records {
            let partition = partitionId(topic: record.topic, partition: record.partition)
            let place = PartitionOffset(partition: partition, offset: record.offset)
            let value: Int32
            if let seen = observed[place], values[Int(seen.value)] == record.value {
                // The same value at the same place again (the common case: a read of an
                // acknowledged write): nothing new to observe, and no need to hash the value.
                value = seen.value
            } else {
                value = valueId(record.value)
                observe(place, Observation(value: value, position: Int32(position)))
            }
            if firstRead[Int(value)] < 0 { firstRead[Int(value)] = Int32(position) }
            guard ok else { continue }
            readOk[Int(value)] = true
            if finalRead {
                readByFinal[Int(value)] = true
                finalReached[Int(partition)] = max(finalReached[Int(partition)], record.offset + 1)
            }
            if record.offset > maxReadOffset[Int(partition)] {
                maxReadOffset[Int(partition)] = record.offset
                maxReadPosition[Int(partition)] = Int32(position)
            }
            if definesExistence { existingOffsets[Int(partition)].append(record.offset) }
        }
    }

    private mutating func observe(_ place: PartitionOffset, _ observation: Observation) {
        if let first = observed[place] {
            if first.value != observation.value,
               !(conflicts[place]?.contains { $0.value == observation.value } ?? false)
            {
                conflicts[place, default: []].append(observation)
            }
        } else {
            observed.insert(observation, at: place)
        }
        let value = Int(observation.value)
        if let location = firstLocation[value] {
            if location != place, !(otherLocations[observation.value]?.contains(place) ?? false) {
                otherLocations[observation.value, default: []].append(place)
            }
        } else {
            firstLocation[value] = place
        }
    }
}

func dedupSorted(_ sorted: [Int64]) -> [Int64] {
    var result: [Int64] = []
    result.reserveCapacity(sorted.count)
    for offset in sorted where result.last != offset { result.append(offset) }
    return result
}
