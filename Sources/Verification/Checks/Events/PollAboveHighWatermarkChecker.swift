import KafkaProtocol

/// A consumer poll that returned a record at or above the high watermark the consumer held for
/// that partition right after the poll: a record no leader had yet committed.
public struct PollAboveHighWatermark: Sendable, Hashable, Codable {
    public var process: String
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var value: String
    /// The consumer's cached high watermark of the partition after the poll.
    public var hw: Int64
    /// The poll's completion line.
    public var index: Int
    public var timeNs: Int64

    enum CodingKeys: String, CodingKey {
        case process, topic, partition, offset, value, hw, index
        case timeNs = "time_ns"
    }
}

/// "No consumer poll returns an offset above the high watermark recorded at that moment", from
/// the `hw` each `ok` poll records (the client's cached high watermark: what the last fetch
/// response said, and the responses that delivered the returned records came no later).
///
/// A correct leader only hands consumers records below its HW, and a leader's HW never goes back,
/// so the cached HW after a poll is above every offset it returned, with one exception: after a
/// leader change the new leader's HW may lag the old one's (it learns it from its followers' next
/// fetches, and it does not advance while the ISR is under min), while the consumer still returns
/// records it fetched from the old leader. Two things excuse a record at or above the recorded HW:
/// - the same consumer recorded a higher HW for that partition earlier (the HW went back in its
///   view, which only a leader change explains), or
/// - a leader of the partition took office within `leaderChangeBeforeNs` before the poll ended
///   (or `leaderChangeAfterNs` after, for the event line's delay).
/// The observer's `offsets` samples are not used: the consumer prefetches, so a sample's time says
/// nothing about when a returned record was fetched.
enum PollAboveHighWatermarkChecker {
    /// 5 s: the new leader's HW catches up within a round of follower fetches, and the consumer
    /// drains what it prefetched from the old leader within a few polls.
    static let leaderChangeBeforeNs: Int64 = 5_000_000_000
    /// 1 s: a new leader serves fetches a moment before its `became_leader` line is written.
    static let leaderChangeAfterNs: Int64 = 1_000_000_000

    static func check(_ history: History, timeline: Timeline, limit: Int) -> CheckResult<PollAboveHighWatermark> {
        let changes = leaderChanges(timeline)
        var found: [PollAboveHighWatermark] = []
        var count = 0
        var pollsJudged = 0
        var recordsJudged = 0
        var withoutHw = 0
        var excusedByChange = 0
        var excusedByEarlierHw = 0
        var partitionIds: [TopicPartition: Int] = [:]
        // Per process number, per partition number: the highest HW it recorded so far.
        var highest: [[Int64]] = Array(repeating: [], count: history.processNames.count)
        // Records of one poll mostly share a partition: the last answer is reused without hashing.
        var last: (topic: String, partition: Int32, id: Int)?
        func partitionId(_ topic: String, _ partition: Int32) -> Int {
            if let last, last.partition == partition, last.topic == topic { return last.id }
            let key = TopicPartition(topic, partition)
            let id = partitionIds[key] ?? partitionIds.count
            if id == partitionIds.count { partitionIds[key] = id }
            last = (topic, partition, id)
            return id
        }
        // Polls that returned records: with none, no consumer read anything and there is nothing
        // to judge (valid); with some but no recorded HW, the check cannot say (unknown).
        var pollsWithRecords = 0
        for position in history.ops.indices where history.ops[position].f == .poll && history.ops[position].type == .ok {
            let op = history.ops[position]
            guard case .poll(let poll) = op.value else { continue }
            if !poll.records.isEmpty { pollsWithRecords += 1 }
            guard let marks = poll.hw else { continue }
            pollsJudged += 1
            let process = Int(history.processOf[position])
            var recorded: [(id: Int, hw: Int64)] = []
            for mark in marks where mark.hw >= 0 { recorded.append((partitionId(mark.topic, mark.partition), mark.hw)) }
            for record in poll.records {
                let id = partitionId(record.topic, record.partition)
                guard let hw = recorded.first(where: { $0.id == id })?.hw else {
                    withoutHw += 1
                    continue
                }
                recordsJudged += 1
                guard record.offset >= hw else { continue }
                if id < highest[process].count, highest[process][id] > record.offset {
                    excusedByEarlierHw += 1
                    continue
                }
                if nearLeaderChange(changes[record.topicPartition] ?? [], op.timeNs) {
                    excusedByChange += 1
                    continue
                }
                count += 1
                if found.count < limit {
                    found.append(PollAboveHighWatermark(
                        process: op.process, topic: record.topic, partition: record.partition, offset: record.offset,
                        value: record.value, hw: hw, index: op.index, timeNs: op.timeNs))
                }
            }
            for (id, hw) in recorded {
                while highest[process].count <= id { highest[process].append(-1) }
                highest[process][id] = max(highest[process][id], hw)
            }
        }
        var notes = ["\(recordsJudged) polled record(s) in \(pollsJudged) poll(s) compared with the consumer's high watermark"]
        if excusedByChange > 0 {
            notes.append("\(excusedByChange) record(s) at or above the HW excused: a leader change within 5 s before (1 s after) the poll")
        }
        if excusedByEarlierHw > 0 {
            notes.append("\(excusedByEarlierHw) record(s) at or above the HW excused: the consumer had seen a higher HW before (leader change)")
        }
        if withoutHw > 0 { notes.append("\(withoutHw) record(s) of partitions without a recorded HW were not judged") }
        var result = CheckResult.judge("poll-above-hw", anomalies: found, count: count, limit: limit, problems: history.problems,
                                       notes: notes)
        if result.verdict == .valid && pollsWithRecords == 0 {
            result.notes.append("no consumer poll returned a record: nothing to judge")
        } else if result.verdict == .valid && recordsJudged == 0 {
            result.verdict = .unknown
            result.notes.append(pollsJudged == 0
                ? "no poll records the consumer's high watermark (a workload from before the `hw` field)"
                : "no polled record had a recorded high watermark")
        }
        return result
    }

    /// Per partition, the times a leader replaced another (`became_leader` with a higher epoch than
    /// the partition's first), sorted. A partition's first leader replaced nobody: no HW lagged then.
    static func leaderChanges(_ timeline: Timeline) -> [TopicPartition: [Int64]] {
        var epochs: [TopicPartition: Int32] = [:]
        var times: [TopicPartition: [Int64]] = [:]
        for record in timeline.records {
            guard case .brokerEvent(let event) = record.body, event.event == .becameLeader, let topic = event.topic,
                  let partition = event.partition else { continue }
            let tp = TopicPartition(topic, partition)
            let epoch = event.leaderEpoch ?? Int32.max
            guard let previous = epochs[tp] else {
                epochs[tp] = epoch
                continue
            }
            guard epoch > previous || event.leaderEpoch == nil else { continue }
            epochs[tp] = epoch
            times[tp, default: []].append(record.timeNs)
        }
        return times
    }

    /// Whether a change in `sorted` lies in [timeNs - before, timeNs + after].
    static func nearLeaderChange(_ sorted: [Int64], _ timeNs: Int64) -> Bool {
        let from = timeNs - leaderChangeBeforeNs
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] < from { low = middle + 1 } else { high = middle }
        }
        return low < sorted.count && sorted[low] <= timeNs + leaderChangeAfterNs
    }
}
