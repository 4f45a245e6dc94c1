import Coordination
import Foundation
import KafkaProtocol

/// What the controller decided to write to a partition-state node: who leads (-1: nobody, the
/// partition is offline), the ISR, and whether the leader came from outside the ISR.
struct StateDecision: Equatable {
    var leader: Int32
    var isr: [Int32]
    var unclean = false
}

extension Controller {
    /// Writes the state `decide` chooses from the state it replaces, with a bumped leader epoch,
    /// conditional on the state's version and the controller epoch. Returns whether it wrote.
    ///
    /// On a version conflict (a leader changed the ISR meanwhile) it re-reads the node and decides
    /// again on the fresh state, up to three times: a decision taken on a stale ISR must never be
    /// written over a newer one (an election from the old ISR could pick a replica the leader has
    /// since dropped, a leader from outside the committed ISR). `decide` returning nil writes
    /// nothing.
    @discardableResult
    func writeState(_ zk: any CoordinationClient, _ tp: TopicPartition, reason: String, attempt: Int = 0,
                    decide: (ZkPartitionState) -> StateDecision?) throws -> Bool {
        guard let entry = context.states[tp], let decision = decide(entry.state) else { return false }
        // Seeded bug no-epoch-bump: a change of leader keeps the epoch (ISR-only changes still bump it).
        let keepEpoch = config.seededBugs.contains(.noEpochBump) && decision.leader != entry.state.leader
        let state = ZkPartitionState(controllerEpoch: context.epoch, leader: decision.leader,
                                     leaderEpoch: entry.state.leaderEpoch + (keepEpoch ? 0 : 1),
                                     isr: decision.isr.isEmpty ? entry.state.isr : decision.isr)
        let path = ZkPaths.partitionState(tp)
        do {
            let results = try zk.multi([.check(path: ZkPaths.controllerEpoch, expectedVersion: context.epochZkVersion),
                                        .set(path: path, data: ZkJSON.encode(state), expectedVersion: entry.version)])
            guard case .set(let stat) = results[1] else { return false }
            context.states[tp] = (state, stat.version)
            recordStateWrite(tp, replaced: entry, written: state, version: stat.version, unclean: decision.unclean, reason: reason)
            return true
        } catch CoordinationError.multiFailed(0, _) {
            throw ControllerFenced()
        } catch CoordinationError.multiFailed(1, .badVersion) where attempt < 3 {
            let (data, stat) = try zk.get(path, watch: false)
            context.states[tp] = (try ZkJSON.decode(ZkPartitionState.self, data, path: path), stat.version)
            return try writeState(zk, tp, reason: reason, attempt: attempt + 1, decide: decide)
        }
    }

    /// Logs and records a partition-state write the controller made: `leader_elected` for every
    /// write (the state it replaced and the one it wrote, with both versions, so a checker can
    /// rebuild each partition's chain of committed states), and `unclean_election` when the leader
    /// came from outside the ISR. `replaced` is nil for a partition's first state.
    func recordStateWrite(_ tp: TopicPartition, replaced: (state: ZkPartitionState, version: Int32)?, written: ZkPartitionState,
                          version: Int32, unclean: Bool, reason: String) {
        let oldLeader = replaced?.state.leader ?? -1
        let oldIsr: [Int32] = replaced?.state.isr ?? []
        if written.leader < 0 {
            logger.warning("controller: \(tp) is offline (\(reason)); ISR \(written.isr) has no live member")
        } else if unclean {
            metrics.uncleanLeaderElections.add(1)
            logger.warning("controller: UNCLEAN election of \(written.leader) for \(tp) (ISR was \(oldIsr)): acknowledged records may be lost")
            events.record("unclean_election", ["topic": tp.topic, "partition": Int(tp.partition), "leader": Int(written.leader),
                                               "old_isr": oldIsr.map(Int.init), "leader_epoch": Int(written.leaderEpoch),
                                               "state_version": Int(version)])
        } else if replaced != nil && oldLeader != written.leader {
            logger.info("controller: \(tp) leader \(oldLeader) -> \(written.leader) (\(reason))")
        }
        events.record("leader_elected", [
            "topic": tp.topic, "partition": Int(tp.partition), "leader": Int(written.leader), "leader_epoch": Int(written.leaderEpoch),
            "new_isr": written.isr.map(Int.init), "state_version": Int(version),
            "old_leader": Int(oldLeader), "old_isr": oldIsr.map(Int.init),
            "prior_state_version": Int(replaced?.version ?? -1), "unclean": unclean, "reason": reason,
            "controller_epoch": Int(context.epoch),
        ])
    }
}
