/// A committed write that reads should have returned and did not.
public struct LostWrite: Sendable, Hashable, Codable {
    public enum Reason: String, Sendable, Hashable, Codable {
        /// No `ok` read returned it, though reads passed its offset (Jepsen's lost-write).
        case unread
        /// Reads returned it before the final read began, but the final read, which reads every
        /// partition from its start to its end, did not: it was visible, then it was gone.
        case missingFromFinalRead = "missing_from_final_read"
        /// No read ever returned it, and a complete final read found the partition's log ending
        /// at or below its acknowledged offset: the log no longer reaches it.
        case beyondLogEnd = "beyond_log_end"
    }

    public var reason: Reason
    public var topic: String
    public var partition: Int32
    /// Where the broker said it put the value (for an indeterminate send: where it was read).
    public var offset: Int64
    public var value: String
    public var process: String
    /// `ok`, or `info` for an indeterminate send that reads proved visible.
    public var outcome: OpType
    /// History index and time of the acknowledgement; nil for indeterminate sends.
    public var ackIndex: Int?
    public var ackTimeNs: Int64?
    public var broker: Int32?
    public var leaderEpoch: Int32?
    /// What reads returned at that offset instead (empty when nothing was read there).
    public var readInstead: [ValueSighting]
    /// The highest offset any ok read returned for the partition, and the read: for `unread`, the
    /// write sits at or below it, so it should have been read.
    public var maxReadOffset: Int64
    public var maxRead: Sighting?
    /// For `missing_from_final_read`: a read that did return the value.
    public var readBy: Sighting?
    /// Where the final read found the partition's log to end (its high watermark then), when the
    /// history recorded it.
    public var finalEnd: Int64?

    enum CodingKeys: String, CodingKey {
        case reason, topic, partition, offset, value, process, outcome, broker
        case ackIndex = "ack_index"
        case ackTimeNs = "ack_time_ns"
        case leaderEpoch = "leader_epoch"
        case readInstead = "read_instead"
        case maxReadOffset = "max_read_offset"
        case maxRead = "max_read"
        case readBy = "read_by"
        case finalEnd = "final_end"
    }
}

/// An acknowledged write no read returned, above the highest offset read, in a partition whose
/// final read did not complete: lost or merely never reached, which the history cannot tell apart.
public struct UnseenWrite: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64?
    public var value: String
    public var process: String
    public var ackIndex: Int
    public var ackTimeNs: Int64
    public var broker: Int32?
    public var leaderEpoch: Int32?
    /// -1 when nothing was read from the partition.
    public var maxReadOffset: Int64
    /// Acknowledged before the final read started, which then should have returned it.
    public var ackedBeforeFinalRead: Bool
    /// Why the final read cannot decide: it did not complete for this partition, or there was none.
    public var why: String?

    enum CodingKeys: String, CodingKey {
        case topic, partition, offset, value, process, broker
        case ackIndex = "ack_index"
        case ackTimeNs = "ack_time_ns"
        case leaderEpoch = "leader_epoch"
        case maxReadOffset = "max_read_offset"
        case ackedBeforeFinalRead = "acked_before_final_read"
        case why
    }
}

/// A value and a sighting of it.
public struct ValueSighting: Sendable, Hashable, Codable {
    public var value: String
    public var seenBy: Sighting

    enum CodingKeys: String, CodingKey {
        case value
        case seenBy = "seen_by"
    }
}

/// Jepsen's lost-write and unseen analyses, per partition, and DESIGN.md's "absent from the
/// final read".
///
/// A write counts when its send was `ok`, or `info` (or never completed) and some `ok` read
/// returned its value (proven visible). Such a write is lost when
/// - no `ok` read returned it and its acknowledged offset is at or below the highest offset any
///   `ok` read returned for its partition (a reader passed its place: `unread`), or
/// - no `ok` read returned it and the final read of its partition was complete — it read every
///   record from the log's start up to the end (high watermark) the partition's leader gave when
///   the final read began — so whatever its offset, the log no longer holds it: `beyond_log_end`,
/// - or reads returned it before the final read began, yet a complete final read did not, though
///   it started at or below its offset (a higher start is retention deleting old segments, not
///   loss): `missing_from_final_read`.
/// An acknowledged write no read returned is *unseen* only where the final read of its partition
/// did not complete (or there was none), or it was acknowledged after the final read began: the
/// history cannot tell loss from delay there, so unseen writes make that verdict `unknown`, never
/// `valid` and never a pass. An `info` write never read is neither: it may never have happened.
enum LostWriteChecker {
    struct Outcome {
        var lost: CheckResult<LostWrite>
        var unseen: CheckResult<UnseenWrite>
        /// Every lost write, not only the listed ones: the ranges are built from all of them.
        var allLost: [LostWrite]
        /// Per partition, the offsets of acknowledged writes that were not lost.
        var survivingOffsets: [TopicPartitionKey: [Int64]]
    }

    static func check(_ index: HistoryIndex, limit: Int) throws -> Outcome {
        let history = index.history
        let finalReadStartNs = history.ops.indices.first { position in
            history.ops[position].f == .finalRead
                || (history.ops[position].f == .assign && history.ops[position].value.assignment?.ends != nil)
        }.map { history.ops[$0].timeNs }
        var lost: [LostWrite] = []
        var unseen: [UnseenWrite] = []
        var statuses: [Int32: FinalReadStatus] = [:]
        func status(_ partition: Int32) -> FinalReadStatus {
            if let known = statuses[partition] { return known }
            let computed = index.finalReadStatus(partition)
            statuses[partition] = computed
            return computed
        }
        for (number, entry) in index.sends.entries.enumerated() {
            let value = index.sendValue[number]
            // A transaction's record is owed to readers only if the transaction committed, and
            // only to read_committed ones: `TransactionCheckers` judge it.
            guard value >= 0, !entry.transactional else { continue }
            if index.readOk[Int(value)] {
                // Most values the final read returned: those are never missing from it, and
                // asking costs a call per send.
                if let finalReadStartNs, history.hasFinalRead, !index.readByFinal[Int(value)],
                   let missing = try missingFromFinalRead(
                    index, entry: entry, value: value, finalReadStartNs: finalReadStartNs, status: status)
                {
                    lost.append(missing)
                }
                continue
            }
            guard entry.outcome == .ok, let send = index.send(entry), let partitionNumber = send.partition else { continue }
            let completion = history.ops[Int(entry.completionPosition)]
            let partition = entry.partition
            let maxRead = partition >= 0 ? index.maxReadOffset[Int(partition)] : -1
            let finalRead = status(partition)
            let ackedBeforeFinalRead = finalReadStartNs.map { completion.timeNs < $0 } ?? false
            var reason: LostWrite.Reason?
            var finalEnd: Int64?
            if entry.offset >= 0, entry.offset <= maxRead {
                reason = .unread
            } else if case .complete(let end) = finalRead, ackedBeforeFinalRead {
                reason = .beyondLogEnd
                finalEnd = end
            }
            if let reason {
                lost.append(LostWrite(
                    reason: reason, topic: send.topic, partition: partitionNumber, offset: entry.offset,
                    value: send.value, process: completion.process, outcome: .ok, ackIndex: completion.index,
                    ackTimeNs: completion.timeNs, broker: send.broker, leaderEpoch: send.leaderEpoch,
                    readInstead: [],
                    maxReadOffset: maxRead,
                    maxRead: maxRead >= 0 ? try index.sighting(at: index.maxReadPosition[Int(partition)]) : nil,
                    finalEnd: finalEnd))
            } else {
                var why: String
                switch finalRead {
                case .incomplete(let text): why = text
                case .complete: why = "acknowledged after the final read began"
                }
                if !ackedBeforeFinalRead, finalReadStartNs != nil { why = "acknowledged after the final read began" }
                unseen.append(UnseenWrite(
                    topic: send.topic, partition: partitionNumber, offset: send.offset, value: send.value,
                    process: completion.process, ackIndex: completion.index, ackTimeNs: completion.timeNs,
                    broker: send.broker, leaderEpoch: send.leaderEpoch, maxReadOffset: maxRead,
                    ackedBeforeFinalRead: ackedBeforeFinalRead, why: why))
            }
        }
        var surviving: [TopicPartitionKey: [Int64]] = [:]
        if !lost.isEmpty {
            let lostPlaces = Set(lost.map { TopicPartitionKey(topic: $0.topic, partition: $0.partition).place($0.offset) })
            for entry in index.sends.entries where entry.outcome == .ok && entry.partition >= 0 && entry.offset >= 0 {
                let partition = index.partition(entry.partition)
                let key = TopicPartitionKey(topic: partition.topic, partition: partition.partition)
                if !lostPlaces.contains(key.place(entry.offset)) { surviving[key, default: []].append(entry.offset) }
            }
        }
        let listed = try withReadsInstead(index, Array(lost.prefix(max(0, limit))))
        let lostResult = CheckResult.judge(
            "lost-write", anomalies: listed, count: lost.count, limit: limit, problems: history.problems)
        var unseenResult = CheckResult.judge("unseen", anomalies: unseen, limit: limit, problems: history.problems)
        if unseenResult.verdict == .invalid {
            // Unseen writes are where the history cannot decide: never a pass, never a proven loss.
            unseenResult.verdict = .unknown
            var reasons: [String: Int] = [:]
            for write in unseen { reasons[write.why ?? "unknown", default: 0] += 1 }
            for (why, count) in reasons.sorted(by: { $0.value > $1.value }) {
                unseenResult.notes.append("\(count) acknowledged write(s) never read: \(why)")
            }
        }
        return Outcome(lost: lostResult, unseen: unseenResult, allLost: lost, survivingOffsets: surviving)
    }

    /// A write reads returned before the final read began that a complete final read did not return.
    private static func missingFromFinalRead(
        _ index: HistoryIndex, entry: SendTable.Entry, value: Int32, finalReadStartNs: Int64,
        status: (Int32) -> FinalReadStatus
    ) throws -> LostWrite? {
        let history = index.history
        guard history.hasFinalRead, !index.readByFinal[Int(value)], entry.outcome != .fail,
              case let firstRead = index.firstRead[Int(value)], firstRead >= 0,
              history.timeNs(at: firstRead) < finalReadStartNs,
              let send = index.send(entry)
        else { return nil }
        // Where the write sits: its acknowledged offset, or where reads found it.
        let place: PartitionOffset
        if entry.outcome == .ok, entry.partition >= 0, entry.offset >= 0 {
            place = PartitionOffset(partition: entry.partition, offset: entry.offset)
        } else if let location = index.firstLocation[Int(value)] {
            place = location
        } else {
            return nil
        }
        guard case .complete(let end) = status(place.partition) else { return nil }
        let finalOffsets = index.existingOffsets[Int(place.partition)]
        if let start = finalOffsets.first, place.offset < start { return nil }
        if let start = history.finalReadBounds[index.partition(place.partition)]?.start, place.offset < start { return nil }
        let partition = index.partition(place.partition)
        let completion = entry.completionPosition >= 0 ? history.ops[Int(entry.completionPosition)] : nil
        let acknowledged = entry.outcome == .ok ? completion : nil
        let maxReadPosition = index.maxReadPosition[Int(place.partition)]
        return LostWrite(
            reason: .missingFromFinalRead, topic: partition.topic, partition: partition.partition, offset: place.offset,
            value: send.value, process: history.firstLine(of: history.operations[Int(entry.operation)]).process,
            outcome: entry.outcome == .ok ? .ok : .info, ackIndex: acknowledged?.index, ackTimeNs: acknowledged?.timeNs,
            broker: send.broker, leaderEpoch: send.leaderEpoch, readInstead: [],
            maxReadOffset: index.maxReadOffset[Int(place.partition)],
            maxRead: maxReadPosition >= 0 ? try index.sighting(at: maxReadPosition) : nil,
            readBy: try index.sighting(at: firstRead), finalEnd: end)
    }
    /// Fills in what reads returned at each listed write's place instead of its value, with one
    /// pass over the reads (made only when something was lost).
    private static func withReadsInstead(_ index: HistoryIndex, _ listed: [LostWrite]) throws -> [LostWrite] {
        guard !listed.isEmpty else { return listed }
        let history = index.history
        struct Place: Hashable {
            var topic: String
            var partition: Int32
            var offset: Int64
        }
        var wanted: [Place: [ValueSighting]] = [:]
        for write in listed { wanted[Place(topic: write.topic, partition: write.partition, offset: write.offset)] = [] }
        for operation in history.operations where operation.f.isRead {
            guard let position = operation.completionPosition, case .poll(let poll) = history.ops[position].value else {
                continue
            }
            for record in poll.records {
                let place = Place(topic: record.topic, partition: record.partition, offset: record.offset)
                guard let seen = wanted[place], seen.count < OffsetValueCheckers.sightingLimit,
                      !seen.contains(where: { $0.value == record.value })
                else { continue }
                wanted[place]!.append(ValueSighting(value: record.value, seenBy: try index.sighting(at: Int32(position))))
            }
        }
        return listed.map { write in
            var write = write
            write.readInstead = (wanted[Place(topic: write.topic, partition: write.partition, offset: write.offset)] ?? [])
                .filter { $0.value != write.value }
            return write
        }
    }
}
