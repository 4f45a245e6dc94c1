/// Lost writes told as a story: runs of consecutive lost offsets in one partition, with who
/// acknowledged them, which leader took over afterwards and which truncation removed them, from
/// the brokers' own event logs in the timeline.
public struct LostRange: Sendable, Hashable, Codable {
    /// A leader term: a broker leading the partition at an epoch, from its `became_leader` event.
    public struct Term: Sendable, Hashable, Codable {
        public var broker: Int32
        public var leaderEpoch: Int32?
        public var sinceNs: Int64

        enum CodingKeys: String, CodingKey {
            case broker
            case leaderEpoch = "leader_epoch"
            case sinceNs = "since_ns"
        }
    }

    /// A broker's `truncate` event that cut through the range.
    public struct Cut: Sendable, Hashable, Codable {
        public var broker: Int32
        public var fromOffset: Int64
        public var toOffset: Int64
        public var timeNs: Int64

        enum CodingKeys: String, CodingKey {
            case broker
            case fromOffset = "from_offset"
            case toOffset = "to_offset"
            case timeNs = "time_ns"
        }
    }

    public var topic: String
    public var partition: Int32
    /// The lowest and highest acknowledged offsets of the range (-1 when unknown).
    public var firstOffset: Int64
    public var lastOffset: Int64
    public var count: Int
    /// When the first and last of them were acknowledged (nil for writes proven only by reads).
    public var firstAckNs: Int64?
    public var lastAckNs: Int64?
    /// The leaders whose terms covered the acknowledgements.
    public var acknowledgedBy: [Term]
    /// The first leader elected after the last acknowledgement.
    public var tookOver: Term?
    /// Truncations reported after the first acknowledgement that cut below the range's end.
    public var truncations: [Cut]
    /// Where the final read found the partition's log to end.
    public var finalEnd: Int64?
    public var reasons: [LostWrite.Reason]
    /// False when the timeline holds no broker event at all (a broker that writes no Samsa event
    /// log, or an external cluster): then "no truncation" means "none could be seen". Nil in
    /// reports written before it.
    public var brokerEventsRecorded: Bool?

    enum CodingKeys: String, CodingKey {
        case topic, partition, count, truncations, reasons
        case firstOffset = "first_offset"
        case lastOffset = "last_offset"
        case firstAckNs = "first_ack_ns"
        case lastAckNs = "last_ack_ns"
        case acknowledgedBy = "acknowledged_by"
        case tookOver = "took_over"
        case finalEnd = "final_end"
        case brokerEventsRecorded = "broker_events_recorded"
    }

    /// One sentence for people, times relative to `startNs`.
    public func words(startNs: Int64) -> String {
        func at(_ ns: Int64) -> String {
            let seconds = Double(ns - startNs) / 1e9
            return "+" + String(format: "%.2f", seconds) + " s"
        }
        func term(_ term: Term) -> String {
            "broker \(term.broker)" + (term.leaderEpoch.map { " (epoch \($0))" } ?? "")
        }
        let place = firstOffset == lastOffset ? "offset \(firstOffset)" : "offsets \(firstOffset)–\(lastOffset)"
        var text = "\(topic)/\(partition) \(place): \(count) acknowledged write(s) lost"
        if let first = firstAckNs, let last = lastAckNs {
            text += first == last ? ", acknowledged at \(at(first))" : ", acknowledged between \(at(first)) and \(at(last))"
            if !acknowledgedBy.isEmpty {
                text += " while " + acknowledgedBy.map(term).joined(separator: ", then ") + " led"
            }
        }
        if let tookOver { text += "; \(term(tookOver)) took over at \(at(tookOver.sinceNs))" }
        if truncations.isEmpty && brokerEventsRecorded == false {
            text += "; truncations are known only from Samsa's broker event logs, and none was recorded in this run"
        } else if truncations.isEmpty {
            text += "; no broker reported truncating them"
        } else {
            text += "; " + truncations.map { "broker \($0.broker) truncated from \($0.fromOffset) to \($0.toOffset) at \(at($0.timeNs))" }
                .joined(separator: ", ")
        }
        if let finalEnd { text += "; the final read found the log ending at \(finalEnd)" }
        return text
    }

    /// Groups lost writes into ranges: per partition, by offset, a range ends where an acknowledged
    /// write that survived sits between two lost ones. `survivingOffsets` are, per partition, the
    /// offsets of acknowledged writes that were not lost.
    static func build(_ lost: [LostWrite], survivingOffsets: [TopicPartitionKey: [Int64]], timeline: Timeline, limit: Int) -> [LostRange] {
        guard !lost.isEmpty else { return [] }
        let byPartition = Dictionary(grouping: lost) { TopicPartitionKey(topic: $0.topic, partition: $0.partition) }
        let leadership = LeadershipIndex(timeline)
        let eventsRecorded = !timeline.brokerEvents.isEmpty
        var ranges: [LostRange] = []
        for key in byPartition.keys.sorted() {
            let writes = byPartition[key]!.sorted { ($0.offset, $0.ackTimeNs ?? 0) < ($1.offset, $1.ackTimeNs ?? 0) }
            let survivors = (survivingOffsets[key] ?? []).sorted()
            var current: [LostWrite] = []
            var survivorIndex = 0
            for write in writes {
                if let previous = current.last {
                    while survivorIndex < survivors.count && survivors[survivorIndex] <= previous.offset { survivorIndex += 1 }
                    let survivorBetween = survivorIndex < survivors.count && survivors[survivorIndex] < write.offset
                    if survivorBetween {
                        ranges.append(range(current, key, leadership, eventsRecorded: eventsRecorded))
                        current = []
                    }
                }
                current.append(write)
            }
            if !current.isEmpty { ranges.append(range(current, key, leadership, eventsRecorded: eventsRecorded)) }
            if ranges.count >= limit { break }
        }
        return Array(ranges.prefix(limit))
    }

    private static func range(_ writes: [LostWrite], _ key: TopicPartitionKey, _ leadership: LeadershipIndex, eventsRecorded: Bool) -> LostRange {
        let acks = writes.compactMap(\.ackTimeNs).sorted()
        let offsets = writes.map(\.offset).filter { $0 >= 0 }
        var acknowledgedBy: [Term] = []
        for time in acks {
            if let term = leadership.term(of: key, at: time), acknowledgedBy.last != term { acknowledgedBy.append(term) }
        }
        let lastAck = acks.last
        let lastEpoch = acknowledgedBy.last?.leaderEpoch
        let tookOver = lastAck.flatMap { leadership.next(of: key, after: $0, beyondEpoch: lastEpoch) }
        let first = offsets.min() ?? -1
        let last = offsets.max() ?? -1
        var cuts: [Cut] = []
        if let firstAck = acks.first, first >= 0 {
            cuts = leadership.truncations(of: key).filter { cut in
                cut.timeNs >= firstAck && cut.toOffset <= last && cut.fromOffset > first
            }
        }
        var reasons: [LostWrite.Reason] = []
        for write in writes where !reasons.contains(write.reason) { reasons.append(write.reason) }
        return LostRange(
            topic: key.topic, partition: key.partition, firstOffset: first, lastOffset: last, count: writes.count,
            firstAckNs: acks.first, lastAckNs: lastAck, acknowledgedBy: Array(acknowledgedBy.prefix(5)), tookOver: tookOver,
            truncations: Array(cuts.prefix(10)), finalEnd: writes.compactMap(\.finalEnd).first, reasons: reasons,
            brokerEventsRecorded: eventsRecorded)
    }
}

/// A topic and partition as a sortable key (the checkers' own `TopicPartition` is not `Comparable`
/// across modules the same way).
struct TopicPartitionKey: Hashable, Comparable {
    var topic: String
    var partition: Int32

    static func < (lhs: TopicPartitionKey, rhs: TopicPartitionKey) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }

    struct Place: Hashable {
        var key: TopicPartitionKey
        var offset: Int64
    }

    func place(_ offset: Int64) -> Place { Place(key: self, offset: offset) }
}

/// Leader terms and truncations per partition, from the brokers' events.
private struct LeadershipIndex {
    private var terms: [TopicPartitionKey: [LostRange.Term]] = [:]
    private var cuts: [TopicPartitionKey: [LostRange.Cut]] = [:]

    init(_ timeline: Timeline) {
        for (time, event) in timeline.brokerEvents {
            guard let topic = event.topic, let partition = event.partition else { continue }
            let key = TopicPartitionKey(topic: topic, partition: partition)
            switch event.event {
            case .becameLeader:
                terms[key, default: []].append(LostRange.Term(broker: event.broker, leaderEpoch: event.leaderEpoch, sinceNs: time))
            case .truncate:
                guard let from = event.fromOffset, let to = event.toOffset, to < from else { continue }
                cuts[key, default: []].append(LostRange.Cut(broker: event.broker, fromOffset: from, toOffset: to, timeNs: time))
            default:
                break
            }
        }
    }

    /// The term that began last at or before `time`.
    func term(of key: TopicPartitionKey, at time: Int64) -> LostRange.Term? {
        terms[key]?.last { $0.sinceNs <= time }
    }

    /// The first term after `time` with a newer epoch than `epoch` (any, when the epoch is unknown).
    func next(of key: TopicPartitionKey, after time: Int64, beyondEpoch epoch: Int32?) -> LostRange.Term? {
        terms[key]?.first { term in
            term.sinceNs > time && (epoch == nil || (term.leaderEpoch ?? Int32.max) > epoch!)
        }
    }

    func truncations(of key: TopicPartitionKey) -> [LostRange.Cut] { cuts[key] ?? [] }
}
