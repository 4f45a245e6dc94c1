import Coordination
import KafkaProtocol

extension ZooKeeperControlPlane {
    /// CreatePartitions as in ZooKeeper-mode Kafka: the topic's assignment node gets the new
    /// partitions, written conditionally on the version read (a concurrent change answers
    /// REASSIGNMENT_IN_PROGRESS rather than losing either write); the controller, watching that node,
    /// gives the new partitions their first state and leaders. Answers once this broker's metadata
    /// shows them led, as CreateTopics does.
    func createPartitions(_ increases: [PartitionIncrease], validateOnly: Bool) async -> [TopicOperationResult] {
        let cluster = metadata.snapshot
        let live = Set(cluster.brokers.keys)
        let hosted = cluster.partitions.values.reduce(into: [Int32: Int]()) { hosted, leadership in
            for broker in leadership.replicas { hosted[broker, default: 0] += 1 }
        }
        let limits = self.limits
        var results: [TopicOperationResult] = []
        var grown: [String: Int32] = [:]
        for increase in increases {
            do {
                let result = try await session.run { zk -> TopicOperationResult in
                    let path = ZkPaths.topic(increase.name)
                    let read: (data: [UInt8], stat: NodeStat)
                    do { read = try zk.get(path, watch: false) } catch CoordinationError.noNode {
                        return TopicOperationResult(name: increase.name, errorCode: .unknownTopicOrPartition, message: "topic '\(increase.name)' does not exist")
                    }
                    let stored = try ZkJSON.decode(ZkTopicAssignment.self, read.data, path: path)
                    if stored.isReassigning {
                        // As Kafka: the assignment node holds the moves in flight, which a rewrite would lose.
                        return TopicOperationResult(name: increase.name, errorCode: .reassignmentInProgress,
                                                    message: "topic '\(increase.name)' has a partition reassignment in progress; retry when it completes")
                    }
                    let current = stored.assignment
                    let plan: [Int32: [Int32]]
                    switch TopicValidation.planIncrease(increase, current: current, liveBrokers: live, hosted: hosted, limits: limits) {
                    case .failure(let failure): return failure.result
                    case .success(let planned): plan = planned
                    }
                    if validateOnly { return TopicOperationResult(name: increase.name, errorCode: .none) }
                    let updated = current.merging(plan) { old, _ in old }
                    do {
                        _ = try zk.set(path, data: ZkJSON.encode(ZkTopicAssignment(assignment: updated)), expectedVersion: read.stat.version)
                    } catch CoordinationError.badVersion {
                        return TopicOperationResult(name: increase.name, errorCode: .reassignmentInProgress,
                                                    message: "topic '\(increase.name)' changed while its partitions were being added; retry")
                    }
                    return TopicOperationResult(name: increase.name, errorCode: .none)
                }
                results.append(result)
                if result.errorCode == .none && !validateOnly { grown[increase.name] = increase.count }
            } catch {
                results.append(.init(name: increase.name, errorCode: .unknownServerError, message: "ZooKeeper: \(error)"))
            }
        }
        await waitForPartitions(grown)
        return results
    }

    /// Waits (bounded) until this broker's metadata has every grown topic at its new count, led.
    private func waitForPartitions(_ counts: [String: Int32]) async {
        guard !counts.isEmpty else { return }
        let deadline = BrokerClock.monotonicMs() + 10_000
        while BrokerClock.monotonicMs() < deadline {
            let cluster = metadata.snapshot
            let done = counts.allSatisfy { name, count in
                let partitions = cluster.partitions(of: name)
                return partitions.count >= Int(count) && partitions.allSatisfy { $0.leader >= 0 }
            }
            if done { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
