import KafkaProtocol

/// How long a partition took to take writes again after a fault hit its leader.
public struct Failover: Sendable, Hashable, Codable {
    public enum Basis: String, Sendable, Hashable, Codable {
        /// The first acknowledgement from another broker or a higher leader epoch.
        case newLeaderAck = "new_leader_ack"
        /// Acknowledgements carried no broker or epoch: the first acknowledgement after the fault.
        case firstAck = "first_ack"
    }

    public var faultId: String
    public var fault: FaultKind
    public var faultStartNs: Int64
    public var topic: String
    public var partition: Int32
    /// The leader when the fault started, and its epoch when known.
    public var oldLeader: Int32
    public var oldLeaderEpoch: Int32?
    /// From the first qualifying acknowledgement (nil when there was none).
    public var recoveredNs: Int64?
    public var failoverMs: Double?
    public var basis: Basis?
    public var newLeader: Int32?
    public var newLeaderEpoch: Int32?
    /// From fault start to the first metadata sample naming a different leader (or a higher
    /// epoch): when the cluster, as opposed to producers, had moved on.
    public var metadataFailoverMs: Double?

    enum CodingKeys: String, CodingKey {
        case fault, topic, partition, basis
        case faultId = "fault_id"
        case faultStartNs = "fault_start_ns"
        case oldLeader = "old_leader"
        case oldLeaderEpoch = "old_leader_epoch"
        case recoveredNs = "recovered_ns"
        case failoverMs = "failover_ms"
        case newLeader = "new_leader"
        case newLeaderEpoch = "new_leader_epoch"
        case metadataFailoverMs = "metadata_failover_ms"
    }
}

enum FailoverFigures {
    /// Faults that take a broker away from its partitions' clients.
    static let leaderFaults: Set<FaultKind> = [.crash, .stop, .isolate, .pause, .powerLoss]

    static func measure(_ history: History, sends: SendTable, timeline: Timeline, samples: ClusterSamples) -> [Failover] {
        let faults = timeline.faults.filter { $0.fault.action == .start && leaderFaults.contains($0.fault.fault) }
        guard !faults.isEmpty else { return [] }
        let acks = acknowledgements(history, sends: sends)
        var failovers: [Failover] = []
        for (time, fault) in faults {
            let targets = Set(fault.targets.compactMap(BrokerName.id))
            guard !targets.isEmpty else { continue }
            let leaders = leadersAt(time, timeline: timeline, samples: samples)
            for partition in leaders.keys.sorted() {
                let leader = leaders[partition]!
                // Internal topics (`__consumer_offsets`) take no workload writes, so no acknowledgement
                // could ever time their failover.
                guard targets.contains(leader.broker), !partition.topic.hasPrefix("__") else { continue }
                var failover = Failover(
                    faultId: fault.id, fault: fault.fault, faultStartNs: time, topic: partition.topic,
                    partition: partition.partition, oldLeader: leader.broker, oldLeaderEpoch: leader.epoch)
                if let ack = firstNewLeaderAck(acks[partition] ?? [], after: time, leader: leader) {
                    failover.recoveredNs = ack.timeNs
                    failover.failoverMs = Double(ack.timeNs - time) / 1e6
                    failover.basis = ack.send.broker == nil && ack.send.leaderEpoch == nil ? .firstAck : .newLeaderAck
                    failover.newLeader = ack.send.broker
                    failover.newLeaderEpoch = ack.send.leaderEpoch
                }
                failover.metadataFailoverMs = samples.samples.first { sample in
                    guard sample.timeNs > time, let state = sample.partitions?[partition], state.hasLeader else { return false }
                    return state.leader != leader.broker || (state.leaderEpoch ?? Int32.min) > (leader.epoch ?? Int32.max)
                }.map { Double($0.timeNs - time) / 1e6 }
                failovers.append(failover)
            }
        }
        return failovers
    }

    /// Acknowledged sends per partition, in completion order.
    static func acknowledgements(_ history: History, sends: SendTable) -> [TopicPartition: [(timeNs: Int64, send: SendValue)]] {
        var acks: [TopicPartition: [(timeNs: Int64, send: SendValue)]] = [:]
        for entry in sends.entries where entry.outcome == .ok && entry.partition >= 0 {
            guard let send = history.send(of: history.operations[Int(entry.operation)]) else { continue }
            acks[sends.partitions[Int(entry.partition)], default: []].append((history.timeNs(at: entry.completionPosition), send))
        }
        for key in acks.keys { acks[key]!.sort { $0.timeNs < $1.timeNs } }
        return acks
    }

    /// Each partition's leader when the fault started: from the last metadata sample that knew
    /// it, or else from the last `became_leader` event.
    static func leadersAt(_ timeNs: Int64, timeline: Timeline, samples: ClusterSamples)
        -> [TopicPartition: (broker: Int32, epoch: Int32?)]
    {
        var leaders: [TopicPartition: (broker: Int32, epoch: Int32?)] = [:]
        for (time, event) in timeline.brokerEvents where time <= timeNs && event.event == .becameLeader {
            guard let topic = event.topic, let partition = event.partition else { continue }
            leaders[TopicPartition(topic, partition)] = (event.broker, event.leaderEpoch)
        }
        for partition in samples.partitions {
            if let state = samples.leader(of: partition, atOrBefore: timeNs) {
                leaders[partition] = (state.leader, state.leaderEpoch)
            }
        }
        return leaders
    }

    /// The first acknowledgement after the fault that a new leader gave: another broker, or a
    /// higher epoch. An acknowledgement without broker or epoch qualifies by time alone.
    static func firstNewLeaderAck(
        _ acks: [(timeNs: Int64, send: SendValue)], after timeNs: Int64, leader: (broker: Int32, epoch: Int32?)
    ) -> (timeNs: Int64, send: SendValue)? {
        var low = 0
        var high = acks.count
        while low < high {
            let middle = (low + high) / 2
            if acks[middle].timeNs <= timeNs { low = middle + 1 } else { high = middle }
        }
        return acks[low...].first { ack in
            let send = ack.send
            if send.broker == nil && send.leaderEpoch == nil { return true }
            if let broker = send.broker, broker != leader.broker { return true }
            if let epoch = send.leaderEpoch, let old = leader.epoch, epoch > old { return true }
            return false
        }
    }
}
