import KafkaProtocol

/// A partition moving from its `original` replicas to `target` ones (KIP-455, Kafka's ZooKeeper-mode
/// reassignment). While it lasts the partition's replicas are the full set: the target, then the
/// original replicas that leave.
public struct PartitionReassignment: Sendable, Equatable {
    /// The replicas it moves to, the first preferred.
    public var target: [Int32]
    /// The replicas it had when the move began (a move that replaces another keeps the first's).
    public var original: [Int32]

    public init(target: [Int32], original: [Int32]) {
        self.target = target
        self.original = original
    }

    /// RS + TRS, as Kafka orders it: the target, then the original replicas not in it.
    public var replicas: [Int32] { target + original.filter { !target.contains($0) } }
    public var adding: [Int32] { target.filter { !original.contains($0) } }
    public var removing: [Int32] { original.filter { !target.contains($0) } }
}

/// Partition reassignment (AlterPartitionReassignments, ListPartitionReassignments) as Kafka's
/// ZooKeeper-mode controller runs it:
///
/// 1. The topic's assignment node records the full set with its adding and removing replicas, and
///    the partition's leader epoch is bumped: every replica of the full set gets LeaderAndIsr, so
///    the new ones start following the leader.
/// 2. The leader adds them to the ISR as they catch up; each ISR change notification brings the
///    partition back here, and once every target replica is in sync the move completes: leadership
///    stays if the leader is in the target, else moves to the first target replica in sync; the
///    ISR shrinks to the target (one epoch bump for both); the leaving replicas get StopReplica
///    with delete; the node records the target alone.
///
/// Everything a new controller needs is in the assignment node, so a failover carries the move on
/// (`onTopicRead` reads it, `onClusterLoaded` completes what can be). A cancellation is a move back
/// to the original replicas: the ones being added stop.
extension ControllerStateMachine {
    /// Why the move of `tp` to `target` (nil: cancel its move) is refused, as AlterPartitionReassignments
    /// answers it, or nil when it can start.
    public func reassignmentRefusal(_ tp: TopicPartition, target: [Int32]?, allowReplicationFactorChange: Bool = true) -> (ErrorCode, String)? {
        guard !replicas(of: tp).isEmpty, states[tp] != nil else {
            return (.unknownTopicOrPartition, "partition \(tp) does not exist (or has no state yet)")
        }
        guard let target else {
            return reassignments[tp] == nil ? (.noReassignmentInProgress, "partition \(tp) has no reassignment in progress") : nil
        }
        guard !target.isEmpty else { return (.invalidReplicaAssignment, "the replica list of \(tp) is empty") }
        guard Set(target).count == target.count else { return (.invalidReplicaAssignment, "the replica list \(target) of \(tp) names a broker twice") }
        let unknown = target.filter { !registered.contains($0) }
        guard unknown.isEmpty else {
            return (.invalidReplicaAssignment, "brokers \(unknown) of the replica list \(target) of \(tp) are not registered")
        }
        let current = reassignments[tp]?.original ?? replicas(of: tp)
        if !allowReplicationFactorChange && target.count != current.count {
            return (.invalidReplicaAssignment, "moving \(tp) from \(current.count) to \(target.count) replicas changes its replication factor, which the request does not allow")
        }
        return nil
    }

    /// AlterPartitionReassignments: each move (nil cancels the partition's move, sending it back to
    /// its original replicas) that `reassignmentRefusal` lets through starts, and any already in
    /// sync completes at once.
    public mutating func onReassignmentsRequested(_ moves: [TopicPartition: [Int32]?], allowReplicationFactorChange: Bool = true) -> [ControllerDirective] {
        var unneeded: [TopicPartition: [Int32]] = [:]
        for (tp, target) in moves where reassignmentRefusal(tp, target: target, allowReplicationFactorChange: allowReplicationFactorChange) == nil {
            let before = replicas(of: tp)
            let original = reassignments[tp]?.original ?? before
            let move = PartitionReassignment(target: target ?? original, original: original)
            reassignments[tp] = move
            assignments[tp.topic]?[tp.partition] = move.replicas
            unneeded[tp] = before.filter { !move.replicas.contains($0) }
        }
        guard !unneeded.isEmpty else { return [] }
        return run([.startReassignments(unneeded), .completeReassignments(unneeded.keys.sorted())])
    }

    /// The moves in progress among `partitions` (nil: all), as ListPartitionReassignments reports them.
    public func reassignmentsInProgress(_ partitions: [TopicPartition]?) -> [TopicPartition: PartitionReassignment] {
        guard let partitions else { return reassignments }
        return reassignments.filter { partitions.contains($0.key) }
    }

    /// The topic's assignment node as it should now read.
    func assignmentWrite(_ topic: String) -> ControllerDirective {
        var moving: [Int32: PartitionReassignment] = [:]
        for (tp, move) in reassignments where tp.topic == topic { moving[tp.partition] = move }
        return .writeAssignment(topic: topic, assignment: assignments[topic] ?? [:], reassignments: moving)
    }

    /// The moves of `written` partitions are in sync on their targets: the assignment becomes the
    /// target, the target replicas learn the new state, the leaving ones stop and delete their logs.
    mutating func completeMoves(_ written: [TopicPartition]) -> [ControllerDirective] {
        guard !written.isEmpty else { return [] }
        var leaving: [TopicPartition: [Int32]] = [:]
        for tp in written {
            guard let move = reassignments.removeValue(forKey: tp) else { continue }
            leaving[tp] = replicas(of: tp).filter { !move.target.contains($0) }
            assignments[tp.topic]?[tp.partition] = move.target
        }
        var directives = propagate(written)
        for tp in written {
            for broker in leaving[tp] ?? [] where registered.contains(broker) {
                directives.append(.stopReplica(broker: broker, partitions: [tp], delete: true))
            }
        }
        for topic in Set(written.map(\.topic)).sorted() { directives.append(assignmentWrite(topic)) }
        for tp in written {
            directives.append(.log(.info, "controller: reassignment of \(tp) to \(replicas(of: tp)) completed; removed \(leaving[tp] ?? [])"))
        }
        return directives
    }
}
