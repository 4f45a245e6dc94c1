import Foundation
import KafkaProtocol
import NIOCore
import Replication

extension GroupCoordinator {
    func join(_ request: JoinGroupRequest, version: Int16, clientId: String, clientHost: String) -> EventLoopFuture<JoinResult> {
        if let error = ownership(of: request.groupId) { return loop.makeSucceededFuture(JoinResult(errorCode: error, memberId: request.memberId)) }
        guard !request.groupId.isEmpty else { return loop.makeSucceededFuture(JoinResult(errorCode: .invalidGroupId, memberId: request.memberId)) }
        let input = JoinInput(memberId: request.memberId, groupInstanceId: request.groupInstanceId, clientId: clientId, clientHost: clientHost,
                              sessionTimeoutMs: request.sessionTimeoutMs, rebalanceTimeoutMs: request.rebalanceTimeoutMs,
                              protocolType: request.protocolType,
                              protocols: request.protocols.map { .init(name: $0.name, metadata: $0.metadata) },
                              requireKnownMemberId: version >= 4)
        let newMemberId = "\(clientId)-\(UUID().uuidString.lowercased())"
        let promise = loop.makePromise(of: JoinResult.self)
        let now = BrokerClock.monotonicMs()
        let (immediate, outputs) = state.withLockedValue { state -> (JoinResult?, [GroupOutput]) in
            var group = state.groups[request.groupId] ?? GroupState(groupId: request.groupId, nowMs: now)
            let (immediate, outputs) = machine.join(&group, input, newMemberId: newMemberId, nowMs: now)
            state.groups[request.groupId] = group
            if immediate == nil {
                let memberId = request.memberId.isEmpty ? newMemberId : request.memberId
                // A member that re-sends JoinGroup replaces its earlier wait.
                state.pendingJoins[Self.key(request.groupId, memberId)]?.succeed(JoinResult(errorCode: .unknownMemberId, memberId: memberId))
                state.pendingJoins[Self.key(request.groupId, memberId)] = promise
            }
            return (immediate, outputs)
        }
        if let immediate { promise.succeed(immediate) }
        deliver(outputs, group: request.groupId)
        return promise.futureResult
    }

    func sync(_ request: SyncGroupRequest) -> EventLoopFuture<SyncResult> {
        if let error = ownership(of: request.groupId) { return loop.makeSucceededFuture(SyncResult(errorCode: error)) }
        let promise = loop.makePromise(of: SyncResult.self)
        let now = BrokerClock.monotonicMs()
        let assignments = Dictionary(request.assignments.map { ($0.memberId, $0.assignment) }, uniquingKeysWith: { a, _ in a })
        let (immediate, outputs) = state.withLockedValue { state -> (SyncResult?, [GroupOutput]) in
            guard var group = state.groups[request.groupId] else { return (SyncResult(errorCode: .unknownMemberId), []) }
            let (immediate, outputs) = machine.sync(&group, memberId: request.memberId, generationId: request.generationId,
                                                    assignments: assignments, nowMs: now)
            state.groups[request.groupId] = group
            if immediate == nil { state.pendingSyncs[Self.key(request.groupId, request.memberId)] = promise }
            return (immediate, outputs)
        }
        if let immediate { promise.succeed(immediate) }
        deliver(outputs, group: request.groupId)
        return promise.futureResult
    }

    func heartbeat(_ request: HeartbeatRequest) -> ErrorCode {
        if let error = ownership(of: request.groupId) { return error }
        let now = BrokerClock.monotonicMs()
        return state.withLockedValue { state in
            guard var group = state.groups[request.groupId] else { return .unknownMemberId }
            let code = machine.heartbeat(&group, memberId: request.memberId, generationId: request.generationId, nowMs: now)
            state.groups[request.groupId] = group
            return code
        }
    }

    func leave(_ request: LeaveGroupRequest) -> (ErrorCode, [LeaveGroupResponse.Member]) {
        if let error = ownership(of: request.groupId) { return (error, []) }
        let now = BrokerClock.monotonicMs()
        var results: [LeaveGroupResponse.Member] = []
        var outputs: [GroupOutput] = []
        state.withLockedValue { state in
            guard var group = state.groups[request.groupId] else {
                results = request.members.map { .init(memberId: $0.memberId, groupInstanceId: $0.groupInstanceId, errorCode: ErrorCode.unknownMemberId.rawValue) }
                return
            }
            for member in request.members {
                let (code, produced) = machine.leave(&group, memberId: member.memberId, nowMs: now)
                outputs += produced
                results.append(.init(memberId: member.memberId, groupInstanceId: member.groupInstanceId, errorCode: code.rawValue))
            }
            state.groups[request.groupId] = group
        }
        deliver(outputs, group: request.groupId)
        let first = results.first.flatMap { ErrorCode(rawValue: $0.errorCode) } ?? .none
        return (request.members.count == 1 ? first : .none, results)
    }

    // MARK: Offsets

    func commit(_ request: OffsetCommitRequest, knownTopics: Set<String>) async -> OffsetCommitResponse {
        func answer(_ code: ErrorCode) -> OffsetCommitResponse {
            OffsetCommitResponse(topics: request.topics.map { topic in
                .init(name: topic.name, partitions: topic.partitions.map { .init(partitionIndex: $0.partitionIndex, errorCode: code.rawValue) })
            })
        }
        if let error = ownership(of: request.groupId) { return answer(error) }
        if request.groupId.isEmpty { return answer(.invalidGroupId) }
        let check = state.withLockedValue { state -> ErrorCode in
            let group = state.groups[request.groupId] ?? GroupState(groupId: request.groupId, nowMs: 0)
            return machine.commitCheck(group, memberId: request.memberId, generationId: request.generationId)
        }
        guard check == .none else { return answer(check) }
        let now = BrokerClock.wallMs()
        var records: [(key: ByteBuffer, value: ByteBuffer?)] = []
        var accepted: [TopicPartition: OffsetsTopic.CommittedOffset] = [:]
        var perPartition: [TopicPartition: ErrorCode] = [:]
        for topic in request.topics {
            for partition in topic.partitions {
                let tp = TopicPartition(topic.name, partition.partitionIndex)
                guard knownTopics.contains(topic.name) else { perPartition[tp] = .unknownTopicOrPartition; continue }
                if let metadata = partition.committedMetadata, metadata.utf8.count > 4096 { perPartition[tp] = .offsetMetadataTooLarge; continue }
                let committed = OffsetsTopic.CommittedOffset(offset: partition.committedOffset, leaderEpoch: partition.committedLeaderEpoch,
                                                             metadata: partition.committedMetadata ?? "", commitTimestampMs: now)
                records.append((OffsetsTopic.offsetKey(group: request.groupId, partition: tp), OffsetsTopic.offsetValue(committed)))
                accepted[tp] = committed
            }
        }
        if !records.isEmpty {
            let stored = await append(records, group: request.groupId)
            if stored == .none {
                state.withLockedValue { state in
                    for (tp, committed) in accepted { state.offsets[request.groupId, default: [:]][tp] = committed }
                }
            }
            for tp in accepted.keys { perPartition[tp] = stored }
        }
        return OffsetCommitResponse(topics: request.topics.map { topic in
            .init(name: topic.name, partitions: topic.partitions.map { partition in
                .init(partitionIndex: partition.partitionIndex,
                      errorCode: (perPartition[TopicPartition(topic.name, partition.partitionIndex)] ?? .none).rawValue)
            })
        })
    }

    func fetchOffsets(_ request: OffsetFetchRequest) -> OffsetFetchResponse {
        if let error = ownership(of: request.groupId) {
            return OffsetFetchResponse(topics: (request.topics ?? []).map { topic in
                .init(name: topic.name, partitions: topic.partitionIndexes.map {
                    .init(partitionIndex: $0, committedOffset: -1, metadata: nil, errorCode: error.rawValue)
                })
            }, errorCode: error.rawValue)
        }
        let committed = state.withLockedValue { $0.offsets[request.groupId] ?? [:] }
        let topics: [OffsetFetchResponse.Topic]
        if let wanted = request.topics {
            topics = wanted.map { topic in
                .init(name: topic.name, partitions: topic.partitionIndexes.map { index in
                    let entry = committed[TopicPartition(topic.name, index)]
                    return .init(partitionIndex: index, committedOffset: entry?.offset ?? -1, committedLeaderEpoch: entry?.leaderEpoch ?? -1,
                                 metadata: entry?.metadata ?? "", errorCode: 0)
                })
            }
        } else {
            let byTopic = Dictionary(grouping: committed.keys, by: \.topic)
            topics = byTopic.keys.sorted().map { topic in
                .init(name: topic, partitions: byTopic[topic]!.sorted().map { tp in
                    let entry = committed[tp]!
                    return .init(partitionIndex: tp.partition, committedOffset: entry.offset, committedLeaderEpoch: entry.leaderEpoch,
                                 metadata: entry.metadata, errorCode: 0)
                })
            }
        }
        return OffsetFetchResponse(topics: topics)
    }

    // MARK: Views and deletion

    func describe(_ groupId: String) -> DescribeGroupsResponse.Group {
        if let error = ownership(of: groupId) {
            return .init(errorCode: error.rawValue, groupId: groupId, groupState: "", protocolType: "", protocolData: "", members: [])
        }
        guard let group = state.withLockedValue({ $0.groups[groupId] }) else {
            return .init(errorCode: 0, groupId: groupId, groupState: GroupState.Phase.dead.rawValue, protocolType: "", protocolData: "", members: [])
        }
        let stable = group.phase == .stable
        return .init(errorCode: 0, groupId: groupId, groupState: group.phase.rawValue, protocolType: group.protocolType ?? "",
                     protocolData: stable ? group.protocolName ?? "" : "",
                     members: group.members.map { member in
                         .init(memberId: member.memberId, groupInstanceId: member.groupInstanceId, clientId: member.clientId, clientHost: member.clientHost,
                               memberMetadata: stable ? member.metadata(for: group.protocolName ?? "") ?? ByteBuffer() : ByteBuffer(),
                               memberAssignment: stable ? member.assignment : ByteBuffer())
                     })
    }

    func listGroups() -> [ListGroupsResponse.Group] {
        state.withLockedValue { state in
            let withOffsets = Set(state.offsets.keys)
            let names = Set(state.groups.keys).union(withOffsets)
            return names.sorted().map { name in ListGroupsResponse.Group(groupId: name, protocolType: state.groups[name]?.protocolType ?? "") }
        }
    }

    func delete(_ groupId: String) async -> ErrorCode {
        if let error = ownership(of: groupId) { return error }
        let (code, partitions): (ErrorCode, [TopicPartition]) = state.withLockedValue { state in
            if let group = state.groups[groupId], !group.members.isEmpty { return (.nonEmptyGroup, []) }
            guard state.groups[groupId] != nil || state.offsets[groupId] != nil else { return (.groupIdNotFound, []) }
            return (.none, Array((state.offsets[groupId] ?? [:]).keys))
        }
        guard code == .none else { return code }
        var tombstones: [(key: ByteBuffer, value: ByteBuffer?)] = [(OffsetsTopic.groupKey(groupId), nil)]
        tombstones += partitions.map { (OffsetsTopic.offsetKey(group: groupId, partition: $0), nil) }
        let stored = await append(tombstones, group: groupId)
        if stored == .none {
            state.withLockedValue { state in
                state.groups[groupId] = nil
                state.offsets[groupId] = nil
            }
        }
        return stored
    }
}
