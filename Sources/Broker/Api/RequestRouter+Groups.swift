import KafkaProtocol
import NIOCore
import Replication

extension RequestRouter {
    func handleGroupRequest(_ context: RequestContext, body: inout ByteBuffer) throws -> EventLoopFuture<(any KafkaMessage)?> {
        let version = context.version
        let loop = context.eventLoop
        let groups = broker.groups
        switch context.apiKey {
        case .findCoordinator:
            let request = try FindCoordinatorRequest(from: &body, version: version)
            let promise = loop.makePromise(of: (any KafkaMessage)?.self)
            promise.completeWithTask { await self.findCoordinator(request) }
            return promise.futureResult
        case .joinGroup:
            let request = try JoinGroupRequest(from: &body, version: version)
            let host = "/" + context.connection.host
            return groups.join(request, version: version, clientId: context.header.clientId ?? "", clientHost: host).map { result in
                JoinGroupResponse(errorCode: result.errorCode.rawValue, generationId: result.generationId, protocolName: result.protocolName,
                                  leader: result.leaderId, memberId: result.memberId,
                                  members: result.members.map { .init(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, metadata: $0.metadata) })
            }
        case .syncGroup:
            let request = try SyncGroupRequest(from: &body, version: version)
            return groups.sync(request).map { SyncGroupResponse(errorCode: $0.errorCode.rawValue, assignment: $0.assignment) }
        case .heartbeat:
            let request = try HeartbeatRequest(from: &body, version: version)
            return loop.makeSucceededFuture(HeartbeatResponse(errorCode: groups.heartbeat(request).rawValue))
        case .leaveGroup:
            let request = try LeaveGroupRequest(from: &body, version: version)
            let (code, members) = groups.leave(request)
            return loop.makeSucceededFuture(LeaveGroupResponse(errorCode: code.rawValue, members: members))
        case .offsetCommit:
            let request = try OffsetCommitRequest(from: &body, version: version)
            let known = Set(broker.metadata.snapshot.topicNames)
            let promise = loop.makePromise(of: (any KafkaMessage)?.self)
            promise.completeWithTask { await groups.commit(request, knownTopics: known) }
            return promise.futureResult
        case .offsetFetch:
            let request = try OffsetFetchRequest(from: &body, version: version)
            return loop.makeSucceededFuture(groups.fetchOffsets(request))
        case .describeGroups:
            let request = try DescribeGroupsRequest(from: &body, version: version)
            return loop.makeSucceededFuture(DescribeGroupsResponse(groups: request.groups.map { groups.describe($0) }))
        case .listGroups:
            _ = try ListGroupsRequest(from: &body, version: version)
            return loop.makeSucceededFuture(ListGroupsResponse(errorCode: 0, groups: groups.listGroups()))
        case .deleteGroups:
            let request = try DeleteGroupsRequest(from: &body, version: version)
            let promise = loop.makePromise(of: (any KafkaMessage)?.self)
            promise.completeWithTask {
                var results: [DeleteGroupsResponse.Result] = []
                for name in request.groupsNames { results.append(.init(groupId: name, errorCode: (await groups.delete(name)).rawValue)) }
                return DeleteGroupsResponse(results: results)
            }
            return promise.futureResult
        default:
            throw ProtocolError.unsupportedVersion(apiKey: context.apiKey.rawValue, version: version)
        }
    }

    /// The coordinator of a group is the leader of its `__consumer_offsets` partition, the
    /// coordinator of a transactional id the leader of its `__transaction_state` partition. The topic
    /// is created on first use; until the partition has a leader the answer is COORDINATOR_NOT_AVAILABLE.
    func findCoordinator(_ request: FindCoordinatorRequest) async -> FindCoordinatorResponse {
        func unavailable(_ message: String) -> FindCoordinatorResponse {
            FindCoordinatorResponse(errorCode: ErrorCode.coordinatorNotAvailable.rawValue, errorMessage: message, nodeId: -1, host: "", port: -1)
        }
        let topic: String
        switch request.keyType {
        case 0: topic = OffsetsTopic.name
        case 1: topic = TransactionStateTopic.name
        default:
            return FindCoordinatorResponse(errorCode: ErrorCode.invalidRequest.rawValue, errorMessage: "unknown key type \(request.keyType)",
                                           nodeId: -1, host: "", port: -1)
        }
        if let failure = await ensureInternalTopic(topic) { return unavailable(failure) }
        let cluster = broker.metadata.snapshot
        let index: Int32
        if topic == OffsetsTopic.name {
            index = OffsetsTopic.partition(for: request.key, partitions: broker.config.offsetsTopicNumPartitions)
        } else {
            let partitions = TransactionStateTopic.partitionCount(in: cluster) ?? broker.config.transactionStateLogNumPartitions
            index = TransactionStateTopic.partition(for: request.key, partitions: partitions)
        }
        guard let leadership = cluster.partitions[TopicPartition(topic, index)], leadership.leader >= 0,
              let node = cluster.brokers[leadership.leader] else {
            return unavailable("\(topic)-\(index) has no leader")
        }
        return FindCoordinatorResponse(errorCode: 0, nodeId: node.id, host: node.host, port: node.port)
    }

    /// Creates `__consumer_offsets` or `__transaction_state` through the control plane (the
    /// controller in a cluster) unless this broker's metadata already has it, with the properties
    /// Kafka gives it. Answers why it could not, or nil.
    func ensureInternalTopic(_ topic: String) async -> String? {
        let cluster = broker.metadata.snapshot
        guard !cluster.hasTopic(topic) else { return nil }
        let live = max(1, cluster.brokers.count)
        let config = broker.config
        let creation = topic == TransactionStateTopic.name
            ? TransactionStateTopic.creation(numPartitions: config.transactionStateLogNumPartitions,
                                             replicationFactor: config.transactionStateLogReplicationFactor,
                                             minInsyncReplicas: config.transactionStateLogMinIsr, liveBrokers: live)
            : TopicCreation(name: topic, numPartitions: config.offsetsTopicNumPartitions,
                            replicationFactor: min(config.offsetsTopicReplicationFactor, Int16(clamping: live)),
                            configs: ["retention.ms": "-1", "segment.bytes": "104857600"])
        let result = await broker.controlPlane.createTopics([creation], validateOnly: false)
        if let failure = result.first, failure.errorCode != .none && failure.errorCode != .topicAlreadyExists {
            return "cannot create \(topic): \(failure.message ?? failure.errorCode.name)"
        }
        return nil
    }
}
