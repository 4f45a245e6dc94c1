import KafkaProtocol

/// One change of a partition's ISR.
public struct IsrChange: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case shrink, expand
    }

    public enum Source: String, Sendable, Hashable, Codable {
        /// The leader's own `isr_shrink` / `isr_expand` event.
        case brokerEvent = "broker_event"
        /// Two consecutive metadata samples that disagree (used when the brokers logged no ISR
        /// events for the partition); the change happened somewhere between them.
        case metadata
    }

    public var timeNs: Int64
    public var kind: Kind
    public var source: Source
    /// The broker that logged it (its leader), for broker events.
    public var broker: Int32?
    public var oldIsr: [Int32]
    public var newIsr: [Int32]
    public var reason: String?

    enum CodingKeys: String, CodingKey {
        case kind, source, broker, reason
        case timeNs = "time_ns"
        case oldIsr = "old_isr"
        case newIsr = "new_isr"
    }
}

/// A partition's ISR size from one metadata sample on, while it stays the same. Nil sizes mean
/// the observers knew nothing (unreachable, or the partition missing from the answer).
public struct IsrSizePoint: Sendable, Hashable, Codable {
    public var timeNs: Int64
    public var isrSize: Int?
    public var replicaCount: Int?

    enum CodingKeys: String, CodingKey {
        case timeNs = "time_ns"
        case isrSize = "isr_size"
        case replicaCount = "replica_count"
    }
}

/// ISR figures of one partition.
public struct PartitionIsrFigures: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    public var shrinks: Int
    public var expands: Int
    public var changes: [IsrChange]
    public var sizes: [IsrSizePoint]
    /// Time with |ISR| < |replicas|, and with |ISR| < min.insync.replicas, each sample's state
    /// held until the next sample. Time after an unreachable sample counts as neither.
    public var underReplicatedMs: Double
    public var underMinIsrMs: Double
    /// Time covered by samples that knew the partition's state.
    public var observedMs: Double

    enum CodingKeys: String, CodingKey {
        case topic, partition, shrinks, expands, changes, sizes
        case underReplicatedMs = "under_replicated_ms"
        case underMinIsrMs = "under_min_isr_ms"
        case observedMs = "observed_ms"
    }
}

enum IsrFigures {
    static func measure(_ timeline: Timeline, samples: ClusterSamples, parameters: RunParameters) -> [PartitionIsrFigures] {
        var events: [TopicPartition: [IsrChange]] = [:]
        for (time, event) in timeline.brokerEvents {
            guard event.event == .isrShrink || event.event == .isrExpand,
                  let topic = event.topic, let partition = event.partition
            else { continue }
            events[TopicPartition(topic, partition), default: []].append(IsrChange(
                timeNs: time, kind: event.event == .isrShrink ? .shrink : .expand, source: .brokerEvent,
                broker: event.broker, oldIsr: event.oldIsr ?? [], newIsr: event.newIsr ?? [], reason: event.reason))
        }
        let partitions = Set(samples.partitions).union(events.keys).sorted()
        return partitions.map { partition in
            let held = samples.held(partition)
            let changes = events[partition] ?? metadataChanges(held)
            var figures = PartitionIsrFigures(
                topic: partition.topic, partition: partition.partition,
                shrinks: changes.filter { $0.kind == .shrink }.count, expands: changes.filter { $0.kind == .expand }.count,
                changes: changes, sizes: [], underReplicatedMs: 0, underMinIsrMs: 0, observedMs: 0)
            let minIsr = Int(parameters.minInSyncReplicas(topic: partition.topic))
            var underReplicatedNs: Int64 = 0
            var underMinNs: Int64 = 0
            var observedNs: Int64 = 0
            for sample in held {
                let point = IsrSizePoint(timeNs: sample.timeNs, isrSize: sample.state?.isr.count, replicaCount: sample.state?.replicas.count)
                if figures.sizes.last.map({ ($0.isrSize, $0.replicaCount) != (point.isrSize, point.replicaCount) }) ?? true {
                    figures.sizes.append(point)
                }
                guard let state = sample.state else { continue }
                observedNs += sample.durationNs
                if state.isr.count < state.replicas.count { underReplicatedNs += sample.durationNs }
                if state.isr.count < minIsr { underMinNs += sample.durationNs }
            }
            figures.underReplicatedMs = Double(underReplicatedNs) / 1e6
            figures.underMinIsrMs = Double(underMinNs) / 1e6
            figures.observedMs = Double(observedNs) / 1e6
            return figures
        }
    }

    /// Shrinks and expands inferred from consecutive known ISRs; a sample that both drops and
    /// adds members yields one of each.
    static func metadataChanges(_ held: [(timeNs: Int64, durationNs: Int64, state: PartitionState?)]) -> [IsrChange] {
        var changes: [IsrChange] = []
        var previous: [Int32]?
        for sample in held {
            guard let isr = sample.state?.isr else { continue }
            defer { previous = isr }
            guard let before = previous else { continue }
            let old = Set(before)
            let new = Set(isr)
            if !old.subtracting(new).isEmpty {
                changes.append(IsrChange(timeNs: sample.timeNs, kind: .shrink, source: .metadata, oldIsr: before, newIsr: isr))
            }
            if !new.subtracting(old).isEmpty {
                changes.append(IsrChange(timeNs: sample.timeNs, kind: .expand, source: .metadata, oldIsr: before, newIsr: isr))
            }
        }
        return changes
    }
}
