import Coordination
import KafkaProtocol

extension ZooKeeperControlPlane {
    /// Notifications kept under `/config/changes`: brokers re-read every topic's config on any
    /// change, so older ones carry nothing a broker still needs.
    static let configChangesKept = 10

    /// AlterConfigs for a topic as in ZooKeeper-mode Kafka: `/config/topics/T` gets the new overrides
    /// (written conditionally on the version read, retried a few times against concurrent writers),
    /// then a `/config/changes` notification tells every broker to re-read. Answers once this broker
    /// applied them, so a DescribeConfigs that follows shows them.
    func alterTopicConfigs(_ topic: String, _ change: TopicConfigChange, validateOnly: Bool) async -> TopicOperationResult {
        guard let replicationFactor = metadata.snapshot.partitions(of: topic).first?.replicas.count else {
            return TopicOperationResult(name: topic, errorCode: .unknownTopicOrPartition, message: "topic '\(topic)' does not exist")
        }
        let outcome: Result<[String: String], TopicOperationFailure>
        do {
            outcome = try await session.run { zk in try Self.writeTopicConfig(zk, topic, change, replicationFactor: replicationFactor, validateOnly: validateOnly) }
        } catch {
            return TopicOperationResult(name: topic, errorCode: .unknownServerError, message: "ZooKeeper: \(error)")
        }
        switch outcome {
        case .failure(let failure):
            return failure.result
        case .success(let configs):
            if !validateOnly { await waitForTopicConfig(topic, configs) }
            return TopicOperationResult(name: topic, errorCode: .none)
        }
    }

    private static func writeTopicConfig(_ zk: any CoordinationClient, _ topic: String, _ change: TopicConfigChange, replicationFactor: Int,
                                         validateOnly: Bool) throws -> Result<[String: String], TopicOperationFailure> {
        let path = ZkPaths.topicConfig(topic)
        for _ in 0..<5 {
            var current: [String: String] = [:]
            var version: Int32?
            do {
                let (data, stat) = try zk.get(path, watch: false)
                current = try ZkJSON.decode(ZkTopicConfig.self, data, path: path).config
                version = stat.version
            } catch CoordinationError.noNode {}
            let updated: [String: String]
            switch change.apply(to: current, topic: topic, replicationFactor: replicationFactor) {
            case .failure(let failure): return .failure(failure)
            case .success(let configs): updated = configs
            }
            if validateOnly { return .success(updated) }
            let data = ZkJSON.encode(ZkTopicConfig(config: updated))
            do {
                if let version {
                    _ = try zk.set(path, data: data, expectedVersion: version)
                } else {
                    try zk.ensurePath(ZkPaths.topicConfigs)
                    _ = try zk.create(path, data: data, mode: .persistent)
                }
            } catch CoordinationError.badVersion, CoordinationError.nodeExists {
                continue
            }
            try notifyConfigChange(zk, entityPath: "topics/\(topic)")
            return .success(updated)
        }
        return .failure(TopicOperationFailure(TopicOperationResult(name: topic, errorCode: .unknownServerError,
                                                                   message: "topic '\(topic)' configs kept changing under this request; retry")))
    }

    private static func notifyConfigChange(_ zk: any CoordinationClient, entityPath: String) throws {
        try zk.ensurePath(ZkPaths.configChanges)
        let note = ZkJSON.encode(ZkConfigChangeNotification(entityPath: entityPath))
        _ = try zk.create("\(ZkPaths.configChanges)/\(ZkPaths.configChangePrefix)", data: note, mode: .persistentSequential)
        let children = try zk.children(ZkPaths.configChanges, watch: false).sorted()
        for old in children.dropLast(configChangesKept) {
            try? zk.delete("\(ZkPaths.configChanges)/\(old)", expectedVersion: NodeStat.anyVersion)
        }
    }

    /// Waits (bounded) until this broker's metadata holds `configs` for `topic`.
    private func waitForTopicConfig(_ topic: String, _ configs: [String: String]) async {
        let deadline = BrokerClock.monotonicMs() + 10_000
        while BrokerClock.monotonicMs() < deadline {
            if (metadata.snapshot.topicConfigs[topic] ?? [:]) == configs { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
