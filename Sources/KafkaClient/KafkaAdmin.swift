import KafkaProtocol
import NIOCore

/// Cluster administration and inspection: what `samsa topics`, `samsa groups` and the lab's observers
/// need. Each call is bounded by the cluster's request timeout.
public struct KafkaAdmin: Sendable {
    public let cluster: KafkaCluster

    public init(cluster: KafkaCluster) { self.cluster = cluster }

    public struct PartitionDescription: Sendable, Equatable, Codable {
        public var topic: String
        public var partition: Int32
        public var leader: Int32
        public var leaderEpoch: Int32
        public var replicas: [Int32]
        public var isr: [Int32]
        public var offlineReplicas: [Int32]
        /// The high watermark from the leader; nil when the leader could not be asked.
        public var highWatermark: Int64?
        public var logStartOffset: Int64?
        public var error: String?
    }

    /// Every partition of `topics` (all topics when nil) with leader, epoch, replicas, ISR and HW.
    public func describeTopics(_ topics: [String]?, includeInternal: Bool = false) async throws -> [PartitionDescription] {
        let metadata = try await cluster.refreshMetadata(topics: topics)
        var descriptions: [PartitionDescription] = []
        for name in metadata.topics.keys.sorted() {
            let topic = metadata.topics[name]!
            if topic.isInternal && !includeInternal && topics == nil { continue }
            if topic.errorCode != .none && topic.partitions.isEmpty {
                descriptions.append(PartitionDescription(topic: name, partition: -1, leader: -1, leaderEpoch: -1, replicas: [], isr: [],
                                                         offlineReplicas: [], error: topic.errorCode.name))
                continue
            }
            for partition in topic.partitions {
                descriptions.append(PartitionDescription(topic: name, partition: partition.topicPartition.partition, leader: partition.leader,
                                                         leaderEpoch: partition.leaderEpoch, replicas: partition.replicas, isr: partition.isr,
                                                         offlineReplicas: partition.offlineReplicas,
                                                         error: partition.errorCode == .none ? nil : partition.errorCode.name))
            }
        }
        let offsets = await listOffsets(descriptions.filter { $0.leader >= 0 }.map { TopicPartition($0.topic, $0.partition) }, timestamp: -1)
        let starts = await listOffsets(descriptions.filter { $0.leader >= 0 }.map { TopicPartition($0.topic, $0.partition) }, timestamp: -2)
        for index in descriptions.indices {
            let tp = TopicPartition(descriptions[index].topic, descriptions[index].partition)
            descriptions[index].highWatermark = offsets[tp]
            descriptions[index].logStartOffset = starts[tp]
        }
        return descriptions
    }

    /// ListOffsets at each partition's leader: -1 latest (the HW), -2 earliest. Partitions whose
    /// leader cannot be reached are missing from the result.
    public func listOffsets(_ partitions: [TopicPartition], timestamp: Int64) async -> [TopicPartition: Int64] {
        guard let metadata = cluster.cachedMetadata else { return [:] }
        var byLeader: [Int32: [TopicPartition]] = [:]
        for tp in partitions {
            if let leader = metadata.partition(tp)?.leader, leader >= 0 { byLeader[leader, default: []].append(tp) }
        }
        var result: [TopicPartition: Int64] = [:]
        await withTaskGroup(of: [TopicPartition: Int64].self) { group in
            for (leader, tps) in byLeader {
                group.addTask {
                    do {
                        let connection = try await cluster.connection(broker: leader)
                        let byTopic = Dictionary(grouping: tps, by: \.topic)
                        let request = ListOffsetsRequest(topics: byTopic.map { topic, tps in
                            .init(name: topic, partitions: tps.map { .init(partitionIndex: $0.partition, timestamp: timestamp) })
                        })
                        let response: ListOffsetsResponse = try await connection.send(request, timeoutMs: cluster.options.requestTimeoutMs)
                        var out: [TopicPartition: Int64] = [:]
                        for topic in response.topics {
                            for partition in topic.partitions where partition.errorCode == 0 {
                                out[TopicPartition(topic.name, partition.partitionIndex)] = partition.offset
                            }
                        }
                        return out
                    } catch {
                        return [:]
                    }
                }
            }
            for await partial in group { result.merge(partial) { a, _ in a } }
        }
        return result
    }

    public func createTopic(_ name: String, partitions: Int32, replicationFactor: Int16, configs: [String: String] = [:]) async throws {
        let connection = try await controllerConnection()
        let request = CreateTopicsRequest(topics: [.init(name: name, numPartitions: partitions, replicationFactor: replicationFactor,
                                                         configs: configs.map { .init(name: $0.key, value: $0.value) })],
                                          timeoutMs: Int32(cluster.options.requestTimeoutMs))
        let response: CreateTopicsResponse = try await connection.send(request, timeoutMs: cluster.options.requestTimeoutMs + 5000)
        if let topic = response.topics.first, topic.errorCode != 0 {
            throw KafkaClientError.broker(ErrorCode(rawValue: topic.errorCode) ?? .unknownServerError, topic.errorMessage)
        }
    }

    /// Each topic's `min.insync.replicas` (topic setting, else the broker default) from DescribeConfigs.
    public func minInsyncReplicas(_ topics: Set<String>) async throws -> [String: Int] {
        let connection = try await cluster.anyConnection()
        let request = DescribeConfigsRequest(resources: topics.sorted().map { .init(resourceType: 2, resourceName: $0, configurationKeys: ["min.insync.replicas"]) })
        let response: DescribeConfigsResponse = try await connection.send(request, timeoutMs: cluster.options.requestTimeoutMs)
        var result: [String: Int] = [:]
        for entry in response.results {
            if let value = entry.configs.first(where: { $0.name == "min.insync.replicas" })?.value, let number = Int(value) {
                result[entry.resourceName] = number
            }
        }
        return result
    }

    /// The values of `keys` for each named resource, from DescribeConfigs: topics (resource type 2,
    /// their effective values) or brokers (type 4; the name "" is the broker that answers).
    public func configs(resourceType: Int8, names: [String], keys: [String]) async throws -> [String: [String: String]] {
        let connection = try await cluster.anyConnection()
        let request = DescribeConfigsRequest(resources: names.map { .init(resourceType: resourceType, resourceName: $0, configurationKeys: keys) })
        let response: DescribeConfigsResponse = try await connection.send(request, timeoutMs: cluster.options.requestTimeoutMs)
        var result: [String: [String: String]] = [:]
        for entry in response.results where entry.errorCode == 0 {
            for config in entry.configs { if let value = config.value { result[entry.resourceName, default: [:]][config.name] = value } }
        }
        return result
    }

    public func deleteTopic(_ name: String) async throws {
        let connection = try await controllerConnection()
        let response: DeleteTopicsResponse = try await connection.send(DeleteTopicsRequest(topicNames: [name], timeoutMs: Int32(cluster.options.requestTimeoutMs)),
                                                                       timeoutMs: cluster.options.requestTimeoutMs + 5000)
        if let result = response.responses.first, result.errorCode != 0 {
            throw KafkaClientError.broker(ErrorCode(rawValue: result.errorCode) ?? .unknownServerError, "deleting '\(name)'")
        }
    }

    func controllerConnection() async throws -> KafkaConnection {
        let metadata = try await cluster.refreshMetadata(topics: [])
        if metadata.controllerId >= 0, let connection = try? await cluster.connection(broker: metadata.controllerId) { return connection }
        return try await cluster.anyConnection()
    }
}
