import KafkaProtocol
import NIOCore

extension RequestRouter {
    /// DescribeCluster: the cluster id, the controller and the live brokers, from this broker's
    /// metadata (as Metadata reports them). Only the broker endpoint type exists in ZooKeeper mode.
    func handleDescribeCluster(_ request: DescribeClusterRequest, _ context: RequestContext) -> any KafkaMessage {
        let cluster = broker.metadata.snapshot
        guard request.endpointType == 1 else {
            return DescribeClusterResponse(errorCode: ErrorCode.invalidRequest.rawValue,
                                           errorMessage: "endpoint type \(request.endpointType) is not served; this cluster has only broker endpoints (1)",
                                           endpointType: request.endpointType, clusterId: cluster.clusterId, controllerId: -1, brokers: [])
        }
        let brokers = cluster.brokers.values.sorted { $0.id < $1.id }.map {
            DescribeClusterResponse.Broker(brokerId: $0.id, host: $0.host, port: $0.port, rack: $0.rack)
        }
        return DescribeClusterResponse(clusterId: cluster.clusterId, controllerId: cluster.controllerId, brokers: brokers)
    }

    /// CreatePartitions: any broker accepts it and hands it to the control plane; a topic named
    /// twice is refused with INVALID_REQUEST, as Kafka does.
    func handleCreatePartitions(_ request: CreatePartitionsRequest, _ context: RequestContext) -> EventLoopFuture<(any KafkaMessage)?> {
        var seen: Set<String> = []
        let duplicates = Set(request.topics.map(\.name).filter { !seen.insert($0).inserted })
        let increases = request.topics.filter { !duplicates.contains($0.name) }.map {
            PartitionIncrease(name: $0.name, count: $0.count, assignments: $0.assignments)
        }
        let controlPlane = broker.controlPlane
        let promise = context.eventLoop.makePromise(of: (any KafkaMessage)?.self)
        promise.completeWithTask {
            let results = await controlPlane.createPartitions(increases, validateOnly: request.validateOnly)
            var byName = Dictionary(results.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
            for name in duplicates {
                byName[name] = TopicOperationResult(name: name, errorCode: .invalidRequest, message: "topic '\(name)' appears more than once in the request")
            }
            return CreatePartitionsResponse(results: request.topics.map(\.name).uniqued().map { name in
                let result = byName[name] ?? TopicOperationResult(name: name, errorCode: .unknownServerError)
                return CreatePartitionsResponse.Result(name: name, errorCode: result.errorCode.rawValue, errorMessage: result.message)
            })
        }
        return promise.futureResult
    }
}

extension RequestRouter {
    /// ElectLeaders, preferred (type 0) and unclean (type 1) elections, as kafka-leader-election
    /// --election-type PREFERRED|UNCLEAN: in a cluster the controller carries it out (another broker
    /// answers NOT_CONTROLLER, and clients send it to the controller); a standalone broker leads
    /// every partition it has, so each is ELECTION_NOT_NEEDED. Other types are INVALID_REQUEST.
    func handleElectLeaders(_ request: ElectLeadersRequest, _ context: RequestContext) -> EventLoopFuture<(any KafkaMessage)?> {
        let requested: [TopicPartition]? = request.topicPartitions.map { entries in
            entries.flatMap { entry in entry.partitions.map { TopicPartition(entry.topic, $0) } }.uniqued()
        }
        @Sendable func respond(_ results: [TopicPartition: ErrorCode], errorCode: ErrorCode = .none, message: @Sendable (ErrorCode) -> String? = { _ in nil }) -> any KafkaMessage {
            let topics = Dictionary(grouping: results.keys, by: \.topic)
            return ElectLeadersResponse(errorCode: errorCode.rawValue, results: topics.keys.sorted().map { topic in
                ElectLeadersResponse.TopicResult(topic: topic, partitions: topics[topic]!.map(\.partition).sorted().map { partition in
                    let code = results[TopicPartition(topic, partition)]!
                    return ElectLeadersResponse.PartitionResult(partitionId: partition, errorCode: code.rawValue, errorMessage: message(code))
                })
            })
        }
        let loop = context.eventLoop
        let unclean = request.electionType == 1
        guard request.electionType == 0 || unclean else {
            let all = Dictionary(uniqueKeysWithValues: (requested ?? []).map { ($0, ErrorCode.invalidRequest) })
            return loop.makeSucceededFuture(respond(all, errorCode: requested == nil ? .invalidRequest : .none) { _ in
                "election type \(request.electionType) is unknown: 0 is preferred, 1 unclean"
            })
        }
        guard let cluster = broker.cluster else {
            let snapshot = broker.metadata.snapshot
            let partitions = requested ?? Array(snapshot.partitions.keys)
            let results = Dictionary(uniqueKeysWithValues: partitions.map { tp in
                (tp, snapshot.partitions[tp] == nil ? ErrorCode.unknownTopicOrPartition : .electionNotNeeded)
            })
            return loop.makeSucceededFuture(respond(results))
        }
        let controller = cluster.controller
        let promise = loop.makePromise(of: (any KafkaMessage)?.self)
        promise.completeWithTask {
            do {
                let results = try await cluster.session.run { zk in
                    unclean ? try controller.electUncleanLeaders(zk, requested) : try controller.electPreferredLeaders(zk, requested)
                }
                guard let results else {
                    let all = Dictionary(uniqueKeysWithValues: (requested ?? []).map { ($0, ErrorCode.notController) })
                    return respond(all, errorCode: .notController)
                }
                return respond(results)
            } catch {
                let all = Dictionary(uniqueKeysWithValues: (requested ?? []).map { ($0, ErrorCode.unknownServerError) })
                return respond(all, errorCode: .unknownServerError) { _ in "ZooKeeper: \(error)" }
            }
        }
        return promise.futureResult
    }
}
