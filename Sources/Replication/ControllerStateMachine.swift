import KafkaProtocol

/// The decisions of Kafka's ZooKeeper-mode controller (`KafkaController`) as a value type that does
/// no I/O. The shell (`Controller` in the Broker target) reads the coordination store, feeds what it
/// read in as events, and carries out the `ControllerDirective`s that come back: conditional
/// partition-state writes, LeaderAndIsr / UpdateMetadata / StopReplica requests, log lines.
///
/// Inputs: the controller was elected (`onBecameController`), the cluster as read at election or
/// after a change (`onBrokersRead`, `onTopicRead`, `onPartitionStatesRead` for ISR change
/// notifications, `onClusterLoaded`), brokers came or went (`onBrokersChanged`), topics were created
/// (`onTopicsCreated`) or marked for deletion (`onTopicMarkedForDeletion`, `onTopicDeleted`), a
/// broker asked for a controlled shutdown, the leader-rebalance timer fired, and the outcome of
/// every write it asked for (`onStateWriteOutcome`).
///
/// Writes are made one operation at a time: an operation's writes go out together, each outcome
/// comes back, and once the last is in, the operation's requests to brokers follow (only for the
/// partitions actually written). A write that meets a newer version is decided again on the state
/// read back, up to `conflictRetriesMax` times: a decision taken on a stale ISR must never be
/// written over a newer one (an election from the old ISR could pick a replica the leader has since
/// dropped).
///
/// Rules: every write bumps the leader epoch (the seeded bug `no-epoch-bump` keeps it on a leader
/// change); new leaders come from the live ISR in assignment order, from outside it only with unclean
/// election enabled for the topic (`LeaderElection`); a partition with no eligible leader goes
/// offline keeping its last ISR, as Kafka's does.
///
/// Owner: the `Controller`, which calls it from the ZooKeeper queue only, one event at a time.
public struct ControllerStateMachine: Sendable {
    /// Retries of one write after version conflicts, each decided on the fresh state. Three, as
    /// Kafka's controller: more means a leader keeps changing the ISR, and the next event will
    /// find the partition again.
    public static let conflictRetriesMax = 3

    public private(set) var controllerEpoch: Int32 = 0
    /// Brokers with a registration node (including those shutting down).
    public private(set) var registered: Set<Int32> = []
    /// Brokers in controlled shutdown: alive, but never chosen as leaders.
    public private(set) var shuttingDown: Set<Int32> = []
    /// topic → partition → assigned replicas, the first preferred.
    public internal(set) var assignments: [String: [Int32: [Int32]]] = [:]
    public private(set) var states: [TopicPartition: ControllerPartitionState] = [:]
    public private(set) var topicConfigs: [String: [String: String]] = [:]
    /// Partitions being moved to new replicas; their `assignments` entry is the full set meanwhile.
    public internal(set) var reassignments: [TopicPartition: PartitionReassignment] = [:]
    /// `unclean.leader.election.enable` of the broker, for topics that do not set it.
    public let uncleanLeaderElectionDefault: Bool
    /// Deliberate bugs switched on for testing the lab's checks (`SeededBug`); empty otherwise.
    public let seededBugs: SeededBugs

    var pending: [TopicPartition: PendingWrite] = [:]
    var operation: Operation?
    var steps: [Step] = []

    public init(uncleanLeaderElectionDefault: Bool, seededBugs: SeededBugs = []) {
        self.uncleanLeaderElectionDefault = uncleanLeaderElectionDefault
        self.seededBugs = seededBugs
    }

    /// Brokers that may lead: registered and not shutting down.
    public var liveIds: Set<Int32> { registered.subtracting(shuttingDown) }

    public func replicas(of tp: TopicPartition) -> [Int32] { assignments[tp.topic]?[tp.partition] ?? [] }

    public var allPartitions: [TopicPartition] {
        assignments.flatMap { topic, partitions in partitions.keys.map { TopicPartition(topic, $0) } }.sorted()
    }

    public func uncleanAllowed(_ topic: String) -> Bool {
        topicConfigs[topic]?["unclean.leader.election.enable"].map { $0 == "true" } ?? uncleanLeaderElectionDefault
    }

    public func view(_ tp: TopicPartition) -> ControllerPartitionView? {
        states[tp].map { ControllerPartitionView(partition: tp, state: $0, replicas: replicas(of: tp)) }
    }

    /// True while writes of an operation await their outcomes.
    public var isBusy: Bool { operation != nil || !steps.isEmpty }

    // MARK: Loading

    /// This broker became controller at `epoch` (after bumping it in the store): forget everything
    /// a previous term knew; the shell reads the cluster again and reports it.
    public mutating func onBecameController(epoch: Int32) {
        assert(epoch >= controllerEpoch, "controller epoch went back from \(controllerEpoch) to \(epoch)")
        self = ControllerStateMachine(uncleanLeaderElectionDefault: uncleanLeaderElectionDefault, seededBugs: seededBugs)
        controllerEpoch = epoch
    }

    /// The registered brokers as read now.
    public mutating func onBrokersRead(_ ids: Set<Int32>) {
        registered = ids
        shuttingDown.formIntersection(ids)
    }

    /// A topic as read: its assignment, its config overrides (nil when unreadable), each
    /// partition's state (nil when the partition has no state node yet) and the reassignments its
    /// assignment node records (`onClusterLoaded` carries them on).
    public mutating func onTopicRead(_ topic: String, assignment: [Int32: [Int32]], config: [String: String]?,
                                     states partitionStates: [Int32: ControllerPartitionState?],
                                     reassignments moving: [Int32: PartitionReassignment] = [:]) {
        assignments[topic] = assignment
        if let config { topicConfigs[topic] = config }
        for partition in assignment.keys {
            let tp = TopicPartition(topic, partition)
            states[tp] = partitionStates[partition] ?? nil
            reassignments[tp] = moving[partition]
        }
    }

    /// Leaders changed the ISR of `changed` (their ISR change notifications); `read` holds the
    /// states read back (partitions whose node could not be read keep the cached state). Every
    /// broker learns the news.
    public mutating func onPartitionStatesRead(changed: [TopicPartition], read: [TopicPartition: ControllerPartitionState]) -> [ControllerDirective] {
        for (tp, state) in read where assignments[tp.topic] != nil { states[tp] = state }
        let moving = changed.filter { reassignments[$0] != nil }.sorted()
        return updateMetadata(partitions: changed.sorted()) + (moving.isEmpty ? [] : run([.completeReassignments(moving)]))
    }

    /// The cluster is read: give new partitions their first state, elect leaders for offline ones,
    /// then tell every broker everything.
    public mutating func onClusterLoaded() -> [ControllerDirective] {
        let fresh = allPartitions.filter { states[$0] == nil }
        return run([.initialize(fresh), .electOffline, .announceAll, .completeReassignments(reassignments.keys.sorted())])
    }

    // MARK: Cluster changes

    /// The registered brokers changed to `ids`: partitions led by a departed broker get a new leader
    /// and departed brokers leave every ISR (leader epochs bumped for both); returning brokers are
    /// told their partitions, and partitions without a leader try again.
    public mutating func onBrokersChanged(_ ids: Set<Int32>) -> [ControllerDirective] {
        let before = registered
        onBrokersRead(ids)
        let dead = before.subtracting(ids)
        let born = ids.subtracting(before)
        var steps: [Step] = []
        if !dead.isEmpty { steps.append(.brokersFailed(dead)) }
        if !born.isEmpty { steps.append(.brokersStarted(born)) }
        return run(steps)
    }

    /// New topics were read (`onTopicRead`): their partitions get first states.
    public mutating func onTopicsCreated(_ topics: [String]) -> [ControllerDirective] {
        let fresh = topics.flatMap { topic in (assignments[topic] ?? [:]).keys.map { TopicPartition(topic, $0) } }
            .filter { states[$0] == nil }
        var directives = run([.initialize(fresh.sorted())])
        for topic in topics.sorted() { directives.append(.log(.info, "controller: topic \(topic) created")) }
        return directives
    }

    /// Topic overrides as re-read after an AlterConfigs (`unclean.leader.election.enable` among them).
    public mutating func onTopicConfigsRead(_ configs: [String: [String: String]]) {
        for (topic, config) in configs where assignments[topic] != nil { topicConfigs[topic] = config }
    }

    /// A topic's assignment grew (CreatePartitions wrote new partitions into it): the new partitions
    /// get their first state and leaders, as a new topic's do. Existing partitions keep their replicas.
    public mutating func onPartitionsAdded(_ topic: String, assignment: [Int32: [Int32]]) -> [ControllerDirective] {
        guard let known = assignments[topic] else { return [] }
        let added = assignment.keys.filter { known[$0] == nil }.sorted()
        guard !added.isEmpty else { return [] }
        assignments[topic] = known.merging(assignment) { old, _ in old }
        let fresh = added.map { TopicPartition(topic, $0) }.filter { states[$0] == nil }
        var directives = run([.initialize(fresh)])
        directives.append(.log(.info, "controller: topic \(topic) grew to \(known.count + added.count) partitions"))
        return directives
    }

    /// A topic was marked for deletion: its replicas stop and delete their logs, then its nodes go.
    public mutating func onTopicMarkedForDeletion(_ topic: String) -> [ControllerDirective] {
        guard let assignment = assignments[topic] else { return [.deleteMarker(topic)] }
        let partitions = assignment.keys.sorted().map { TopicPartition(topic, $0) }
        var directives: [ControllerDirective] = []
        for broker in registered.sorted() {
            let hosted = partitions.filter { assignment[$0.partition]?.contains(broker) ?? false }
            guard !hosted.isEmpty else { continue }
            directives.append(.stopReplica(broker: broker, partitions: hosted, delete: true))
        }
        directives.append(.deleteTopic(topic))
        return directives
    }

    /// The topic's nodes are gone: every broker drops it from its metadata.
    public mutating func onTopicDeleted(_ topic: String) -> [ControllerDirective] {
        let partitions = (assignments[topic] ?? [:]).keys.sorted().map { TopicPartition(topic, $0) }
        assignments[topic] = nil
        topicConfigs[topic] = nil
        for tp in partitions {
            states[tp] = nil
            reassignments[tp] = nil
        }
        return updateMetadata(partitions: [], deleted: partitions) + [.log(.info, "controller: topic \(topic) deleted")]
    }

    // MARK: Broker requests and timers

    /// Why a preferred replica election of `tp` would not happen, as ElectLeaders answers it:
    /// UNKNOWN_TOPIC_OR_PARTITION, ELECTION_NOT_NEEDED (the preferred replica leads), or
    /// PREFERRED_LEADER_NOT_AVAILABLE (it is not alive or not in the ISR); nil when it can.
    public func preferredElectionRefusal(_ tp: TopicPartition) -> ErrorCode? {
        guard let preferred = replicas(of: tp).first, let state = states[tp] else { return .unknownTopicOrPartition }
        if state.leader == preferred { return .electionNotNeeded }
        guard liveIds.contains(preferred), state.isr.contains(preferred) else { return .preferredLeaderNotAvailable }
        return nil
    }

    /// ElectLeaders with the preferred election type: each of `partitions` that can (see
    /// `preferredElectionRefusal`) gets its preferred replica as leader, with an epoch bump.
    public mutating func onPreferredElectionRequested(_ partitions: [TopicPartition]) -> [ControllerDirective] {
        run([.preferredElection(partitions.filter { preferredElectionRefusal($0) == nil }.sorted())])
    }

    /// Why an unclean election of `tp` would not happen, as ElectLeaders (type 1) answers it:
    /// UNKNOWN_TOPIC_OR_PARTITION, ELECTION_NOT_NEEDED (a live leader exists), or
    /// ELIGIBLE_LEADERS_NOT_AVAILABLE (no replica is alive); nil when it can.
    public func uncleanElectionRefusal(_ tp: TopicPartition) -> ErrorCode? {
        guard let state = states[tp], !replicas(of: tp).isEmpty else { return .unknownTopicOrPartition }
        if state.leader >= 0 && liveIds.contains(state.leader) { return .electionNotNeeded }
        guard replicas(of: tp).contains(where: liveIds.contains) else { return .eligibleLeadersNotAvailable }
        return nil
    }

    /// ElectLeaders with the unclean election type (kafka-leader-election --election-type UNCLEAN):
    /// each of `partitions` without a live leader gets one as Kafka's offline-partition election
    /// with unclean election allowed picks it: the first live ISR member in assignment order, else
    /// the first live replica (an unclean election, recorded as such), whatever the topic's
    /// `unclean.leader.election.enable`.
    public mutating func onUncleanElectionRequested(_ partitions: [TopicPartition]) -> [ControllerDirective] {
        run([.uncleanElection(partitions.filter { uncleanElectionRefusal($0) == nil }.sorted())])
    }

    /// A broker asked to shut down: leadership of its partitions moves to other ISR members and it
    /// leaves every ISR. Ends with `.answerControlledShutdown`.
    public mutating func onControlledShutdownRequested(broker: Int32) -> [ControllerDirective] {
        guard registered.contains(broker) else { return [.answerControlledShutdown(broker: broker, remaining: [], newLeaders: [])] }
        shuttingDown.insert(broker)
        return run([.controlledShutdown(broker)])
    }

    /// Kafka's auto leader rebalance: for each broker whose share of preferred partitions led by
    /// someone else exceeds `imbalancePercentMax`, leadership moves back to it where it is alive and
    /// in sync.
    public mutating func onRebalanceDue(imbalancePercentMax: Int) -> [ControllerDirective] {
        run([.rebalance(imbalancePercentMax: imbalancePercentMax)])
    }

    // MARK: Write outcomes

    /// The outcome of a `.writeState` for `tp`.
    public mutating func onStateWriteOutcome(_ tp: TopicPartition, _ outcome: PartitionStateWriteOutcome) -> [ControllerDirective] {
        guard let write = pending.removeValue(forKey: tp), operation != nil else { return [] }
        var directives: [ControllerDirective] = []
        switch outcome {
        case .written(let version):
            let written = ControllerPartitionState(leader: write.write.leader, leaderEpoch: write.write.leaderEpoch, isr: write.write.isr,
                                                   controllerEpoch: write.write.controllerEpoch, version: version)
            let replaced = write.write.expectedVersion == nil ? nil : states[tp]
            if let replaced {
                precondition(written.leaderEpoch >= replaced.leaderEpoch,
                             "\(tp): leader epoch went back from \(replaced.leaderEpoch) to \(written.leaderEpoch)")
            }
            assert(Set(written.isr).isSubset(of: replicas(of: tp)) || replicas(of: tp).isEmpty,
                   "\(tp): written ISR \(written.isr) not within replicas \(replicas(of: tp))")
            assert(written.leader < 0 || written.isr.contains(written.leader) || write.unclean,
                   "\(tp): leader \(written.leader) written outside its ISR \(written.isr) by a clean election")
            states[tp] = written
            operation?.written.append(tp)
            directives.append(.recordStateWrite(StateWriteRecord(partition: tp, replaced: replaced, written: written, unclean: write.unclean,
                                                                 reason: write.reason, controllerEpoch: controllerEpoch)))
        case .conflict(let current):
            states[tp] = current
            if write.rule == .create {
                // Another controller created it first: adopt its state.
                operation?.written.append(tp)
            } else if write.attempt < Self.conflictRetriesMax {
                if let retry = plannedWrite(tp, write.rule, reason: write.reason, attempt: write.attempt + 1, warnings: &directives) {
                    pending[tp] = retry
                    return directives + [.writeState(retry.write)]
                }
            } else {
                directives.append(.log(.warning, "controller: \(tp) changed under \(write.attempt + 1) writes in a row (\(write.reason)); left for the next event"))
            }
        }
        operation?.awaiting -= 1
        if operation?.awaiting == 0 { directives += completeOperation() }
        return directives
    }

    /// The shell could not finish carrying out an operation (the store failed): drop it. The cache
    /// keeps every write whose outcome came in; the next event starts afresh.
    public mutating func abandonOperation() {
        pending = [:]
        operation = nil
        steps = []
    }
}
