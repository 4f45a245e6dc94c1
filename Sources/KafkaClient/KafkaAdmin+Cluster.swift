import KafkaProtocol

extension KafkaAdmin {
    /// The cluster as DescribeCluster reports it.
    public struct ClusterDescription: Sendable, Equatable, Codable {
        public struct Broker: Sendable, Equatable, Codable {
            public var id: Int32
            public var host: String
            public var port: Int32
            public var rack: String?
        }
        public var clusterId: String
        public var controllerId: Int32
        public var brokers: [Broker]
    }

    public func describeCluster() async throws -> ClusterDescription {
        let connection = try await cluster.anyConnection()
        let response: DescribeClusterResponse = try await connection.send(DescribeClusterRequest(), timeoutMs: cluster.options.requestTimeoutMs)
        if response.errorCode != 0 {
            throw KafkaClientError.broker(ErrorCode(rawValue: response.errorCode) ?? .unknownServerError, response.errorMessage)
        }
        return ClusterDescription(clusterId: response.clusterId, controllerId: response.controllerId,
                                  brokers: response.brokers.map { .init(id: $0.brokerId, host: $0.host, port: $0.port, rack: $0.rack) })
    }

    /// CreatePartitions for one topic: raises it to `count` partitions in total (kafka-topics
    /// --alter --partitions). With `validateOnly` the broker checks the request and changes nothing.
    public func createPartitions(_ topic: String, count: Int32, assignments: [[Int32]]? = nil, validateOnly: Bool = false) async throws {
        let connection = try await controllerConnection()
        let request = CreatePartitionsRequest(topics: [.init(name: topic, count: count, assignments: assignments)],
                                              timeoutMs: Int32(cluster.options.requestTimeoutMs), validateOnly: validateOnly)
        let response: CreatePartitionsResponse = try await connection.send(request, timeoutMs: cluster.options.requestTimeoutMs + 5000)
        if let result = response.results.first, result.errorCode != 0 {
            throw KafkaClientError.broker(ErrorCode(rawValue: result.errorCode) ?? .unknownServerError, result.errorMessage)
        }
    }
}

extension KafkaAdmin {
    /// DeleteRecords on one partition, sent to its leader: records below `offset` (-1: the high
    /// watermark) go. Returns the partition's new log start offset (the low watermark).
    public func deleteRecords(_ topicPartition: TopicPartition, before offset: Int64) async throws -> Int64 {
        let metadata = try await cluster.refreshMetadata(topics: [topicPartition.topic])
        guard let topic = metadata.topics[topicPartition.topic], topic.errorCode == .none else { throw KafkaClientError.unknownTopic(topicPartition.topic) }
        guard let partition = metadata.partition(topicPartition) else {
            throw KafkaClientError.broker(.unknownTopicOrPartition, "\(topicPartition.topic) has no partition \(topicPartition.partition)")
        }
        let leader = partition.leader
        guard leader >= 0 else { throw KafkaClientError.noLeader(topicPartition) }
        let connection = try await cluster.connection(broker: leader)
        let request = DeleteRecordsRequest(topics: [.init(name: topicPartition.topic, partitions: [.init(partitionIndex: topicPartition.partition, offset: offset)])],
                                           timeoutMs: Int32(cluster.options.requestTimeoutMs))
        let response: DeleteRecordsResponse = try await connection.send(request, timeoutMs: cluster.options.requestTimeoutMs + 5000)
        guard let result = response.topics.first?.partitions.first else { throw KafkaClientError.protocolError("DeleteRecords answered no partition") }
        if result.errorCode != 0 {
            throw KafkaClientError.broker(ErrorCode(rawValue: result.errorCode) ?? .unknownServerError, "deleting records of \(topicPartition) below \(offset)")
        }
        return result.lowWatermark
    }
}

extension KafkaAdmin {
    /// ElectLeaders, sent to the controller: each partition's answer by name. Preferred: NONE when
    /// its preferred replica now leads, ELECTION_NOT_NEEDED when it already did. Unclean: NONE when a
    /// partition without a live leader got one, ELECTION_NOT_NEEDED when it had one,
    /// ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica is alive. Nil `partitions` asks for every partition.
    public func electLeaders(_ partitions: [TopicPartition]?, type: ElectionType = .preferred) async throws -> [TopicPartition: String] {
        let connection = try await controllerConnection()
        let grouped = partitions.map { Dictionary(grouping: $0, by: \.topic) }
        let request = ElectLeadersRequest(electionType: type.rawValue, topicPartitions: grouped.map { groups in
            groups.keys.sorted().map { ElectLeadersRequest.TopicPartitions(topic: $0, partitions: groups[$0]!.map(\.partition)) }
        }, timeoutMs: Int32(cluster.options.requestTimeoutMs))
        let response: ElectLeadersResponse = try await connection.send(request, timeoutMs: cluster.options.requestTimeoutMs + 5000)
        if response.errorCode != 0 { throw KafkaClientError.broker(ErrorCode(rawValue: response.errorCode) ?? .unknownServerError, nil) }
        var results: [TopicPartition: String] = [:]
        for topic in response.results {
            for partition in topic.partitions {
                results[TopicPartition(topic.topic, partition.partitionId)] = (ErrorCode(rawValue: partition.errorCode) ?? .unknownServerError).name
            }
        }
        return results
    }
}

extension KafkaAdmin {
    /// One replica's log as DescribeLogDirs reports it.
    public struct LogDirReplica: Sendable, Equatable, Codable {
        public var broker: Int32
        public var logDir: String
        public var topic: String
        public var partition: Int32
        public var sizeBytes: Int64
        public var offsetLag: Int64
    }

    /// DescribeLogDirs to every broker (kafka-log-dirs --describe), for `topics` (nil: every topic).
    public func describeLogDirs(topics: [String]?) async throws -> [LogDirReplica] {
        let metadata = try await cluster.refreshMetadata(topics: topics)
        let request = DescribeLogDirsRequest(topics: topics.map { names in
            names.compactMap { name in
                metadata.topics[name].map { DescribeLogDirsRequest.Topic(topic: name, partitions: $0.partitions.map(\.topicPartition.partition)) }
            }
        })
        var replicas: [LogDirReplica] = []
        for broker in metadata.brokers.keys.sorted() {
            let connection = try await cluster.connection(broker: broker)
            let response: DescribeLogDirsResponse = try await connection.send(request, timeoutMs: cluster.options.requestTimeoutMs)
            for result in response.results where result.errorCode == 0 {
                for topic in result.topics {
                    for partition in topic.partitions {
                        replicas.append(LogDirReplica(broker: broker, logDir: result.logDir, topic: topic.name, partition: partition.partitionIndex,
                                                      sizeBytes: partition.partitionSize, offsetLag: partition.offsetLag))
                    }
                }
            }
        }
        return replicas
    }
}
