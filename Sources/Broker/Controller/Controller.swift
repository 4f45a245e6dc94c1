import Coordination
import Foundation
import KafkaProtocol
import Logging
import Replication

/// The active controller (Kafka's ZooKeeper-mode `KafkaController`): elected through the ephemeral
/// `/controller` node, it owns every leadership decision. It reacts to brokers joining and leaving,
/// topics created and marked for deletion, ISR changes reported by leaders, controlled shutdowns and
/// leader imbalance; it writes partition state to ZooKeeper (each write a multi-op that checks the
/// controller epoch, so a deposed controller is fenced) and then tells brokers with LeaderAndIsr,
/// UpdateMetadata and StopReplica.
///
/// Owner: every method runs on the ZooKeeper queue (`ZkSession.queue`), one event at a time, like
/// Kafka's single controller event thread. `@unchecked Sendable` rests on that confinement.
final class Controller: @unchecked Sendable {
    let brokerId: Int32
    let config: BrokerConfig
    let channel: any ControllerChannel
    let logger: Logger
    let events: EventLog
    let metrics: BrokerMetrics
    var context = ControllerContext()
    private(set) var active = false

    init(brokerId: Int32, config: BrokerConfig, channel: any ControllerChannel, logger: Logger, events: EventLog, metrics: BrokerMetrics) {
        self.brokerId = brokerId
        self.config = config
        self.channel = channel
        self.logger = logger
        self.events = events
        self.metrics = metrics
    }

    // MARK: Becoming and leaving

    /// Called after this broker created `/controller`. Bumps the controller epoch, loads the cluster
    /// from ZooKeeper, repairs offline partitions and brings every broker up to date.
    func activate(_ zk: any CoordinationClient) throws {
        context = ControllerContext()
        let (epoch, version) = try bumpControllerEpoch(zk)
        context.epoch = epoch
        context.epochZkVersion = version
        active = true
        logger.info("broker \(brokerId) is controller at epoch \(epoch)")
        events.record("controller_elected", ["controller_epoch": Int(epoch)])
        try loadBrokers(zk)
        try loadTopics(zk)
        _ = try zk.children(ZkPaths.isrChangeNotifications, watch: true)
        try processIsrChangeNotifications(zk)
        try initializeNewPartitions(zk, Array(context.allPartitions.filter { context.states[$0] == nil }))
        try electOfflinePartitions(zk)
        sendFullUpdate(to: Array(context.liveBrokers.values))
        for broker in context.liveBrokers.values { sendLeaderAndIsr(partitions: context.allPartitions, to: [broker.id]) }
        try processDeletions(zk)
    }

    /// Stop acting as controller (another broker took over, or the session expired).
    func resign(reason: String) {
        guard active else { return }
        active = false
        channel.removeAll()
        logger.warning("broker \(brokerId) resigns as controller: \(reason)")
        events.record("controller_resigned", ["controller_epoch": Int(context.epoch), "reason": reason])
    }

    private func bumpControllerEpoch(_ zk: any CoordinationClient) throws -> (Int32, Int32) {
        let (current, version): (Int32, Int32)
        if let stat = try zk.exists(ZkPaths.controllerEpoch, watch: false) {
            let data = try zk.get(ZkPaths.controllerEpoch, watch: false).data
            current = Int32(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespaces)) ?? 0
            version = stat.version
        } else {
            do {
                _ = try zk.create(ZkPaths.controllerEpoch, data: Array("0".utf8), mode: .persistent)
            } catch CoordinationError.nodeExists {}
            return try bumpControllerEpoch(zk)
        }
        let next = current + 1
        let stat = try zk.set(ZkPaths.controllerEpoch, data: Array(String(next).utf8), expectedVersion: version)
        return (next, stat.version)
    }

    // MARK: Loading

    private func loadBrokers(_ zk: any CoordinationClient) throws {
        var live: [Int32: BrokerEndpoint] = [:]
        for child in try zk.children(ZkPaths.brokerIds, watch: true) {
            guard let id = Int32(child) else { continue }
            do {
                let data = try zk.get(ZkPaths.broker(id), watch: false).data
                let registration = try ZkJSON.decode(ZkBrokerRegistration.self, data, path: ZkPaths.broker(id))
                live[id] = BrokerEndpoint(id: id, host: registration.host, port: Int32(registration.port))
            } catch CoordinationError.noNode {
                continue
            }
        }
        context.liveBrokers = live
        context.shuttingDown = context.shuttingDown.intersection(Set(live.keys))
    }

    private func loadTopics(_ zk: any CoordinationClient) throws {
        for topic in try zk.children(ZkPaths.topics, watch: true) { try loadTopic(zk, topic) }
    }

    private func loadTopic(_ zk: any CoordinationClient, _ topic: String) throws {
        let path = ZkPaths.topic(topic)
        let assignment: ZkTopicAssignment
        do {
            assignment = try ZkJSON.decode(ZkTopicAssignment.self, try zk.get(path, watch: false).data, path: path)
        } catch CoordinationError.noNode { return }
        context.assignments[topic] = assignment.assignment
        if let data = try? zk.get(ZkPaths.topicConfig(topic), watch: false).data,
           let config = try? ZkJSON.decode(ZkTopicConfig.self, data, path: ZkPaths.topicConfig(topic)) {
            context.topicConfigs[topic] = config.config
        }
        for partition in assignment.assignment.keys {
            let tp = TopicPartition(topic, partition)
            do {
                let (data, stat) = try zk.get(ZkPaths.partitionState(tp), watch: false)
                context.states[tp] = (try ZkJSON.decode(ZkPartitionState.self, data, path: ZkPaths.partitionState(tp)), stat.version)
            } catch CoordinationError.noNode {
                context.states[tp] = nil
            }
        }
    }

    // MARK: Watches

    func handle(_ watch: WatchEvent, _ zk: any CoordinationClient) throws {
        guard active else { return }
        switch watch {
        case .nodeChildrenChanged(ZkPaths.brokerIds):
            try brokersChanged(zk)
        case .nodeChildrenChanged(ZkPaths.topics):
            try topicsChanged(zk)
        case .nodeChildrenChanged(ZkPaths.deleteTopics):
            try processDeletions(zk)
        case .nodeChildrenChanged(ZkPaths.isrChangeNotifications):
            try processIsrChangeNotifications(zk)
        default:
            break
        }
    }

    private func brokersChanged(_ zk: any CoordinationClient) throws {
        let before = Set(context.liveBrokers.keys)
        try loadBrokers(zk)
        let after = Set(context.liveBrokers.keys)
        let dead = before.subtracting(after)
        let born = after.subtracting(before)
        if !dead.isEmpty {
            logger.info("controller: brokers \(dead.sorted()) left")
            for id in dead { channel.removeBroker(id) }
            try onBrokerFailure(zk, dead)
        }
        if !born.isEmpty {
            logger.info("controller: brokers \(born.sorted()) joined")
            try onBrokerStartup(zk, born)
        }
    }

    /// Partitions led by a dead broker get a new leader (from the ISR, or unclean if allowed); the
    /// dead broker leaves every other ISR. Leader epochs are bumped for both, as Kafka's controller does.
    private func onBrokerFailure(_ zk: any CoordinationClient, _ dead: Set<Int32>) throws {
        var changed: [TopicPartition] = []
        for tp in context.allPartitions {
            guard let entry = context.states[tp] else { continue }
            if dead.contains(entry.state.leader) || entry.state.leader < 0 {
                if try electLeader(zk, tp, reason: "leader \(entry.state.leader) failed") { changed.append(tp) }
            } else if entry.state.isr.contains(where: dead.contains) {
                let written = try writeState(zk, tp, reason: "broker(s) \(dead.sorted()) failed") { state in
                    let isr = state.isr.filter { !dead.contains($0) }
                    guard isr != state.isr, !isr.isEmpty, !dead.contains(state.leader) else { return nil }
                    return StateDecision(leader: state.leader, isr: isr)
                }
                if written { changed.append(tp) }
            }
        }
        propagate(changed)
    }

    private func onBrokerStartup(_ zk: any CoordinationClient, _ born: Set<Int32>) throws {
        sendFullUpdate(to: Array(context.liveBrokers.values))
        let hosted = context.allPartitions.filter { tp in context.replicas(of: tp).contains(where: born.contains) }
        for id in born { sendLeaderAndIsr(partitions: hosted, to: [id]) }
        var changed: [TopicPartition] = []
        for tp in hosted where (context.states[tp]?.state.leader ?? -1) < 0 {
            if try electLeader(zk, tp, reason: "replica came back") { changed.append(tp) }
        }
        propagate(changed)
    }

    private func topicsChanged(_ zk: any CoordinationClient) throws {
        let names = Set(try zk.children(ZkPaths.topics, watch: true))
        let added = names.subtracting(context.assignments.keys)
        for topic in added.sorted() { try loadTopic(zk, topic) }
        let fresh = added.flatMap { topic in (context.assignments[topic] ?? [:]).keys.map { TopicPartition(topic, $0) } }
            .filter { context.states[$0] == nil }
        try initializeNewPartitions(zk, fresh.sorted())
        for topic in added.sorted() {
            logger.info("controller: topic \(topic) created")
        }
    }

    // MARK: Elections and state writes

    private func initializeNewPartitions(_ zk: any CoordinationClient, _ partitions: [TopicPartition]) throws {
        guard !partitions.isEmpty else { return }
        var created: [TopicPartition] = []
        for tp in partitions {
            guard let result = LeaderElection.newPartition(assignment: context.replicas(of: tp), live: context.liveIds) else {
                logger.warning("controller: \(tp) has no live replica; it stays offline")
                continue
            }
            let state = ZkPartitionState(controllerEpoch: context.epoch, leader: result.leader, leaderEpoch: 0, isr: result.isr)
            let path = ZkPaths.partitionState(tp)
            try zk.ensurePath(ZkPaths.partitions(tp.topic) + "/\(tp.partition)")
            do {
                let results = try zk.multi([.check(path: ZkPaths.controllerEpoch, expectedVersion: context.epochZkVersion),
                                            .create(path: path, data: ZkJSON.encode(state), mode: .persistent)])
                _ = results
                context.states[tp] = (state, 0)
                recordStateWrite(tp, replaced: nil, written: state, version: 0, unclean: false, reason: "new partition")
                created.append(tp)
            } catch CoordinationError.multiFailed(_, .nodeExists) {
                let (data, stat) = try zk.get(path, watch: false)
                context.states[tp] = (try ZkJSON.decode(ZkPartitionState.self, data, path: path), stat.version)
                created.append(tp)
            } catch CoordinationError.multiFailed(0, _) {
                throw ControllerFenced()
            }
        }
        propagate(created)
    }

    private func electOfflinePartitions(_ zk: any CoordinationClient) throws {
        var changed: [TopicPartition] = []
        for tp in context.allPartitions {
            guard let entry = context.states[tp] else { continue }
            if entry.state.leader < 0 || !context.liveIds.contains(entry.state.leader) {
                if try electLeader(zk, tp, reason: "leader \(entry.state.leader) not alive") { changed.append(tp) }
            }
        }
        propagate(changed)
    }

    /// Offline-partition election for `tp`; writes the new state. Returns whether anything changed.
    /// The election is made on the state the write replaces: on a version conflict it is made
    /// again on the fresh state (see `writeState`).
    @discardableResult
    private func electLeader(_ zk: any CoordinationClient, _ tp: TopicPartition, reason: String) throws -> Bool {
        let unclean = context.uncleanAllowed(tp.topic, brokerDefault: config.uncleanLeaderElection)
        let assignment = context.replicas(of: tp)
        let live = context.liveIds
        let seededBugs = config.seededBugs
        return try writeState(zk, tp, reason: reason) { state in
            // Seeded bug unclean-always.v2: the assigned replicas are handed over as if they were the ISR.
            let isr = seededBugs.contains(.uncleanAlwaysV2) ? assignment : state.isr
            if let result = LeaderElection.offlinePartition(assignment: assignment, isr: isr, live: live, uncleanEnabled: unclean,
                                                            seededBugs: seededBugs) {
                return StateDecision(leader: result.leader, isr: result.isr, unclean: result.unclean)
            }
            // No eligible leader: the partition goes offline, keeping its last ISR as Kafka does.
            guard state.leader >= 0 else { return nil }
            return StateDecision(leader: -1, isr: state.isr)
        }
    }

    // MARK: Telling brokers

    /// LeaderAndIsr to the replicas of the changed partitions, then UpdateMetadata to everyone.
    func propagate(_ changed: [TopicPartition]) {
        guard !changed.isEmpty else { return }
        var byBroker: [Int32: [TopicPartition]] = [:]
        for tp in changed {
            for replica in context.replicas(of: tp) where context.liveBrokers[replica] != nil {
                byBroker[replica, default: []].append(tp)
            }
        }
        for (broker, partitions) in byBroker { sendLeaderAndIsr(partitions: partitions, to: [broker]) }
        sendUpdate(partitions: changed, to: Array(context.liveBrokers.values))
    }

    func sendLeaderAndIsr(partitions: [TopicPartition], to brokers: [Int32]) {
        for id in brokers {
            guard let endpoint = context.liveBrokers[id] else { continue }
            let mine = partitions.filter { context.replicas(of: $0).contains(id) }.compactMap { context.leadership($0) }
            guard !mine.isEmpty else { continue }
            let leaders = Set(mine.map(\.leader)).compactMap { context.liveBrokers[$0] }
            channel.send(.leaderAndIsr(controllerId: brokerId, controllerEpoch: context.epoch, partitions: mine, liveLeaders: leaders), to: endpoint)
        }
    }

    func sendUpdate(partitions: [TopicPartition], deleted: [TopicPartition] = [], to brokers: [BrokerEndpoint]) {
        let leaderships = partitions.compactMap { context.leadership($0) }
        let configs = context.topicConfigs.filter { topic, _ in partitions.contains { $0.topic == topic } }
        for broker in brokers {
            channel.send(.updateMetadata(controllerId: brokerId, controllerEpoch: context.epoch,
                                         brokers: context.liveBrokers.values.sorted { $0.id < $1.id },
                                         partitions: leaderships, deleted: deleted, topicConfigs: configs), to: broker)
        }
    }

    func sendFullUpdate(to brokers: [BrokerEndpoint]) {
        let all = context.allPartitions
        let leaderships = all.compactMap { context.leadership($0) }
        for broker in brokers {
            channel.send(.updateMetadata(controllerId: brokerId, controllerEpoch: context.epoch,
                                         brokers: context.liveBrokers.values.sorted { $0.id < $1.id },
                                         partitions: leaderships, deleted: [], topicConfigs: context.topicConfigs), to: broker)
        }
    }
}

/// A controller write failed the controller-epoch check: another controller took over.
struct ControllerFenced: Error, CustomStringConvertible {
    var description: String { "the controller epoch changed: another broker is controller" }
}
