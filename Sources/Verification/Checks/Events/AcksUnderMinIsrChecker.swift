import KafkaProtocol

/// An acks=all send acknowledged although it was sent and answered while its partition's leader
/// held fewer in-sync replicas than `min.insync.replicas`: it was appended under min ISR and cannot
/// have been committed as acks=all promises.
public struct AcksUnderMinIsr: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    public var value: String
    public var offset: Int64?
    public var process: String
    /// The broker that acknowledged it, when the client said.
    public var broker: Int32?
    public var invokeNs: Int64
    public var ackNs: Int64
    public var interval: UnderMinIsrInterval

    enum CodingKeys: String, CodingKey {
        case topic, partition, value, offset, process, broker, interval
        case invokeNs = "invoke_ns"
        case ackNs = "ack_ns"
    }
}

/// "No acks=all acknowledgement while the ISR is below min.insync.replicas."
///
/// Ordering, per DESIGN.md §3 and `Partition`: a leader commits an ISR change to ZooKeeper, then
/// updates its in-memory ISR (which every later acks=all append is checked against), then logs the
/// event. So a send whose invoke (taken before the client even sent it) is later than the event
/// opening a span reached the leader after its ISR had shrunk: no slack is needed at the start.
/// At the end, the ISR grows (or a new leader takes over) a moment *before* the event line is
/// written, and a produce completed by another thread in that moment may be answered before the
/// line: the span's end is moved `endSlackNs` earlier. A send invoked before a span may have been
/// appended and committed before the shrink, legitimately acknowledged later: it is judged by the
/// span only when the leader opened it by shrinking its own ISR and said what its HW was then
/// (`hwAtStart`) — an acknowledgement of an offset at or above that HW, arriving within the span,
/// was decided after the shrink (the HW had not reached it before) and so under min ISR. This is
/// what catches a broker that completes produces already waiting when the ISR shrank.
enum AcksUnderMinIsrChecker {
    /// 500 ms: the scheduling delay between a leader's state change and its event line on a loaded
    /// two-core machine is milliseconds; the margin is generous because a broker that ignores
    /// min.insync.replicas acknowledges throughout spans that last seconds.
    static let endSlackNs: Int64 = 500_000_000

    static func check(_ index: HistoryIndex, timeline: Timeline, parameters: RunParameters,
                      limit: Int) -> CheckResult<AcksUnderMinIsr> {
        let history = index.history
        let intervals = UnderMinIsrInterval.build(timeline, parameters: parameters)
        // Per process number: acks=all (true), other acks (false), unknown (nil).
        let acksAll = history.processNames.map { parameters.acksAll(process: $0) }
        var found: [AcksUnderMinIsr] = []
        var count = 0
        var judged = 0
        var unknownAcks = 0
        let sawLeaderIsr = timeline.records.contains { record in
            if case .brokerEvent(let event) = record.body { return event.event == .becameLeader && event.isr != nil }
            return false
        }
        for entry in index.sends.entries where entry.outcome == .ok && entry.partition >= 0 {
            guard entry.invokePosition >= 0, entry.completionPosition >= 0 else { continue }
            guard let all = acksAll[Int(history.processOf[Int(entry.invokePosition)])] else {
                unknownAcks += 1
                continue
            }
            guard all else { continue }
            judged += 1
            let partition = index.partition(entry.partition)
            guard let spans = intervals[partition] else { continue }
            let invokeNs = history.timeNs(at: entry.invokePosition)
            let ackNs = history.timeNs(at: entry.completionPosition)
            // The last span that began before the invoke, or else the last that began before the ack
            // with its HW known and this offset at or above it.
            func lastSpan(before timeNs: Int64) -> Int {
                var low = 0
                var high = spans.count
                while low < high {
                    let middle = (low + high) / 2
                    if spans[middle].startNs < timeNs { low = middle + 1 } else { high = middle }
                }
                return low - 1
            }
            func within(_ span: UnderMinIsrInterval) -> Bool { ackNs < (span.endNs.map { $0 - endSlackNs } ?? Int64.max) }
            let beforeInvoke = lastSpan(before: invokeNs)
            var span: UnderMinIsrInterval?
            if beforeInvoke >= 0, within(spans[beforeInvoke]) {
                span = spans[beforeInvoke]
            } else if case let beforeAck = lastSpan(before: ackNs), beforeAck > beforeInvoke, let hw = spans[beforeAck].hwAtStart,
                      entry.offset >= hw, within(spans[beforeAck]) {
                span = spans[beforeAck]
            }
            guard let span else { continue }
            count += 1
            if found.count < limit, let send = index.send(entry) {
                found.append(AcksUnderMinIsr(
                    topic: partition.topic, partition: partition.partition, value: send.value, offset: send.offset,
                    process: history.ops[Int(entry.invokePosition)].process, broker: send.broker, invokeNs: invokeNs,
                    ackNs: ackNs, interval: span))
            }
        }
        let spanCount = intervals.values.map(\.count).reduce(0, +)
        var notes = ["\(judged) acknowledged acks=all send(s) judged against \(spanCount) under-min-ISR span(s)"]
        if unknownAcks > 0 { notes.append("\(unknownAcks) acknowledged send(s) of processes whose acks setting is not known were not judged") }
        var problems = history.problems
        problems.append(contentsOf: timeline.problems)
        var result = CheckResult.judge("acks-under-min-isr", anomalies: found, count: count, limit: limit,
                                       problems: problems, notes: notes)
        if result.verdict == .valid {
            if !sawLeaderIsr {
                result.verdict = .unknown
                result.notes.append("no became_leader event carries its ISR: the leaders' ISR over time is not known")
            } else if judged == 0 && unknownAcks > 0 {
                result.verdict = .unknown
            }
        }
        return result
    }
}
