import KafkaProtocol
import NIOCore

extension KafkaAdmin {
    public struct GroupMember: Sendable, Equatable, Codable {
        public var memberId: String
        public var clientId: String
        public var host: String
        public var partitions: [TopicPartition]
    }

    public struct GroupPartitionLag: Sendable, Equatable, Codable {
        public var topic: String
        public var partition: Int32
        public var currentOffset: Int64?
        public var logEndOffset: Int64?
        public var lag: Int64?
        public var consumerId: String?
        public var host: String?
        public var clientId: String?
    }

    public struct GroupDescription: Sendable, Equatable, Codable {
        public var group: String
        public var coordinator: Int32
        public var state: String
        public var protocolType: String
        public var assignmentStrategy: String
        public var members: [GroupMember]
        public var partitions: [GroupPartitionLag]
        public var error: String?
    }

    /// Groups known to every broker's coordinator, with their protocol type.
    public func listGroups() async throws -> [(group: String, protocolType: String, coordinator: Int32)] {
        let metadata = try await cluster.refreshMetadata(topics: [])
        var all: [(String, String, Int32)] = []
        for broker in metadata.brokers.keys.sorted() {
            guard let connection = try? await cluster.connection(broker: broker),
                  let response: ListGroupsResponse = try? await connection.send(ListGroupsRequest(), timeoutMs: cluster.options.requestTimeoutMs)
            else { continue }
            all += response.groups.map { ($0.groupId, $0.protocolType, broker) }
        }
        return all.sorted { $0.0 < $1.0 }
    }

    /// The coordinator of a group (`keyType` 0) or of a transactional id (1), from FindCoordinator,
    /// retried for about 4 s while the brokers answer with an error.
    public func coordinator(of key: String, keyType: Int8 = 0) async throws -> (id: Int32, connection: KafkaConnection) {
        var lastError: Error = KafkaClientError.noBrokers
        for _ in 0..<20 {
            do {
                let any = try await cluster.anyConnection()
                let response: FindCoordinatorResponse = try await any.send(FindCoordinatorRequest(key: key, keyType: keyType),
                                                                           timeoutMs: cluster.options.requestTimeoutMs)
                if response.errorCode == 0 {
                    return (response.nodeId, try await cluster.connection(host: response.host, port: Int(response.port)))
                }
                lastError = KafkaClientError.broker(ErrorCode(rawValue: response.errorCode) ?? .unknownServerError, response.errorMessage)
            } catch { lastError = error }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw lastError
    }

    /// kafka-consumer-groups --describe: committed offset, log end offset and lag per partition, with
    /// the member that owns it; plus members and state.
    public func describeGroup(_ group: String) async throws -> GroupDescription {
        let (coordinatorId, connection) = try await coordinator(of: group)
        let described: DescribeGroupsResponse = try await connection.send(DescribeGroupsRequest(groups: [group]), timeoutMs: cluster.options.requestTimeoutMs)
        guard let info = described.groups.first else { throw KafkaClientError.protocolError("empty DescribeGroups answer") }
        if info.errorCode != 0 {
            throw KafkaClientError.broker(ErrorCode(rawValue: info.errorCode) ?? .unknownServerError, "describing group '\(group)'")
        }
        var members: [GroupMember] = []
        var owner: [TopicPartition: GroupMember] = [:]
        for member in info.members {
            var assignment = member.memberAssignment
            let partitions = info.protocolType == "consumer" && assignment.readableBytes > 0 ? ((try? ConsumerAssignment(from: &assignment))?.partitions ?? []) : []
            let entry = GroupMember(memberId: member.memberId, clientId: member.clientId, host: member.clientHost, partitions: partitions.sorted())
            members.append(entry)
            for tp in partitions { owner[tp] = entry }
        }
        let fetched: OffsetFetchResponse = try await connection.send(OffsetFetchRequest(groupId: group, topics: nil), timeoutMs: cluster.options.requestTimeoutMs)
        if fetched.errorCode != 0 {
            throw KafkaClientError.broker(ErrorCode(rawValue: fetched.errorCode) ?? .unknownServerError, "fetching offsets of '\(group)'")
        }
        var committed: [TopicPartition: Int64] = [:]
        for topic in fetched.topics {
            for partition in topic.partitions where partition.committedOffset >= 0 {
                committed[TopicPartition(topic.name, partition.partitionIndex)] = partition.committedOffset
            }
        }
        let partitions = Set(committed.keys).union(owner.keys).sorted()
        _ = try await cluster.refreshMetadata(topics: Array(Set(partitions.map(\.topic))))
        let ends = await listOffsets(partitions, timestamp: -1)
        let lags = partitions.map { tp -> GroupPartitionLag in
            let current = committed[tp]
            let end = ends[tp]
            // As kafka-consumer-groups: no committed offset, no lag figure.
            let lag: Int64? = current.flatMap { current in end.map { max(0, $0 - current) } }
            return GroupPartitionLag(topic: tp.topic, partition: tp.partition, currentOffset: current, logEndOffset: end,
                                     lag: lag, consumerId: owner[tp]?.memberId, host: owner[tp]?.host,
                                     clientId: owner[tp]?.clientId)
        }
        return GroupDescription(group: group, coordinator: coordinatorId, state: info.groupState, protocolType: info.protocolType,
                                assignmentStrategy: info.protocolData, members: members, partitions: lags, error: nil)
    }
}
