import KafkaProtocol
import NIOCore

extension RequestRouter {
    /// CreateTopics: resolves -1 defaults (v4), then asks the control plane, which validates with
    /// Kafka's error codes. Any broker accepts it. v5+ answers each created (or validated) topic with
    /// its partition count, replication factor and configs as DescribeConfigs would show them; v7's
    /// topic id stays zero, since Samsa keeps no topic ids.
    func handleCreateTopics(_ request: CreateTopicsRequest, _ context: RequestContext) -> EventLoopFuture<(any KafkaMessage)?> {
        let version = context.version
        var seen: Set<String> = []
        let duplicates = Set(request.topics.map(\.name).filter { !seen.insert($0).inserted })
        let creations = request.topics.filter { !duplicates.contains($0.name) }.map { topic in
            TopicCreation(
                name: topic.name,
                numPartitions: topic.numPartitions == -1 ? broker.config.numPartitions : topic.numPartitions,
                replicationFactor: topic.replicationFactor == -1 ? broker.config.defaultReplicationFactor : topic.replicationFactor,
                assignment: topic.assignments.isEmpty ? nil : Dictionary(topic.assignments.map { ($0.partitionIndex, $0.brokerIds) }, uniquingKeysWith: { a, _ in a }),
                configs: Dictionary(topic.configs.compactMap { config in config.value.map { (config.name, $0) } }, uniquingKeysWith: { _, b in b }))
        }
        let controlPlane = broker.controlPlane
        let promise = context.eventLoop.makePromise(of: (any KafkaMessage)?.self)
        promise.completeWithTask {
            let results = await controlPlane.createTopics(creations, validateOnly: request.validateOnly)
            var byName = Dictionary(results.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            for name in duplicates {
                byName[name] = TopicOperationResult(name: name, errorCode: .invalidRequest, message: "topic '\(name)' appears more than once in the request")
            }
            let created = Dictionary(creations.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            return CreateTopicsResponse(topics: request.topics.map(\.name).uniqued().map { name in
                let result = byName[name] ?? TopicOperationResult(name: name, errorCode: .unknownServerError)
                var topic = CreateTopicsResponse.Topic(name: name, errorCode: result.errorCode.rawValue,
                                                       errorMessage: version >= 1 ? result.message : nil)
                if version >= 5, result.errorCode == .none, let creation = created[name] {
                    topic.numPartitions = creation.assignment.map { Int32($0.count) } ?? creation.numPartitions
                    topic.replicationFactor = creation.assignment?.values.first.map { Int16($0.count) } ?? creation.replicationFactor
                    topic.configs = self.createdTopicConfigs(creation.configs)
                }
                return topic
            })
        }
        return promise.futureResult
    }

    /// DeleteTopics by name. v6 may name a topic by id instead (a null name): Samsa keeps no topic
    /// ids, so those are answered UNKNOWN_TOPIC_ID, as Kafka answers an id it does not know; an entry
    /// with both a name and an id is INVALID_REQUEST and deletes nothing, as in Kafka. v5+ carries
    /// the error message.
    func handleDeleteTopics(_ request: DeleteTopicsRequest, _ context: RequestContext) -> EventLoopFuture<(any KafkaMessage)?> {
        let version = context.version
        let byId = request.topics.filter { $0.name == nil }.map(\.topicId).uniqued().map {
            DeleteTopicsResponse.Response(name: nil, topicId: $0, errorCode: ErrorCode.unknownTopicId.rawValue,
                                          errorMessage: version >= 5 ? "topic id \($0) is unknown: this broker keeps no topic ids, delete by name" : nil)
        } + request.topics.filter { $0.name != nil && $0.topicId != .zero }.map {
            DeleteTopicsResponse.Response(name: $0.name, topicId: $0.topicId, errorCode: ErrorCode.invalidRequest.rawValue,
                                          errorMessage: "a topic is named by its name or by its id, not both")
        }
        let names = request.topics.filter { $0.topicId == .zero }.compactMap(\.name).uniqued()
        guard broker.config.deleteTopicEnable else {
            return context.eventLoop.makeSucceededFuture(DeleteTopicsResponse(responses: names.map {
                DeleteTopicsResponse.Response(name: $0, errorCode: ErrorCode.topicDeletionDisabled.rawValue,
                                              errorMessage: version >= 5 ? "topic deletion is disabled (delete.topic.enable=false)" : nil)
            } + byId))
        }
        let controlPlane = broker.controlPlane
        let promise = context.eventLoop.makePromise(of: (any KafkaMessage)?.self)
        promise.completeWithTask {
            let results = await controlPlane.deleteTopics(names)
            let byName = Dictionary(results.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            return DeleteTopicsResponse(responses: names.map {
                let result = byName[$0] ?? TopicOperationResult(name: $0, errorCode: .unknownServerError)
                return DeleteTopicsResponse.Response(name: $0, errorCode: result.errorCode.rawValue, errorMessage: version >= 5 ? result.message : nil)
            } + byId)
        }
        return promise.futureResult
    }

    /// InitProducerId: for idempotent producers (no transactional id) a cluster-unique producer id at
    /// epoch 0, whatever current id v3+ names (as Kafka: such a producer bumps its epoch itself);
    /// with a transactional id, the transaction coordinator's answer, given the v3+ current id and
    /// epoch (KIP-360). A transactional id sent before any FindCoordinator creates
    /// `__transaction_state` too (the client then looks its coordinator up after NOT_COORDINATOR /
    /// COORDINATOR_NOT_AVAILABLE).
    func handleInitProducerId(_ request: InitProducerIdRequest, _ context: RequestContext) -> EventLoopFuture<(any KafkaMessage)?> {
        if (request.producerId == InitProducerIdRequest.noProducerId) != (request.producerEpoch == InitProducerIdRequest.noProducerEpoch) {
            // Kafka: a current producer id needs its epoch and the other way round.
            return context.eventLoop.makeSucceededFuture(InitProducerIdResponse(errorCode: ErrorCode.invalidRequest.rawValue, producerId: -1, producerEpoch: -1))
        }
        if let transactionalId = request.transactionalId {
            let expected = (request.producerId, request.producerEpoch)
            let coordinator = broker.transactions
            let promise = context.eventLoop.makePromise(of: (any KafkaMessage)?.self)
            promise.completeWithTask {
                var (error, producerId, epoch) = await coordinator.initProducerId(transactionalId: transactionalId,
                                                                                  transactionTimeoutMs: request.transactionTimeoutMs,
                                                                                  expected: expected)
                if error == .notCoordinator, await self.ensureInternalTopic(TransactionStateTopic.name) != nil {
                    error = .coordinatorNotAvailable
                }
                // PRODUCER_FENCED is InitProducerId v4+ (KIP-588); older versions get INVALID_PRODUCER_EPOCH.
                return InitProducerIdResponse(errorCode: Self.fencing(error, version: context.version, firstVersion: 4).rawValue,
                                              producerId: producerId, producerEpoch: epoch)
            }
            return promise.futureResult
        }
        let controlPlane = broker.controlPlane
        let promise = context.eventLoop.makePromise(of: (any KafkaMessage)?.self)
        promise.completeWithTask {
            do {
                let id = try await controlPlane.allocateProducerId()
                return InitProducerIdResponse(errorCode: 0, producerId: id, producerEpoch: 0)
            } catch {
                return InitProducerIdResponse(errorCode: ErrorCode.coordinatorNotAvailable.rawValue, producerId: -1, producerEpoch: -1)
            }
        }
        return promise.futureResult
    }
}

extension Array where Element: Hashable {
    /// The elements in order, each once.
    func uniqued() -> [Element] {
        var seen: Set<Element> = []
        return filter { seen.insert($0).inserted }
    }
}
