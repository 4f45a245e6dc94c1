/// An acknowledged write that reads should have returned and did not.
public struct LostWrite: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    /// Where the broker said it put the value.
    public var offset: Int64
    public var value: String
    public var process: String
    /// History index of the acknowledgement.
    public var ackIndex: Int
    public var ackTimeNs: Int64
    public var broker: Int32?
    public var leaderEpoch: Int32?
    /// What reads returned at that offset instead (empty when nothing was read there).
    public var readInstead: [ValueSighting]
    /// The highest offset any ok read returned for the partition: the write sits at or below it,
    /// so it should have been read.
    public var maxReadOffset: Int64
    public var maxRead: Sighting

    enum CodingKeys: String, CodingKey {
        case topic, partition, offset, value, process, broker
        case ackIndex = "ack_index"
        case ackTimeNs = "ack_time_ns"
        case leaderEpoch = "leader_epoch"
        case readInstead = "read_instead"
        case maxReadOffset = "max_read_offset"
        case maxRead = "max_read"
    }
}

/// An acknowledged write no read returned, above the highest offset read: lost or merely never
/// reached, which a history alone cannot tell apart.
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

    enum CodingKeys: String, CodingKey {
        case topic, partition, offset, value, process, broker
        case ackIndex = "ack_index"
        case ackTimeNs = "ack_time_ns"
        case leaderEpoch = "leader_epoch"
        case maxReadOffset = "max_read_offset"
        case ackedBeforeFinalRead = "acked_before_final_read"
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

/// Jepsen's lost-write and unseen analyses, per partition.
///
/// A write counts when its send was `ok`, or `info` and some `ok` read returned its value
/// (proven visible). Such a write that no `ok` read returned is *lost* when its acknowledged
/// offset is at or below the highest offset any `ok` read returned for its partition (a reader
/// passed its place), and *unseen* otherwise. An `info` write never read is not lost: it may
/// never have happened.
///
/// Unseen is invalid only for writes acknowledged before the final read began: the final read
/// reads every partition to its end, so it should have returned them. Without a final read, or
/// for writes acknowledged later, unseen writes make the verdict unknown.
enum LostWriteChecker {
    static func check(_ index: HistoryIndex, limit: Int) throws -> (lost: CheckResult<LostWrite>, unseen: CheckResult<UnseenWrite>) {
        let history = index.history
        let finalReadStartNs = history.ops.first { $0.f == .finalRead }?.timeNs
        var lost: [LostWrite] = []
        var unseen: [UnseenWrite] = []
        for (number, entry) in index.sends.entries.enumerated() where entry.outcome == .ok {
            let value = index.sendValue[number]
            guard value >= 0, !index.readOk[Int(value)], let send = index.send(entry),
                  let partitionNumber = send.partition
            else { continue }
            let completion = history.ops[Int(entry.completionPosition)]
            let partition = entry.partition
            let maxRead = partition >= 0 ? index.maxReadOffset[Int(partition)] : -1
            if entry.offset >= 0, entry.offset <= maxRead {
                let place = PartitionOffset(partition: partition, offset: entry.offset)
                let instead = try ([index.observed[place]].compactMap { $0 } + (index.conflicts[place] ?? []))
                    .filter { $0.value != value && index.history.ops[Int($0.position)].f.isRead }
                    .map { ValueSighting(value: index.value($0.value), seenBy: try index.sighting(at: $0.position)) }
                lost.append(LostWrite(
                    topic: send.topic, partition: partitionNumber, offset: entry.offset, value: send.value,
                    process: completion.process, ackIndex: completion.index, ackTimeNs: completion.timeNs,
                    broker: send.broker, leaderEpoch: send.leaderEpoch, readInstead: instead, maxReadOffset: maxRead,
                    maxRead: try index.sighting(at: index.maxReadPosition[Int(partition)])))
            } else {
                unseen.append(UnseenWrite(
                    topic: send.topic, partition: partitionNumber, offset: send.offset, value: send.value,
                    process: completion.process, ackIndex: completion.index, ackTimeNs: completion.timeNs,
                    broker: send.broker, leaderEpoch: send.leaderEpoch, maxReadOffset: maxRead,
                    ackedBeforeFinalRead: finalReadStartNs.map { completion.timeNs < $0 } ?? false))
            }
        }
        let lostResult = CheckResult.judge("lost-write", anomalies: lost, limit: limit, problems: history.problems)
        var unseenResult = CheckResult.judge("unseen", anomalies: unseen, limit: limit, problems: history.problems)
        if unseenResult.verdict == .invalid && !unseen.contains(where: \.ackedBeforeFinalRead) {
            unseenResult.verdict = .unknown
            unseenResult.notes.append(
                finalReadStartNs == nil
                    ? "the history has no final read: unseen writes may simply not have been read yet"
                    : "every unseen write was acknowledged after the final read began")
        }
        return (lostResult, unseenResult)
    }
}
