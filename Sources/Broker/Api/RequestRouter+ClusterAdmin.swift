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
