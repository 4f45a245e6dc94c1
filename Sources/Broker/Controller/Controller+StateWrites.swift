import Coordination
import Foundation
import KafkaProtocol
import Replication

/// Carrying out the state machine's directives.
extension Controller {
    /// Carries out `directives` in order, feeding each write's outcome back to the machine and
    /// carrying out what it answers before going on. If the store fails midway, the machine drops
    /// the operation and the error goes to the caller (a fenced controller resigns).
    func execute(_ directives: [ControllerDirective], _ zk: any CoordinationClient) throws {
        do {
            try carryOut(directives, zk)
        } catch {
            machine.abandonOperation()
            throw error
        }
    }

    private func carryOut(_ directives: [ControllerDirective], _ zk: any CoordinationClient) throws {
        let epoch = machine.controllerEpoch
        for directive in directives {
            switch directive {
            case .writeState(let write):
                let outcome = try perform(write, zk)
                try carryOut(machine.onStateWriteOutcome(write.partition, outcome), zk)
            case .recordStateWrite(let record):
                recordStateWrite(record)
            case .leaderAndIsr(let broker, let partitions, let liveLeaders):
                guard let endpoint = endpoints[broker] else { continue }
                channel.send(.leaderAndIsr(controllerId: brokerId, controllerEpoch: epoch, partitions: partitions.map(\.leadership),
                                           liveLeaders: liveLeaders.compactMap { endpoints[$0] }), to: endpoint)
            case .updateMetadata(let broker, let liveBrokers, let partitions, let deleted, let topicConfigs):
                guard let endpoint = endpoints[broker] else { continue }
                channel.send(.updateMetadata(controllerId: brokerId, controllerEpoch: epoch, brokers: liveBrokers.compactMap { endpoints[$0] },
                                             partitions: partitions.map(\.leadership), deleted: deleted, topicConfigs: topicConfigs), to: endpoint)
            case .stopReplica(let broker, let partitions, let delete):
                guard let endpoint = endpoints[broker] else { continue }
                channel.send(.stopReplica(controllerId: brokerId, controllerEpoch: epoch, partitions: partitions, delete: delete), to: endpoint)
            case .forgetBroker(let id):
                channel.removeBroker(id)
            case .deleteTopic(let topic):
                try zk.deleteRecursive(ZkPaths.topic(topic))
                try? zk.deleteRecursive(ZkPaths.topicConfig(topic))
                try? zk.delete(ZkPaths.deleteMarker(topic), expectedVersion: NodeStat.anyVersion)
                try carryOut(machine.onTopicDeleted(topic), zk)
            case .deleteMarker(let topic):
                try? zk.delete(ZkPaths.deleteMarker(topic), expectedVersion: NodeStat.anyVersion)
            case .writeAssignment(let topic, let assignment, let reassignments):
                let data = ZkJSON.encode(ZkTopicAssignment(assignment: assignment, reassignments: reassignments))
                do {
                    _ = try zk.multi([.check(path: ZkPaths.controllerEpoch, expectedVersion: epochZkVersion),
                                      .set(path: ZkPaths.topic(topic), data: data, expectedVersion: NodeStat.anyVersion)])
                } catch CoordinationError.multiFailed(0, _) {
                    throw ControllerFenced()
                }
            case .answerControlledShutdown(_, let remaining, let newLeaders):
                shutdownAnswer = (remaining, newLeaders)
            case .log(.info, let message):
                logger.info("\(message)")
            case .log(.warning, let message):
                logger.warning("\(message)")
            }
        }
    }

    /// Makes one partition-state write, conditional on the controller epoch and on the version the
    /// machine read (or, for a new partition, on the node not existing). A version conflict is
    /// answered with the state read back; a failed epoch check throws `ControllerFenced`.
    private func perform(_ write: PartitionStateWrite, _ zk: any CoordinationClient) throws -> PartitionStateWriteOutcome {
        let tp = write.partition
        let path = ZkPaths.partitionState(tp)
        let data = ZkJSON.encode(ZkPartitionState(controllerEpoch: write.controllerEpoch, leader: write.leader,
                                                  leaderEpoch: write.leaderEpoch, isr: write.isr))
        let epochCheck = CoordinationOp.check(path: ZkPaths.controllerEpoch, expectedVersion: epochZkVersion)
        guard let expected = write.expectedVersion else {
            try zk.ensurePath(ZkPaths.partitions(tp.topic) + "/\(tp.partition)")
            do {
                _ = try zk.multi([epochCheck, .create(path: path, data: data, mode: .persistent)])
                return .written(version: 0)
            } catch CoordinationError.multiFailed(_, .nodeExists) {
                return .conflict(current: try readState(path, zk))
            } catch CoordinationError.multiFailed(0, _) {
                throw ControllerFenced()
            }
        }
        do {
            let results = try zk.multi([epochCheck, .set(path: path, data: data, expectedVersion: expected)])
            guard case .set(let stat) = results[1] else { return .conflict(current: try readState(path, zk)) }
            return .written(version: stat.version)
        } catch CoordinationError.multiFailed(0, _) {
            throw ControllerFenced()
        } catch CoordinationError.multiFailed(1, .badVersion) {
            return .conflict(current: try readState(path, zk))
        }
    }

    private func readState(_ path: String, _ zk: any CoordinationClient) throws -> ControllerPartitionState {
        let (data, stat) = try zk.get(path, watch: false)
        return try ZkJSON.decode(ZkPartitionState.self, data, path: path).versioned(stat.version)
    }

    /// Logs and records a partition-state write the controller made: `leader_elected` for every
    /// write (the state it replaced and the one it wrote, with both versions, so a checker can
    /// rebuild each partition's chain of committed states), and `unclean_election` when the leader
    /// came from outside the ISR. `replaced` is nil for a partition's first state.
    func recordStateWrite(_ record: StateWriteRecord) {
        let tp = record.partition
        let written = record.written
        let oldLeader = record.replaced?.leader ?? -1
        let oldIsr: [Int32] = record.replaced?.isr ?? []
        if written.leader < 0 {
            logger.warning("controller: \(tp) is offline (\(record.reason)); ISR \(written.isr) has no live member")
        } else if record.unclean {
            metrics.uncleanLeaderElections.add(1)
            logger.warning("controller: UNCLEAN election of \(written.leader) for \(tp) (ISR was \(oldIsr)): acknowledged records may be lost")
            events.record("unclean_election", ["topic": tp.topic, "partition": Int(tp.partition), "leader": Int(written.leader),
                                               "old_isr": oldIsr.map(Int.init), "leader_epoch": Int(written.leaderEpoch),
                                               "state_version": Int(written.version)])
        } else if record.replaced != nil && oldLeader != written.leader {
            logger.info("controller: \(tp) leader \(oldLeader) -> \(written.leader) (\(record.reason))")
        }
        events.record("leader_elected", [
            "topic": tp.topic, "partition": Int(tp.partition), "leader": Int(written.leader), "leader_epoch": Int(written.leaderEpoch),
            "new_isr": written.isr.map(Int.init), "state_version": Int(written.version),
            "old_leader": Int(oldLeader), "old_isr": oldIsr.map(Int.init),
            "prior_state_version": Int(record.replaced?.version ?? -1), "unclean": record.unclean, "reason": record.reason,
            "controller_epoch": Int(record.controllerEpoch),
        ])
    }
}

extension ControllerPartitionView {
    var leadership: PartitionLeadership {
        PartitionLeadership(topicPartition: partition, leader: state.leader, leaderEpoch: state.leaderEpoch, isr: state.isr,
                            replicas: replicas, controllerEpoch: state.controllerEpoch, stateVersion: state.version)
    }
}
