import KafkaProtocol

/// The controller's operations: what each plans to write, and what it tells brokers once its
/// writes are in.
extension ControllerStateMachine {
    /// One operation of an event, run after the previous one's writes came back.
    enum Step: Sendable, Equatable {
        case initialize([TopicPartition])
        case electOffline
        /// UpdateMetadata with everything to every broker, then LeaderAndIsr with all its partitions.
        case announceAll
        case brokersFailed(Set<Int32>)
        case brokersStarted(Set<Int32>)
        case controlledShutdown(Int32)
        case rebalance(imbalancePercentMax: Int)
        /// ElectLeaders (preferred): these partitions move to their preferred replica where it can lead.
        case preferredElection([TopicPartition])
        /// ElectLeaders (unclean): these partitions, which have no live leader, get any live replica.
        case uncleanElection([TopicPartition])
        /// AlterPartitionReassignments: the assignment node records the moves (already in
        /// `reassignments` and `assignments`), the leader epoch is bumped and every replica of the
        /// full set told; replicas a replaced move had added and this one does not keep stop.
        case startReassignments([TopicPartition: [Int32]])
        /// Moves whose target replicas are all in the ISR finish: leadership within the target,
        /// the ISR shrunk to it, the leaving replicas stopped and deleted, the node cleared.
        case completeReassignments([TopicPartition])
    }

    struct PendingWrite: Sendable, Equatable {
        var write: PartitionStateWrite
        var rule: StateWriteRule
        var reason: String
        var unclean: Bool
        var attempt: Int
    }

    struct Operation: Sendable, Equatable {
        var step: Step
        var awaiting: Int
        /// Partitions written (or, for new partitions, found created), in outcome order.
        var written: [TopicPartition] = []
        /// For a controlled shutdown: the partitions the broker led when it asked.
        var led: [TopicPartition] = []
    }

    struct Plan {
        var before: [ControllerDirective] = []
        var writes: [(TopicPartition, StateWriteRule, String)] = []
        var led: [TopicPartition] = []
    }

    /// Queues `newSteps` and starts as many as can run before a write must come back.
    mutating func run(_ newSteps: [Step]) -> [ControllerDirective] {
        // The shell finishes or abandons each operation before the next event; a leftover would
        // only be a shell that dropped an error, and its writes' outcomes are lost anyway.
        assert(!isBusy, "controller event while an operation awaits write outcomes")
        abandonOperation()
        steps = newSteps
        return advance()
    }

    mutating func advance() -> [ControllerDirective] {
        var directives: [ControllerDirective] = []
        while operation == nil, !steps.isEmpty {
            let step = steps.removeFirst()
            let plan = self.plan(step)
            directives += plan.before
            var writes: [PendingWrite] = []
            for (tp, rule, reason) in plan.writes {
                if let write = plannedWrite(tp, rule, reason: reason, attempt: 0, warnings: &directives) { writes.append(write) }
            }
            if writes.isEmpty {
                directives += finish(step, led: plan.led, written: [])
                continue
            }
            operation = Operation(step: step, awaiting: writes.count, led: plan.led)
            for write in writes {
                pending[write.write.partition] = write
                directives.append(.writeState(write.write))
            }
        }
        return directives
    }

    mutating func completeOperation() -> [ControllerDirective] {
        guard let done = operation else { return [] }
        operation = nil
        return finish(done.step, led: done.led, written: done.written) + advance()
    }

    // MARK: Plans

    func plan(_ step: Step) -> Plan {
        var plan = Plan()
        switch step {
        case .initialize(let partitions):
            for tp in partitions where states[tp] == nil {
                if LeaderElection.newPartition(assignment: replicas(of: tp), live: liveIds) == nil {
                    plan.before.append(.log(.warning, "controller: \(tp) has no live replica; it stays offline"))
                } else {
                    plan.writes.append((tp, .create, "new partition"))
                }
            }
        case .electOffline:
            for tp in allPartitions {
                guard let state = states[tp], state.leader < 0 || !liveIds.contains(state.leader) else { continue }
                plan.writes.append((tp, .electLeader, "leader \(state.leader) not alive"))
            }
        case .announceAll:
            plan.before = fullUpdate()
            for broker in registered.sorted() { plan.before += leaderAndIsr(partitions: allPartitions, to: broker) }
        case .brokersFailed(let dead):
            plan.before.append(.log(.info, "controller: brokers \(dead.sorted()) left"))
            plan.before += dead.sorted().map { .forgetBroker($0) }
            for tp in allPartitions {
                guard let state = states[tp] else { continue }
                if dead.contains(state.leader) || state.leader < 0 {
                    plan.writes.append((tp, .electLeader, "leader \(state.leader) failed"))
                } else if state.isr.contains(where: dead.contains) {
                    plan.writes.append((tp, .removeFromIsr(dead: dead), "broker(s) \(dead.sorted()) failed"))
                }
            }
        case .brokersStarted(let born):
            plan.before.append(.log(.info, "controller: brokers \(born.sorted()) joined"))
            plan.before += fullUpdate()
            let hosted = allPartitions.filter { tp in replicas(of: tp).contains(where: born.contains) }
            for broker in born.sorted() { plan.before += leaderAndIsr(partitions: hosted, to: broker) }
            for tp in hosted where (states[tp]?.leader ?? -1) < 0 {
                plan.writes.append((tp, .electLeader, "replica came back"))
            }
        case .controlledShutdown(let broker):
            let reason = "controlled shutdown of broker \(broker)"
            for tp in allPartitions {
                guard let state = states[tp], replicas(of: tp).contains(broker) else { continue }
                if state.leader == broker {
                    plan.led.append(tp)
                    plan.writes.append((tp, .shutdownLeader(broker), reason))
                } else if state.isr.contains(broker), state.isr.count > 1 {
                    plan.writes.append((tp, .shutdownFollower(broker), reason))
                }
            }
        case .rebalance(let imbalancePercentMax):
            let pairs = allPartitions.compactMap { tp -> (tp: TopicPartition, preferred: Int32, leader: Int32)? in
                guard let preferred = replicas(of: tp).first, let state = states[tp] else { return nil }
                return (tp, preferred, state.leader)
            }
            for broker in liveIds.sorted() {
                let share = LeaderElection.imbalancePercentage(preferredLed: pairs.map { ($0.preferred, $0.leader) }, broker: broker)
                guard share > imbalancePercentMax else { continue }
                for pair in pairs where pair.preferred == broker && pair.leader != broker {
                    plan.writes.append((pair.tp, .preferredLeader(broker), "preferred replica \(broker)"))
                }
            }
        case .preferredElection(let partitions):
            for tp in partitions {
                guard let preferred = replicas(of: tp).first, states[tp].map({ $0.leader != preferred }) == true else { continue }
                plan.writes.append((tp, .preferredLeader(preferred), "preferred replica election requested"))
            }
        case .uncleanElection(let partitions):
            for tp in partitions where states[tp] != nil {
                plan.writes.append((tp, .uncleanLeader, "unclean leader election requested"))
            }
        case .startReassignments(let partitions):
            for topic in Set(partitions.keys.map(\.topic)).sorted() { plan.before.append(assignmentWrite(topic)) }
            for tp in partitions.keys.sorted() where states[tp] != nil {
                let target = reassignments[tp]?.target ?? replicas(of: tp)
                plan.writes.append((tp, .reassignmentStarted, "reassignment to \(target) started"))
            }
        case .completeReassignments(let partitions):
            for tp in partitions {
                guard let move = reassignments[tp], let state = states[tp], Set(move.target).isSubset(of: state.isr) else { continue }
                plan.writes.append((tp, .reassignmentCompleted(move.target), "reassignment to \(move.target) completed"))
            }
        }
        return plan
    }

    /// What an operation tells brokers once its writes are in.
    mutating func finish(_ step: Step, led: [TopicPartition], written: [TopicPartition]) -> [ControllerDirective] {
        switch step {
        case .initialize, .electOffline, .brokersFailed, .brokersStarted:
            return propagate(written)
        case .announceAll:
            return []
        case .controlledShutdown(let broker):
            var newLeaders: Set<Int32> = []
            var remaining: [TopicPartition] = []
            for tp in led {
                if written.contains(tp), let leader = states[tp]?.leader {
                    newLeaders.insert(leader)
                } else if states[tp]?.leader == broker {
                    remaining.append(tp)
                }
            }
            return propagate(written) + [
                .log(.info, "controller: controlled shutdown of broker \(broker): moved \(written.count) partition(s), \(remaining.count) left"),
                .answerControlledShutdown(broker: broker, remaining: remaining, newLeaders: newLeaders),
            ]
        case .preferredElection:
            return propagate(written) + [.log(.info, "controller: preferred replica election moved \(written.count) partition(s)")]
        case .startReassignments(let unneeded):
            var stops: [ControllerDirective] = []
            for tp in written {
                for broker in unneeded[tp] ?? [] where registered.contains(broker) {
                    stops.append(.stopReplica(broker: broker, partitions: [tp], delete: true))
                }
            }
            return propagate(written) + stops + written.map { tp in
                .log(.info, "controller: reassignment of \(tp) to \(reassignments[tp]?.target ?? []) started (replicas \(replicas(of: tp)))")
            }
        case .completeReassignments:
            return completeMoves(written)
        case .uncleanElection:
            return propagate(written) + [.log(.info, "controller: unclean leader election gave \(written.count) partition(s) a leader")]
        case .rebalance:
            let moved: [ControllerDirective] = written.isEmpty
                ? [] : [.log(.info, "controller: moved \(written.count) partition(s) back to their preferred leaders")]
            return moved + propagate(written)
        }
    }

    // MARK: Decisions

    /// The write `rule` makes for `tp` from its cached state, or nil when there is nothing to write
    /// (or it cannot be written: a warning goes to `warnings`).
    func plannedWrite(_ tp: TopicPartition, _ rule: StateWriteRule, reason: String, attempt: Int,
                      warnings: inout [ControllerDirective]) -> PendingWrite? {
        if rule == .create {
            guard states[tp] == nil, let result = LeaderElection.newPartition(assignment: replicas(of: tp), live: liveIds) else { return nil }
            assert(Set(result.isr).isSubset(of: replicas(of: tp)), "\(tp): first ISR \(result.isr) not within replicas \(replicas(of: tp))")
            let write = PartitionStateWrite(partition: tp, leader: result.leader, leaderEpoch: 0, isr: result.isr,
                                            controllerEpoch: controllerEpoch, expectedVersion: nil)
            return PendingWrite(write: write, rule: rule, reason: reason, unclean: false, attempt: attempt)
        }
        guard let current = states[tp], let decision = decide(rule, tp, current) else { return nil }
        // Seeded bug no-epoch-bump: a change of leader keeps the epoch (ISR-only changes still bump it).
        let keepEpoch = seededBugs.contains(.noEpochBump) && decision.leader != current.leader
        // A partition whose leader epoch reached Int32.max can take no new state: every change
        // must raise the epoch that fences the old leader and its followers. Kafka's controller
        // adds one to a 32-bit Int and would wrap to a negative epoch, which replicas read as "no
        // epoch" or as older than any they hold, so a fenced leader could write again. Here the
        // controller writes nothing and warns: the partition keeps its last state, which leaves it
        // offline once that leader is gone, until an operator recreates it.
        guard keepEpoch || current.leaderEpoch < Int32.max else {
            warnings.append(.log(.warning, "controller: \(tp) is at the largest leader epoch (\(Int32.max)); "
                + "\(reason) is not written and the partition keeps its last state"))
            return nil
        }
        let write = PartitionStateWrite(partition: tp, leader: decision.leader, leaderEpoch: current.leaderEpoch + (keepEpoch ? 0 : 1),
                                        isr: decision.isr.isEmpty ? current.isr : decision.isr, controllerEpoch: controllerEpoch,
                                        expectedVersion: current.version)
        return PendingWrite(write: write, rule: rule, reason: reason, unclean: decision.unclean, attempt: attempt)
    }

    /// The rule applied to the state it would replace; nil writes nothing.
    func decide(_ rule: StateWriteRule, _ tp: TopicPartition, _ state: ControllerPartitionState) -> StateDecision? {
        let assignment = replicas(of: tp)
        switch rule {
        case .electLeader:
            // Seeded bug unclean-always.v2: the assigned replicas are handed over as if they were the ISR.
            let isr = seededBugs.contains(.uncleanAlwaysV2) ? assignment : state.isr
            if let result = LeaderElection.offlinePartition(assignment: assignment, isr: isr, live: liveIds,
                                                            uncleanEnabled: uncleanAllowed(tp.topic), seededBugs: seededBugs) {
                return StateDecision(leader: result.leader, isr: result.isr, unclean: result.unclean)
            }
            // No eligible leader: the partition goes offline, keeping its last ISR as Kafka does.
            guard state.leader >= 0 else { return nil }
            return StateDecision(leader: -1, isr: state.isr)
        case .removeFromIsr(let dead):
            let isr = state.isr.filter { !dead.contains($0) }
            guard isr != state.isr, !isr.isEmpty, !dead.contains(state.leader) else { return nil }
            return StateDecision(leader: state.leader, isr: isr)
        case .shutdownLeader(let broker):
            guard state.leader == broker,
                  let result = LeaderElection.controlledShutdown(assignment: assignment, isr: state.isr, live: registered,
                                                                 shuttingDown: shuttingDown) else { return nil }
            return StateDecision(leader: result.leader, isr: result.isr)
        case .shutdownFollower(let broker):
            guard state.leader != broker, state.isr.contains(broker), state.isr.count > 1 else { return nil }
            return StateDecision(leader: state.leader, isr: state.isr.filter { $0 != broker })
        case .preferredLeader(let broker):
            guard state.leader != broker,
                  let result = LeaderElection.preferredReplica(assignment: assignment, isr: state.isr, live: liveIds) else { return nil }
            return StateDecision(leader: result.leader, isr: result.isr)
        case .reassignmentStarted:
            // The full set's replicas learn it under a new epoch; the ISR keeps only replicas of it.
            let isr = state.isr.filter(assignment.contains)
            guard !isr.isEmpty else { return nil }
            if state.leader < 0 || isr.contains(state.leader) { return StateDecision(leader: state.leader, isr: isr) }
            guard let leader = assignment.first(where: { isr.contains($0) && liveIds.contains($0) }) else { return nil }
            return StateDecision(leader: leader, isr: isr)
        case .reassignmentCompleted(let target):
            // Kafka's reassignment election: the leader stays if it is in the target and in sync,
            // else the first target replica that is alive and in sync.
            let isr = state.isr.filter(target.contains)
            guard Set(target).isSubset(of: state.isr) else { return nil }
            if target.contains(state.leader), liveIds.contains(state.leader) { return StateDecision(leader: state.leader, isr: isr) }
            guard let leader = target.first(where: { isr.contains($0) && liveIds.contains($0) }) else { return nil }
            return StateDecision(leader: leader, isr: isr)
        case .uncleanLeader:
            guard state.leader < 0 || !liveIds.contains(state.leader),
                  let result = LeaderElection.offlinePartition(assignment: assignment, isr: state.isr, live: liveIds,
                                                               uncleanEnabled: true, seededBugs: seededBugs) else { return nil }
            return StateDecision(leader: result.leader, isr: result.isr, unclean: result.unclean)
        case .create:
            return nil
        }
    }

    // MARK: Requests to brokers

    /// LeaderAndIsr to the live replicas of the changed partitions, then UpdateMetadata to everyone.
    func propagate(_ changed: [TopicPartition]) -> [ControllerDirective] {
        guard !changed.isEmpty else { return [] }
        var byBroker: [Int32: [TopicPartition]] = [:]
        for tp in changed {
            for replica in replicas(of: tp) where registered.contains(replica) { byBroker[replica, default: []].append(tp) }
        }
        var directives: [ControllerDirective] = []
        for broker in byBroker.keys.sorted() { directives += leaderAndIsr(partitions: byBroker[broker] ?? [], to: broker) }
        return directives + updateMetadata(partitions: changed)
    }

    /// LeaderAndIsr to `broker` for those of `partitions` it replicates, if any.
    func leaderAndIsr(partitions: [TopicPartition], to broker: Int32) -> [ControllerDirective] {
        guard registered.contains(broker) else { return [] }
        let mine = partitions.filter { replicas(of: $0).contains(broker) }.compactMap { view($0) }
        guard !mine.isEmpty else { return [] }
        let leaders = Set(mine.map(\.state.leader)).filter { registered.contains($0) }.sorted()
        return [.leaderAndIsr(broker: broker, partitions: mine, liveLeaders: leaders)]
    }

    func updateMetadata(partitions: [TopicPartition], deleted: [TopicPartition] = []) -> [ControllerDirective] {
        let views = partitions.compactMap { view($0) }
        let configs = topicConfigs.filter { topic, _ in partitions.contains { $0.topic == topic } }
        let brokers = registered.sorted()
        return brokers.map { .updateMetadata(broker: $0, liveBrokers: brokers, partitions: views, deleted: deleted, topicConfigs: configs) }
    }

    func fullUpdate() -> [ControllerDirective] {
        let views = allPartitions.compactMap { view($0) }
        let brokers = registered.sorted()
        return brokers.map { .updateMetadata(broker: $0, liveBrokers: brokers, partitions: views, deleted: [], topicConfigs: topicConfigs) }
    }
}
