import KafkaProtocol

extension KafkaAdmin {
    /// One partition move in progress, as ListPartitionReassignments reports it (the columns of
    /// kafka-reassign-partitions --list).
    public struct PartitionMove: Sendable, Equatable, Codable {
        public var topic: String
        public var partition: Int32
        /// The full replica set while the move lasts: the target, then the replicas leaving.
        public var replicas: [Int32]
        public var adding: [Int32]
        public var removing: [Int32]
    }

    /// AlterPartitionReassignments for one partition, sent to the controller: moves it to `replicas`
    /// (the first preferred), or with nil cancels its move. Returns once the controller started it;
    /// a refusal throws with the controller's reason.
    public func reassignPartition(_ tp: TopicPartition, replicas: [Int32]?) async throws {
        let connection = try await controllerConnection()
        let request = AlterPartitionReassignmentsRequest(timeoutMs: Int32(cluster.options.requestTimeoutMs), topics: [
            .init(name: tp.topic, partitions: [.init(partitionIndex: tp.partition, replicas: replicas)]),
        ])
        let response: AlterPartitionReassignmentsResponse = try await connection.send(request, timeoutMs: cluster.options.requestTimeoutMs + 5000)
        if response.errorCode != 0 {
            throw KafkaClientError.broker(ErrorCode(rawValue: response.errorCode) ?? .unknownServerError, response.errorMessage)
        }
        guard let result = response.responses.first(where: { $0.name == tp.topic })?.partitions.first(where: { $0.partitionIndex == tp.partition }) else {
            throw KafkaClientError.protocolError("AlterPartitionReassignments answered nothing for \(tp)")
        }
        if result.errorCode != 0 {
            throw KafkaClientError.broker(ErrorCode(rawValue: result.errorCode) ?? .unknownServerError, result.errorMessage)
        }
    }

    /// ListPartitionReassignments, sent to the controller: the moves in progress among `partitions`
    /// (nil: every partition), by topic and partition.
    public func partitionReassignments(_ partitions: [TopicPartition]?) async throws -> [PartitionMove] {
        let connection = try await controllerConnection()
        let grouped = partitions.map { Dictionary(grouping: $0, by: \.topic) }
        let request = ListPartitionReassignmentsRequest(timeoutMs: Int32(cluster.options.requestTimeoutMs), topics: grouped.map { groups in
            groups.keys.sorted().map { ListPartitionReassignmentsRequest.Topic(name: $0, partitionIndexes: groups[$0]!.map(\.partition)) }
        })
        let response: ListPartitionReassignmentsResponse = try await connection.send(request, timeoutMs: cluster.options.requestTimeoutMs + 5000)
        if response.errorCode != 0 {
            throw KafkaClientError.broker(ErrorCode(rawValue: response.errorCode) ?? .unknownServerError, response.errorMessage)
        }
        return response.topics.flatMap { topic in
            topic.partitions.map {
                PartitionMove(topic: topic.name, partition: $0.partitionIndex, replicas: $0.replicas, adding: $0.addingReplicas, removing: $0.removingReplicas)
            }
        }.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    }
}
