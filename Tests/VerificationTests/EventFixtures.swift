import Verification

/// Checkers whose verdict rests on the timeline (or on data only a lab run records): unknown on a
/// history checked alone.
let timelineCheckers: Set<String> = [
    "single-leader", "unclean-election", "leader-outside-isr", "acks-under-min-isr", "stalled-follower-in-isr", "poll-above-hw",
]

/// Timeline records for the event-invariant tests, times in milliseconds, topic "t".
enum EventFixtures {
    static let ms: Int64 = 1_000_000

    static func broker(_ timeMs: Int64, _ event: BrokerEvent) -> TimelineRecord {
        TimelineRecord(timeNs: timeMs * ms, observer: "broker-\(event.broker)", .brokerEvent(event))
    }

    static func becameLeader(_ timeMs: Int64, broker id: Int32, epoch: Int32, isr: [Int32], version: Int32?,
                             partition: Int32 = 0) -> TimelineRecord {
        broker(timeMs, BrokerEvent(broker: id, event: .becameLeader, topic: "t", partition: partition, leaderEpoch: epoch,
                                   isr: isr, stateVersion: version))
    }

    static func isrChange(_ timeMs: Int64, broker id: Int32, epoch: Int32, old: [Int32], new: [Int32], version: Int32?,
                          partition: Int32 = 0, hw: Int64? = nil) -> TimelineRecord {
        broker(timeMs, BrokerEvent(broker: id, event: new.count < old.count ? .isrShrink : .isrExpand, topic: "t",
                                   partition: partition, leaderEpoch: epoch, oldIsr: old, newIsr: new, stateVersion: version, hw: hw))
    }

    static func elected(_ timeMs: Int64, controller: Int32, leader: Int32, epoch: Int32, oldIsr: [Int32], newIsr: [Int32],
                        prior: Int32, version: Int32, unclean: Bool = false, partition: Int32 = 0) -> TimelineRecord {
        broker(timeMs, BrokerEvent(broker: controller, event: .leaderElected, topic: "t", partition: partition, leaderEpoch: epoch,
                                   leader: leader, oldIsr: oldIsr, newIsr: newIsr, stateVersion: version, priorStateVersion: prior,
                                   unclean: unclean))
    }

    static func metadata(_ timeMs: Int64, leader: Int32, epoch: Int32 = 0, replicas: [Int32] = [1, 2, 3], isr: [Int32],
                         partition: Int32 = 0) -> TimelineRecord {
        TimelineRecord(timeNs: timeMs * ms, observer: "metadata", .metadata(MetadataSample(
            controller: 1, brokers: [1, 2, 3],
            partitions: [PartitionState(topic: "t", partition: partition, leader: leader, leaderEpoch: epoch, replicas: replicas,
                                        isr: isr)])))
    }

    /// Samples every 500 ms over `[fromMs, toMs]`, with the ISR `isr(timeMs)` gives.
    static func metadata(from fromMs: Int64, to toMs: Int64, leader: Int32, isr: (Int64) -> [Int32]) -> [TimelineRecord] {
        stride(from: fromMs, through: toMs, by: 500).map { metadata($0, leader: leader, isr: isr($0)) }
    }

    static func process(_ timeMs: Int64, _ name: String, _ state: ProcessRecord.State) -> TimelineRecord {
        TimelineRecord(timeNs: timeMs * ms, .process(ProcessRecord(name: name, state: state)))
    }

    static func fault(_ timeMs: Int64, id: String, _ action: FaultRecord.Action, _ kind: FaultKind, targets: [String] = [],
                      links: [String]? = nil) -> TimelineRecord {
        TimelineRecord(timeNs: timeMs * ms, .fault(FaultRecord(id: id, action: action, fault: kind, targets: targets, links: links)))
    }
}

extension HistoryBuilder {
    /// The next line is written at `timeMs`.
    mutating func at(_ timeMs: Int64) {
        timeNs = timeMs * EventFixtures.ms - stepNs
    }

    /// A send invoked at `invokeMs` and acknowledged at `ackMs`.
    mutating func send(_ process: String, _ value: String, invokeMs: Int64, ackMs: Int64, offset: Int64, broker: Int32 = 1) {
        at(invokeMs)
        invokeSend(process, value)
        at(ackMs)
        completeSend(process, value, offset: offset, broker: broker)
    }

    /// An ok poll at `timeMs` of `records` on partition 0 with the consumer's cached HW `hw`.
    mutating func poll(_ process: String, atMs timeMs: Int64, _ records: [(Int64, String)], hw: Int64?) {
        at(timeMs)
        line(process, .invoke, .poll)
        let read = records.map { ReadRecord(topic: "t", partition: 0, offset: $0.0, value: $0.1) }
        let marks = hw.map { [PartitionHighWatermark(topic: "t", partition: 0, hw: $0)] }
        line(process, .ok, .poll, .poll(PollValue(records: read, hw: marks)))
    }
}
