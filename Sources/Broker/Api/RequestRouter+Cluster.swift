import KafkaProtocol
import NIOCore

extension RequestRouter {
    /// The leader side of OffsetForLeaderEpoch: where each asked epoch ends in this broker's log.
    func handleOffsetForLeaderEpoch(_ request: OffsetForLeaderEpochRequest) -> any KafkaMessage {
        OffsetForLeaderEpochResponse(topics: request.topics.map { topic in
            .init(topic: topic.topic, partitions: topic.partitions.map { asked in
                guard let partition = broker.replicaManager.partition(TopicPartition(topic.topic, asked.partition)) else {
                    return .init(errorCode: ErrorCode.unknownTopicOrPartition.rawValue, partition: asked.partition)
                }
                let answer = partition.endOffset(forEpoch: asked.leaderEpoch, currentLeaderEpoch: asked.currentLeaderEpoch)
                return .init(errorCode: answer.error.rawValue, partition: asked.partition, leaderEpoch: answer.epoch, endOffset: answer.endOffset)
            })
        })
    }

    /// LeaderAndIsr, UpdateMetadata, StopReplica and ControlledShutdown from the controller (or, for
    /// ControlledShutdown, from a broker to the controller).
    func handleControllerRequest(_ context: RequestContext, body: inout ByteBuffer) throws -> EventLoopFuture<(any KafkaMessage)?> {
        guard let cluster = broker.cluster else { throw ProtocolError.invalid("\(context.apiKey) needs cluster mode") }
        let version = context.version
        let loop = context.eventLoop
        switch context.apiKey {
        case .leaderAndIsr:
            let request = try LeaderAndIsrRequest(from: &body, version: version)
            let promise = loop.makePromise(of: (any KafkaMessage)?.self)
            promise.completeWithTask { await cluster.handleLeaderAndIsr(request) }
            return promise.futureResult
        case .updateMetadata:
            return loop.makeSucceededFuture(cluster.handleUpdateMetadata(try UpdateMetadataRequest(from: &body, version: version)))
        case .stopReplica:
            // Stopping a replica closes its log (fsyncs, checkpoints) and may delete its directory.
            let request = try StopReplicaRequest(from: &body, version: version)
            return broker.replicaManager.storage.run(on: loop) { cluster.handleStopReplica(request) }.map { $0 as (any KafkaMessage)? }
        case .controlledShutdown:
            let request = try ControlledShutdownRequest(from: &body, version: version)
            let promise = loop.makePromise(of: (any KafkaMessage)?.self)
            promise.completeWithTask { await cluster.handleControlledShutdown(request) }
            return promise.futureResult
        default:
            throw ProtocolError.unsupportedVersion(apiKey: context.apiKey.rawValue, version: version)
        }
    }
}
