import KafkaProtocol
import NIOCore

extension RequestRouter {
    /// Metadata: brokers, the controller, and each requested topic's partitions with leader, epoch,
    /// replicas, ISR and offline replicas. Unknown topics are auto-created when the broker allows it
    /// and the request does (v4+ flag; always for v0–3), as Kafka does.
    func handleMetadata(_ request: MetadataRequest, _ context: RequestContext) -> EventLoopFuture<(any KafkaMessage)?> {
        let version = context.version
        let requested: [String]? = request.topics.map { $0.compactMap(\.name) }
        let wantsAll = requested == nil || (version == 0 && requested?.isEmpty == true)
        let cluster = broker.metadata.snapshot
        let missing = wantsAll ? [] : (requested ?? []).filter { !cluster.hasTopic($0) && TopicPartition.validateTopicName($0) == nil }
        let allowCreate = broker.config.autoCreateTopics && (version < 4 || request.allowAutoTopicCreation)
        guard allowCreate, !missing.isEmpty else {
            return context.eventLoop.makeSucceededFuture(buildMetadata(requested: wantsAll ? nil : requested))
        }
        let creations = missing.map {
            TopicCreation(name: $0, numPartitions: broker.config.numPartitions, replicationFactor: broker.config.defaultReplicationFactor)
        }
        let promise = context.eventLoop.makePromise(of: (any KafkaMessage)?.self)
        let controlPlane = broker.controlPlane
        promise.completeWithTask {
            _ = await controlPlane.createTopics(creations, validateOnly: false)
            return self.buildMetadata(requested: requested)
        }
        return promise.futureResult
    }

    func buildMetadata(requested: [String]?) -> MetadataResponse {
        let cluster = broker.metadata.snapshot
        let names = requested ?? cluster.topicNames
        let brokers = cluster.brokers.values.sorted { $0.id < $1.id }.map {
            MetadataResponse.Broker(nodeId: $0.id, host: $0.host, port: $0.port, rack: $0.rack)
        }
        let topics = names.map { name -> MetadataResponse.Topic in
            if let problem = TopicPartition.validateTopicName(name) {
                _ = problem
                return MetadataResponse.Topic(errorCode: ErrorCode.invalidTopicException.rawValue, name: name, isInternal: false, partitions: [])
            }
            let partitions = cluster.partitions(of: name)
            guard !partitions.isEmpty else {
                return MetadataResponse.Topic(errorCode: ErrorCode.unknownTopicOrPartition.rawValue, name: name, isInternal: false, partitions: [])
            }
            return MetadataResponse.Topic(
                errorCode: 0, name: name, isInternal: name.hasPrefix("__"),
                partitions: partitions.map { leadership in
                    let offline = leadership.replicas.filter { cluster.brokers[$0] == nil }
                    let leaderless = leadership.leader < 0 || cluster.brokers[leadership.leader] == nil
                    return MetadataResponse.Partition(
                        errorCode: leaderless ? ErrorCode.leaderNotAvailable.rawValue : 0,
                        partitionIndex: leadership.topicPartition.partition,
                        leaderId: leaderless ? -1 : leadership.leader,
                        leaderEpoch: leadership.leaderEpoch,
                        replicaNodes: leadership.replicas,
                        isrNodes: leadership.isr,
                        offlineReplicas: offline)
                })
        }
        return MetadataResponse(brokers: brokers, clusterId: cluster.clusterId, controllerId: cluster.controllerId, topics: topics)
    }
}
