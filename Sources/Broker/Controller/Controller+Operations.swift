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
        for tp in changed where context.assignments[tp.topic] != nil {
            if let (data, stat) = try? zk.get(ZkPaths.partitionState(tp), watch: false),
               let state = try? ZkJSON.decode(ZkPartitionState.self, data, path: ZkPaths.partitionState(tp)) {
                context.states[tp] = (state, stat.version)
            }
        }
        sendUpdate(partitions: changed.sorted(), to: Array(context.liveBrokers.values))
    }

    /// Topics marked under `/admin/delete_topics`: replicas stop and delete their logs, the topic's
    /// znodes go, and every broker drops it from its metadata.
    func processDeletions(_ zk: any CoordinationClient) throws {
        let marked = try zk.children(ZkPaths.deleteTopics, watch: true)
        for topic in marked.sorted() {
            guard let assignment = context.assignments[topic] else {
                try? zk.delete(ZkPaths.deleteMarker(topic), expectedVersion: NodeStat.anyVersion)
                continue
            }
            let partitions = assignment.keys.sorted().map { TopicPartition(topic, $0) }
            for broker in context.liveBrokers.values {
                let hosted = partitions.filter { assignment[$0.partition]?.contains(broker.id) ?? false }
                guard !hosted.isEmpty else { continue }
                channel.send(.stopReplica(controllerId: brokerId, controllerEpoch: context.epoch, partitions: hosted, delete: true), to: broker)
            }
            try zk.deleteRecursive(ZkPaths.topic(topic))
            try? zk.deleteRecursive(ZkPaths.topicConfig(topic))
            try? zk.delete(ZkPaths.deleteMarker(topic), expectedVersion: NodeStat.anyVersion)
            context.assignments[topic] = nil
            context.topicConfigs[topic] = nil
            for tp in partitions { context.states[tp] = nil }
            sendUpdate(partitions: [], deleted: partitions, to: Array(context.liveBrokers.values))
            logger.info("controller: topic \(topic) deleted")
        }
    }

    /// A broker asked to shut down: move leadership of its partitions to other ISR members and take
    /// it out of every ISR. Returns the partitions it still leads (no other replica could take over)
    /// and the brokers that were made leaders, whose LeaderAndIsr the answer should wait for.
    func controlledShutdown(_ zk: any CoordinationClient, broker id: Int32) throws -> (remaining: [TopicPartition], newLeaders: Set<Int32>) {
        guard context.liveBrokers[id] != nil else { return ([], []) }
        context.shuttingDown.insert(id)
        var changed: [TopicPartition] = []
        var remaining: [TopicPartition] = []
        var newLeaders: Set<Int32> = []
        for tp in context.allPartitions {
            guard let entry = context.states[tp], context.replicas(of: tp).contains(id) else { continue }
            let assignment = context.replicas(of: tp)
            let live = Set(context.liveBrokers.keys)
            let shuttingDown = context.shuttingDown
            if entry.state.leader == id {
                let moved = try writeState(zk, tp, reason: "controlled shutdown of broker \(id)") { state in
                    guard state.leader == id,
                          let result = LeaderElection.controlledShutdown(assignment: assignment, isr: state.isr, live: live,
                                                                         shuttingDown: shuttingDown) else { return nil }
                    return StateDecision(leader: result.leader, isr: result.isr)
                }
                if moved, let leader = context.states[tp]?.state.leader {
                    changed.append(tp)
                    newLeaders.insert(leader)
                } else if context.states[tp]?.state.leader == id {
                    remaining.append(tp)
                }
            } else if entry.state.isr.contains(id), entry.state.isr.count > 1 {
                let written = try writeState(zk, tp, reason: "controlled shutdown of broker \(id)") { state in
                    guard state.leader != id, state.isr.contains(id), state.isr.count > 1 else { return nil }
                    return StateDecision(leader: state.leader, isr: state.isr.filter { $0 != id })
                }
                if written { changed.append(tp) }
            }
        }
        propagate(changed)
        logger.info("controller: controlled shutdown of broker \(id): moved \(changed.count) partition(s), \(remaining.count) left")
        return (remaining, newLeaders)
    }

    /// Kafka's auto leader rebalance: for each broker whose share of preferred partitions led by
    /// someone else exceeds the threshold, move leadership back to it where it is alive and in sync.
    func rebalanceLeaders(_ zk: any CoordinationClient) throws {
        guard active, config.autoLeaderRebalance else { return }
        let pairs = context.allPartitions.compactMap { tp -> (tp: TopicPartition, preferred: Int32, leader: Int32)? in
            guard let preferred = context.replicas(of: tp).first, let state = context.states[tp]?.state else { return nil }
            return (tp, preferred, state.leader)
        }
        var changed: [TopicPartition] = []
        for broker in context.liveIds.sorted() {
            let share = LeaderElection.imbalancePercentage(preferredLed: pairs.map { ($0.preferred, $0.leader) }, broker: broker)
            guard share > config.leaderImbalancePerBrokerPercentage else { continue }
            for pair in pairs where pair.preferred == broker && pair.leader != broker {
                let assignment = context.replicas(of: pair.tp)
                let live = context.liveIds
                let written = try writeState(zk, pair.tp, reason: "preferred replica \(broker)") { state in
                    guard state.leader != broker,
                          let result = LeaderElection.preferredReplica(assignment: assignment, isr: state.isr, live: live) else { return nil }
                    return StateDecision(leader: result.leader, isr: result.isr)
                }
                if written { changed.append(pair.tp) }
            }
        }
        if !changed.isEmpty { logger.info("controller: moved \(changed.count) partition(s) back to their preferred leaders") }
        propagate(changed)
    }
}
