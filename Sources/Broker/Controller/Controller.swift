import Coordination
import Foundation
import KafkaProtocol
import Logging
import Replication

/// The active controller's shell (Kafka's ZooKeeper-mode `KafkaController`): elected through the
/// ephemeral `/controller` node, it reads the cluster from ZooKeeper and feeds what it read to the
/// `ControllerStateMachine` (Replication target), which makes every leadership decision. It carries
/// out the machine's directives: partition-state writes (each a multi-op that checks the controller
/// epoch, so a deposed controller is fenced), LeaderAndIsr, UpdateMetadata and StopReplica requests,
/// event-log lines.
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
    var machine: ControllerStateMachine
    /// Where the registered brokers listen, as read from their registration nodes.
    var endpoints: [Int32: BrokerEndpoint] = [:]
    /// Version of `/controller_epoch` after this controller bumped it: every state write is a
    /// multi-op that checks it, so a deposed controller's writes fail.
    var epochZkVersion: Int32 = -1
    private(set) var active = false
    /// The answer of the controlled shutdown being carried out, set by its last directive.
    var shutdownAnswer: (remaining: [TopicPartition], newLeaders: Set<Int32>)?

    init(brokerId: Int32, config: BrokerConfig, channel: any ControllerChannel, logger: Logger, events: EventLog, metrics: BrokerMetrics) {
        self.brokerId = brokerId
        self.config = config
        self.channel = channel
        self.logger = logger
        self.events = events
        self.metrics = metrics
        machine = ControllerStateMachine(uncleanLeaderElectionDefault: config.uncleanLeaderElection, seededBugs: config.seededBugs)
    }

    // MARK: Becoming and leaving

    /// Called after this broker created `/controller`. Bumps the controller epoch, loads the cluster
    /// from ZooKeeper, repairs offline partitions and brings every broker up to date.
    func activate(_ zk: any CoordinationClient) throws {
        let (epoch, version) = try bumpControllerEpoch(zk)
        machine.onBecameController(epoch: epoch)
        endpoints = [:]
        epochZkVersion = version
        active = true
        logger.info("broker \(brokerId) is controller at epoch \(epoch)")
        events.record("controller_elected", ["controller_epoch": Int(epoch)])
        machine.onBrokersRead(try loadBrokers(zk))
        try loadTopics(zk)
        _ = try zk.children(ZkPaths.isrChangeNotifications, watch: true)
        try processIsrChangeNotifications(zk)
        try execute(machine.onClusterLoaded(), zk)
        try processDeletions(zk)
    }

    /// Stop acting as controller (another broker took over, or the session expired).
    func resign(reason: String) {
        guard active else { return }
        active = false
        machine.abandonOperation()
        channel.removeAll()
        logger.warning("broker \(brokerId) resigns as controller: \(reason)")
        events.record("controller_resigned", ["controller_epoch": Int(machine.controllerEpoch), "reason": reason])
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

    /// Reads the registered brokers' endpoints; returns their ids.
    private func loadBrokers(_ zk: any CoordinationClient) throws -> Set<Int32> {
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
        endpoints = live
        return Set(live.keys)
    }

    private func loadTopics(_ zk: any CoordinationClient) throws {
        for topic in try zk.children(ZkPaths.topics, watch: true) { try loadTopic(zk, topic) }
    }

    private func loadTopic(_ zk: any CoordinationClient, _ topic: String) throws {
        let path = ZkPaths.topic(topic)
        let assignment: ZkTopicAssignment
        do {
            // The data watch reports partitions added by CreatePartitions.
            assignment = try ZkJSON.decode(ZkTopicAssignment.self, try zk.get(path, watch: true).data, path: path)
        } catch CoordinationError.noNode { return }
        var config: [String: String]?
        if let data = try? zk.get(ZkPaths.topicConfig(topic), watch: false).data,
           let stored = try? ZkJSON.decode(ZkTopicConfig.self, data, path: ZkPaths.topicConfig(topic)) {
            config = stored.config
        }
        var states: [Int32: ControllerPartitionState?] = [:]
        for partition in assignment.assignment.keys {
            let tp = TopicPartition(topic, partition)
            do {
                let (data, stat) = try zk.get(ZkPaths.partitionState(tp), watch: false)
                states[partition] = try ZkJSON.decode(ZkPartitionState.self, data, path: ZkPaths.partitionState(tp)).versioned(stat.version)
            } catch CoordinationError.noNode {
                states[partition] = .some(nil)
            }
        }
        machine.onTopicRead(topic, assignment: assignment.assignment, config: config, states: states, reassignments: assignment.reassignments)
    }

    // MARK: Watches

    func handle(_ watch: WatchEvent, _ zk: any CoordinationClient) throws {
        guard active else { return }
        switch watch {
        case .nodeChildrenChanged(ZkPaths.brokerIds):
            try execute(machine.onBrokersChanged(try loadBrokers(zk)), zk)
        case .nodeChildrenChanged(ZkPaths.topics):
            try topicsChanged(zk)
        case .nodeChildrenChanged(ZkPaths.deleteTopics):
            try processDeletions(zk)
        case .nodeChildrenChanged(ZkPaths.isrChangeNotifications):
            try processIsrChangeNotifications(zk)
        case .nodeDataChanged(let path):
            if let topic = ZkPaths.topicName(ofAssignmentPath: path) { try partitionsChanged(zk, topic) }
        default:
            break
        }
    }

    private func topicsChanged(_ zk: any CoordinationClient) throws {
        let names = Set(try zk.children(ZkPaths.topics, watch: true))
        let added = names.subtracting(machine.assignments.keys).sorted()
        for topic in added { try loadTopic(zk, topic) }
        try execute(machine.onTopicsCreated(added), zk)
    }

    /// A topic's assignment node changed: read it (re-arming the watch) and start its new partitions.
    private func partitionsChanged(_ zk: any CoordinationClient, _ topic: String) throws {
        let path = ZkPaths.topic(topic)
        let assignment: ZkTopicAssignment
        do {
            assignment = try ZkJSON.decode(ZkTopicAssignment.self, try zk.get(path, watch: true).data, path: path)
        } catch CoordinationError.noNode { return }
        try execute(machine.onPartitionsAdded(topic, assignment: assignment.assignment), zk)
    }

    /// Kafka's auto leader rebalance (see `ControllerStateMachine.onRebalanceDue`).
    func rebalanceLeaders(_ zk: any CoordinationClient) throws {
        guard active, config.autoLeaderRebalance else { return }
        try execute(machine.onRebalanceDue(imbalancePercentMax: config.leaderImbalancePerBrokerPercentage), zk)
    }

    /// A broker asked to shut down (see `ControllerStateMachine.onControlledShutdownRequested`).
    /// Returns the partitions it still leads and the brokers made leaders, whose LeaderAndIsr the
    /// answer should wait for.
    func controlledShutdown(_ zk: any CoordinationClient, broker id: Int32) throws -> (remaining: [TopicPartition], newLeaders: Set<Int32>) {
        shutdownAnswer = nil
        try execute(machine.onControlledShutdownRequested(broker: id), zk)
        defer { shutdownAnswer = nil }
        return shutdownAnswer ?? ([], [])
    }
}

/// A controller write failed the controller-epoch check: another controller took over.
struct ControllerFenced: Error, CustomStringConvertible {
    var description: String { "the controller epoch changed: another broker is controller" }
}

extension ZkPartitionState {
    func versioned(_ version: Int32) -> ControllerPartitionState {
        ControllerPartitionState(leader: leader, leaderEpoch: leaderEpoch, isr: isr, controllerEpoch: controllerEpoch, version: version)
    }
}
