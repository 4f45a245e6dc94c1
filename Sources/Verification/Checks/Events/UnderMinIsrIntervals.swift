import KafkaProtocol

/// A span during which a partition's leader, by its own reports, held an ISR smaller than
/// `min.insync.replicas`: an acks=all produce appended then could not be committed.
public struct UnderMinIsrInterval: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    /// The report that opened it: the leader, its epoch and the ISR it reported.
    public var leader: Int32
    public var leaderEpoch: Int32
    public var isr: [Int32]
    public var minInSyncReplicas: Int32
    public var startNs: Int64
    /// The report that showed an ISR of at least min again (from this leader or a newer one);
    /// nil when none came before the timeline ended.
    public var endNs: Int64?
    /// For a span a leader opened by shrinking its own ISR: its HW at that moment (from the
    /// `isr_shrink` line). Nothing at or above it was committed before the shrink, so an acks=all
    /// acknowledgement of such an offset within the span was decided under min ISR.
    public var hwAtStart: Int64?

    enum CodingKeys: String, CodingKey {
        case topic, partition, leader, isr
        case leaderEpoch = "leader_epoch"
        case minInSyncReplicas = "min_insync_replicas"
        case startNs = "start_ns"
        case endNs = "end_ns"
        case hwAtStart = "hw_at_start"
    }
}

extension UnderMinIsrInterval {
    /// Each partition's under-min-ISR spans, in time order, from the leaders' own `became_leader`
    /// (ISR it was given) and `isr_shrink`/`isr_expand` (ISR it committed) events. Only reports of
    /// the newest leader epoch seen count: a deposed leader's late line says nothing about the
    /// partition. A span stays open while the partition is leaderless (nobody can acknowledge
    /// then) and closes only when some current leader reports an ISR of min or more.
    static func build(_ timeline: Timeline, parameters: RunParameters) -> [TopicPartition: [UnderMinIsrInterval]] {
        struct Current {
            var leader: Int32 = -1
            var epoch: Int32 = -1
            var open: UnderMinIsrInterval?
        }
        var current: [TopicPartition: Current] = [:]
        var result: [TopicPartition: [UnderMinIsrInterval]] = [:]
        for record in timeline.records {
            guard case .brokerEvent(let event) = record.body, let topic = event.topic, let number = event.partition,
                  parameters.topics[topic] != nil else { continue }
            let isr: [Int32]
            switch event.event {
            case .becameLeader:
                guard let given = event.isr else { continue }
                isr = given
            case .isrShrink, .isrExpand:
                guard let committed = event.newIsr else { continue }
                isr = committed
            default:
                continue
            }
            let tp = TopicPartition(topic, number)
            var state = current[tp] ?? Current()
            let epoch = event.leaderEpoch ?? state.epoch
            if event.event == .becameLeader {
                guard epoch >= state.epoch else { continue }
                state.leader = event.broker
                state.epoch = epoch
            } else {
                guard event.broker == state.leader, epoch == state.epoch else { continue }
            }
            let minIsr = parameters.minInSyncReplicas(topic: topic)
            if Int32(isr.count) < minIsr {
                if state.open == nil {
                    state.open = UnderMinIsrInterval(
                        topic: topic, partition: number, leader: event.broker, leaderEpoch: epoch, isr: isr,
                        minInSyncReplicas: minIsr, startNs: record.timeNs, endNs: nil,
                        hwAtStart: event.event == .isrShrink ? event.hw : nil)
                }
            } else if var open = state.open {
                open.endNs = record.timeNs
                result[tp, default: []].append(open)
                state.open = nil
            }
            current[tp] = state
        }
        for (tp, state) in current {
            if let open = state.open { result[tp, default: []].append(open) }
        }
        return result
    }
}
