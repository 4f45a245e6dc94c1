import Coordination
import Foundation
import KafkaProtocol
import Replication

extension Controller {
    /// Leaders write their ISR changes straight to the partition-state nodes and leave a sequential
    /// notification; the controller re-reads those partitions and spreads the news with UpdateMetadata.
    func processIsrChangeNotifications(_ zk: any CoordinationClient) throws {
        let children = try zk.children(ZkPaths.isrChangeNotifications, watch: true).sorted()
        guard !children.isEmpty else { return }
        var changed: Set<TopicPartition> = []
        for child in children {
            let path = "\(ZkPaths.isrChangeNotifications)/\(child)"
            if let data = try? zk.get(path, watch: false).data,
               let note = try? ZkJSON.decode(ZkIsrChangeNotification.self, data, path: path) {
                for entry in note.partitions { changed.insert(TopicPartition(entry.topic, entry.partition)) }
            }
            try? zk.delete(path, expectedVersion: NodeStat.anyVersion)
        }
        var read: [TopicPartition: ControllerPartitionState] = [:]
        for tp in changed where machine.assignments[tp.topic] != nil {
            if let (data, stat) = try? zk.get(ZkPaths.partitionState(tp), watch: false),
               let state = try? ZkJSON.decode(ZkPartitionState.self, data, path: ZkPaths.partitionState(tp)) {
                read[tp] = state.versioned(stat.version)
            }
        }
        try execute(machine.onPartitionStatesRead(changed: Array(changed), read: read), zk)
    }

    /// Topics marked under `/admin/delete_topics`: replicas stop and delete their logs, the topic's
    /// znodes go, and every broker drops it from its metadata.
    func processDeletions(_ zk: any CoordinationClient) throws {
        let marked = try zk.children(ZkPaths.deleteTopics, watch: true)
        for topic in marked.sorted() { try execute(machine.onTopicMarkedForDeletion(topic), zk) }
    }
}

extension Controller {
    /// ElectLeaders (preferred) on the active controller, for `partitions` (nil: every partition).
    /// Returns each partition's answer: none when its preferred replica leads after the election,
    /// else why not (`ControllerStateMachine.preferredElectionRefusal`); nil when this broker is not
    /// the controller.
    func electPreferredLeaders(_ zk: any CoordinationClient, _ partitions: [TopicPartition]?) throws -> [TopicPartition: ErrorCode]? {
        guard active else { return nil }
        let wanted = partitions ?? machine.allPartitions
        var results: [TopicPartition: ErrorCode] = [:]
        for tp in wanted { if let refusal = machine.preferredElectionRefusal(tp) { results[tp] = refusal } }
        try execute(machine.onPreferredElectionRequested(wanted), zk)
        for tp in wanted where results[tp] == nil {
            results[tp] = machine.states[tp]?.leader == machine.replicas(of: tp).first ? ErrorCode.none : .preferredLeaderNotAvailable
        }
        return results
    }
}

extension Controller {
    /// ElectLeaders (unclean) on the active controller, for `partitions` (nil: every partition):
    /// none when the partition has a live leader after the election, else why not
    /// (`ControllerStateMachine.uncleanElectionRefusal`); nil when this broker is not the controller.
    func electUncleanLeaders(_ zk: any CoordinationClient, _ partitions: [TopicPartition]?) throws -> [TopicPartition: ErrorCode]? {
        guard active else { return nil }
        let wanted = partitions ?? machine.allPartitions
        var results: [TopicPartition: ErrorCode] = [:]
        for tp in wanted { if let refusal = machine.uncleanElectionRefusal(tp) { results[tp] = refusal } }
        try execute(machine.onUncleanElectionRequested(wanted), zk)
        for tp in wanted where results[tp] == nil {
            let leader = machine.states[tp]?.leader ?? -1
            results[tp] = leader >= 0 && machine.liveIds.contains(leader) ? ErrorCode.none : .eligibleLeadersNotAvailable
        }
        return results
    }
}

extension Controller {
    /// AlterPartitionReassignments on the active controller: each partition's answer (none when its
    /// move started, or was cancelled), with a message for refusals; nil when this broker is not the
    /// controller. See `ControllerStateMachine.onReassignmentsRequested`.
    func alterPartitionReassignments(_ zk: any CoordinationClient, _ moves: [TopicPartition: [Int32]?],
                                     allowReplicationFactorChange: Bool) throws -> [TopicPartition: (ErrorCode, String?)]? {
        guard active else { return nil }
        var results: [TopicPartition: (ErrorCode, String?)] = [:]
        for (tp, target) in moves {
            if let (code, message) = machine.reassignmentRefusal(tp, target: target, allowReplicationFactorChange: allowReplicationFactorChange) {
                results[tp] = (code, message)
            } else {
                results[tp] = (.none, nil)
            }
        }
        try execute(machine.onReassignmentsRequested(moves, allowReplicationFactorChange: allowReplicationFactorChange), zk)
        return results
    }

    /// ListPartitionReassignments on the active controller; nil when this broker is not the controller.
    func partitionReassignments(_ partitions: [TopicPartition]?) -> [TopicPartition: PartitionReassignment]? {
        guard active else { return nil }
        return machine.reassignmentsInProgress(partitions)
    }
}
