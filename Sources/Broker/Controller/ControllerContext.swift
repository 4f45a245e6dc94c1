import KafkaProtocol

/// Everything the active controller knows, read from ZooKeeper when it took over and kept in step
/// with every write it makes. Owner: the `Controller`, on the ZooKeeper queue.
struct ControllerContext {
    var epoch: Int32 = 0
    /// Version of `/controller_epoch` after this controller bumped it: every state write is a
    /// multi-op that checks it, so a deposed controller's writes fail.
    var epochZkVersion: Int32 = -1
    var liveBrokers: [Int32: BrokerEndpoint] = [:]
    var shuttingDown: Set<Int32> = []
    var assignments: [String: [Int32: [Int32]]] = [:]
    var states: [TopicPartition: (state: ZkPartitionState, version: Int32)] = [:]
    var topicConfigs: [String: [String: String]] = [:]
    var deleting: Set<String> = []

    var liveIds: Set<Int32> { Set(liveBrokers.keys).subtracting(shuttingDown) }

    func replicas(of tp: TopicPartition) -> [Int32] { assignments[tp.topic]?[tp.partition] ?? [] }

    var allPartitions: [TopicPartition] {
        assignments.flatMap { topic, partitions in partitions.keys.map { TopicPartition(topic, $0) } }.sorted()
    }

    func leadership(_ tp: TopicPartition) -> PartitionLeadership? {
        guard let entry = states[tp] else { return nil }
        return PartitionLeadership(topicPartition: tp, leader: entry.state.leader, leaderEpoch: entry.state.leaderEpoch,
                                   isr: entry.state.isr, replicas: replicas(of: tp),
                                   controllerEpoch: entry.state.controllerEpoch, stateVersion: entry.version)
    }

    func uncleanAllowed(_ topic: String, brokerDefault: Bool) -> Bool {
        topicConfigs[topic]?["unclean.leader.election.enable"].map { $0 == "true" } ?? brokerDefault
    }
}
