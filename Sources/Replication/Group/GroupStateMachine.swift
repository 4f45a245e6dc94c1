import KafkaProtocol
import NIOCore

/// What a JoinGroup gets back: immediately, or when the join phase ends.
public struct JoinResult: Sendable, Equatable {
    public var errorCode: ErrorCode
    public var generationId: Int32
    public var protocolName: String
    public var leaderId: String
    public var memberId: String
    /// Every member's metadata for the chosen protocol; only the leader receives it.
    public var members: [(memberId: String, groupInstanceId: String?, metadata: ByteBuffer)]

    public init(errorCode: ErrorCode, generationId: Int32 = -1, protocolName: String = "", leaderId: String = "", memberId: String,
                members: [(memberId: String, groupInstanceId: String?, metadata: ByteBuffer)] = []) {
        self.errorCode = errorCode
        self.generationId = generationId
        self.protocolName = protocolName
        self.leaderId = leaderId
        self.memberId = memberId
        self.members = members
    }

    public static func == (lhs: JoinResult, rhs: JoinResult) -> Bool {
        lhs.errorCode == rhs.errorCode && lhs.generationId == rhs.generationId && lhs.protocolName == rhs.protocolName
            && lhs.leaderId == rhs.leaderId && lhs.memberId == rhs.memberId && lhs.members.map(\.memberId) == rhs.members.map(\.memberId)
    }
}

public struct SyncResult: Sendable, Equatable {
    public var errorCode: ErrorCode
    public var assignment: ByteBuffer
    public init(errorCode: ErrorCode, assignment: ByteBuffer = ByteBuffer()) {
        self.errorCode = errorCode
        self.assignment = assignment
    }
}

/// Answers the coordinator owes to requests that were waiting, and work it must do.
public enum GroupOutput: Sendable, Equatable {
    case joinResponse(memberId: String, JoinResult)
    case syncResponse(memberId: String, SyncResult)
    /// The group's membership or assignment changed in a way that must be written to __consumer_offsets.
    case persist
}

public struct JoinInput: Sendable {
    public var memberId: String
    public var groupInstanceId: String?
    public var clientId: String
    public var clientHost: String
    public var sessionTimeoutMs: Int32
    public var rebalanceTimeoutMs: Int32
    public var protocolType: String
    public var protocols: [GroupState.Member.`Protocol`]
    /// JoinGroup v4+: a member with an empty id first gets MEMBER_ID_REQUIRED.
    public var requireKnownMemberId: Bool

    public init(memberId: String, groupInstanceId: String? = nil, clientId: String, clientHost: String, sessionTimeoutMs: Int32,
                rebalanceTimeoutMs: Int32, protocolType: String, protocols: [GroupState.Member.`Protocol`], requireKnownMemberId: Bool) {
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.clientId = clientId
        self.clientHost = clientHost
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.protocolType = protocolType
        self.protocols = protocols
        self.requireKnownMemberId = requireKnownMemberId
    }
}

/// Kafka's classic group protocol (`GroupCoordinator`), as functions on `GroupState` with time passed in.
///
/// Join phase: every join moves the group to PreparingRebalance; it ends when every known member has
/// rejoined (and no member id handed out with MEMBER_ID_REQUIRED is outstanding), or at the deadline
/// set by the largest member rebalance timeout, when members that did not rejoin are removed. An empty
/// group's first rebalance also waits `initialDelayMs`. The leader then receives every member's
/// metadata; SyncGroup distributes the leader's assignments. Members that stop heartbeating for their
/// session timeout are removed, which starts a rebalance.
public struct GroupStateMachine: Sendable {
    public var minSessionTimeoutMs: Int32
    public var maxSessionTimeoutMs: Int32
    public var initialRebalanceDelayMs: Int64

    public init(minSessionTimeoutMs: Int32 = 6000, maxSessionTimeoutMs: Int32 = 1_800_000, initialRebalanceDelayMs: Int64 = 3000) {
        self.minSessionTimeoutMs = minSessionTimeoutMs
        self.maxSessionTimeoutMs = maxSessionTimeoutMs
        self.initialRebalanceDelayMs = initialRebalanceDelayMs
    }

    // MARK: JoinGroup

    /// Returns an immediate answer, or nil when the join waits for the phase to end (the answer then
    /// comes as a `.joinResponse` output of a later call).
    public func join(_ group: inout GroupState, _ input: JoinInput, newMemberId: String, nowMs: Int64) -> (JoinResult?, [GroupOutput]) {
        func fail(_ code: ErrorCode) -> (JoinResult?, [GroupOutput]) { (JoinResult(errorCode: code, memberId: input.memberId), []) }
        if input.sessionTimeoutMs < minSessionTimeoutMs || input.sessionTimeoutMs > maxSessionTimeoutMs { return fail(.invalidSessionTimeout) }
        if group.phase == .dead { return fail(.coordinatorNotAvailable) }
        guard !input.protocolType.isEmpty, !input.protocols.isEmpty,
              group.supports(protocolType: input.protocolType, protocols: input.protocols.map(\.name)) else {
            return fail(.inconsistentGroupProtocol)
        }
        if input.memberId.isEmpty {
            if input.requireKnownMemberId {
                group.pendingMembers[newMemberId] = nowMs + Int64(input.sessionTimeoutMs)
                return (JoinResult(errorCode: .memberIdRequired, memberId: newMemberId), [])
            }
            return addMemberAndRebalance(&group, input, memberId: newMemberId, nowMs: nowMs)
        }
        if group.pendingMembers.removeValue(forKey: input.memberId) != nil {
            return addMemberAndRebalance(&group, input, memberId: input.memberId, nowMs: nowMs)
        }
        guard let existing = group.member(input.memberId) else { return fail(.unknownMemberId) }
        let sameProtocols = existing.protocols == input.protocols
        switch group.phase {
        case .preparingRebalance:
            group.update(input.memberId) { member in
                member.protocols = input.protocols
                member.sessionTimeoutMs = input.sessionTimeoutMs
                member.rebalanceTimeoutMs = input.rebalanceTimeoutMs
                member.awaitingJoin = true
                member.lastHeartbeatMs = nowMs
            }
            return (nil, tryCompleteJoin(&group, nowMs: nowMs))
        case .completingRebalance, .stable:
            if sameProtocols && !(group.phase == .stable && group.leaderId == input.memberId) {
                // Nothing changed: answer with the current generation, as Kafka does.
                return (joinResult(group, for: input.memberId), [])
            }
            group.update(input.memberId) { member in
                member.protocols = input.protocols
                member.awaitingJoin = true
                member.lastHeartbeatMs = nowMs
            }
            let outputs = prepareRebalance(&group, nowMs: nowMs)
            return (nil, outputs + tryCompleteJoin(&group, nowMs: nowMs))
        case .empty, .dead:
            return fail(.unknownMemberId)
        }
    }

    private func addMemberAndRebalance(_ group: inout GroupState, _ input: JoinInput, memberId: String, nowMs: Int64) -> (JoinResult?, [GroupOutput]) {
        let wasEmpty = group.members.isEmpty
        if wasEmpty { group.protocolType = input.protocolType }
        group.members.append(GroupState.Member(memberId: memberId, groupInstanceId: input.groupInstanceId, clientId: input.clientId,
                                               clientHost: input.clientHost, sessionTimeoutMs: input.sessionTimeoutMs,
                                               rebalanceTimeoutMs: input.rebalanceTimeoutMs, protocolType: input.protocolType,
                                               protocols: input.protocols, lastHeartbeatMs: nowMs, awaitingJoin: true))
        if group.leaderId == nil { group.leaderId = memberId }
        var outputs: [GroupOutput] = []
        if group.phase != .preparingRebalance {
            if group.phase == .empty && initialRebalanceDelayMs > 0 {
                group.initialDelayUntilMs = nowMs + initialRebalanceDelayMs
            }
            outputs += prepareRebalance(&group, nowMs: nowMs)
        } else if let delay = group.initialDelayUntilMs, delay > nowMs {
            // Kafka's initial delayed join extends by the delay as members keep arriving, bounded by the rebalance timeout.
            group.initialDelayUntilMs = min(nowMs + initialRebalanceDelayMs, group.joinDeadlineMs ?? nowMs + initialRebalanceDelayMs)
        }
        group.joinDeadlineMs = max(group.joinDeadlineMs ?? 0, nowMs + Int64(input.rebalanceTimeoutMs))
        return (nil, outputs + tryCompleteJoin(&group, nowMs: nowMs))
    }

    /// Moves the group to PreparingRebalance. Syncs that were waiting get REBALANCE_IN_PROGRESS.
    private func prepareRebalance(_ group: inout GroupState, nowMs: Int64) -> [GroupOutput] {
        var outputs: [GroupOutput] = []
        if group.phase == .completingRebalance {
            for member in group.members where member.awaitingSync {
                outputs.append(.syncResponse(memberId: member.memberId, SyncResult(errorCode: .rebalanceInProgress)))
            }
        }
        for index in group.members.indices { group.members[index].awaitingSync = false }
        let timeout = group.members.map { Int64($0.rebalanceTimeoutMs) }.max() ?? 0
        group.joinDeadlineMs = nowMs + timeout
        group.transition(.preparingRebalance, nowMs: nowMs)
        return outputs
    }

    /// Ends the join phase when everyone is in (or the deadline passed): bumps the generation,
    /// picks the protocol and the leader, answers every waiting join.
    func tryCompleteJoin(_ group: inout GroupState, nowMs: Int64, deadlinePassed: Bool = false) -> [GroupOutput] {
        guard group.phase == .preparingRebalance else { return [] }
        if let delay = group.initialDelayUntilMs, nowMs < delay, !deadlinePassed { return [] }
        let everyoneIn = group.members.allSatisfy(\.awaitingJoin) && group.pendingMembers.isEmpty
        guard everyoneIn || deadlinePassed else { return [] }
        group.initialDelayUntilMs = nil
        group.members.removeAll { !$0.awaitingJoin }
        group.joinDeadlineMs = nil
        group.generationId += 1
        if group.members.isEmpty {
            group.protocolName = nil
            group.leaderId = nil
            group.transition(.empty, nowMs: nowMs)
            return [.persist]
        }
        guard let chosen = group.selectProtocol() else {
            // Protocols were checked on join; a vote can only fail if every member left in between.
            group.transition(.empty, nowMs: nowMs)
            return [.persist]
        }
        group.protocolName = chosen
        if group.leaderId == nil || !group.hasMember(group.leaderId!) { group.leaderId = group.members.first?.memberId }
        group.transition(.completingRebalance, nowMs: nowMs)
        var outputs: [GroupOutput] = []
        for index in group.members.indices {
            group.members[index].awaitingJoin = false
            group.members[index].lastHeartbeatMs = nowMs
            group.members[index].assignment = ByteBuffer()
            outputs.append(.joinResponse(memberId: group.members[index].memberId, joinResult(group, for: group.members[index].memberId)))
        }
        return outputs
    }

    func joinResult(_ group: GroupState, for memberId: String) -> JoinResult {
        let isLeader = group.leaderId == memberId
        let protocolName = group.protocolName ?? ""
        return JoinResult(errorCode: .none, generationId: group.generationId, protocolName: protocolName, leaderId: group.leaderId ?? "",
                          memberId: memberId,
                          members: isLeader ? group.members.map { ($0.memberId, $0.groupInstanceId, $0.metadata(for: protocolName) ?? ByteBuffer()) } : [])
    }

    // MARK: SyncGroup

    /// Returns an immediate answer, or nil while the member waits for the leader's assignment.
    public func sync(_ group: inout GroupState, memberId: String, generationId: Int32, assignments: [String: ByteBuffer], nowMs: Int64) -> (SyncResult?, [GroupOutput]) {
        guard group.phase != .dead, group.phase != .empty else { return (SyncResult(errorCode: .unknownMemberId), []) }
        guard group.hasMember(memberId) else { return (SyncResult(errorCode: .unknownMemberId), []) }
        guard generationId == group.generationId else { return (SyncResult(errorCode: .illegalGeneration), []) }
        switch group.phase {
        case .preparingRebalance:
            return (SyncResult(errorCode: .rebalanceInProgress), [])
        case .stable:
            return (SyncResult(errorCode: .none, assignment: group.member(memberId)!.assignment), [])
        case .completingRebalance:
            group.update(memberId) { $0.awaitingSync = true; $0.lastHeartbeatMs = nowMs }
            guard memberId == group.leaderId else { return (nil, []) }
            for index in group.members.indices {
                group.members[index].assignment = assignments[group.members[index].memberId] ?? ByteBuffer()
            }
            group.transition(.stable, nowMs: nowMs)
            var outputs: [GroupOutput] = [.persist]
            for index in group.members.indices where group.members[index].awaitingSync {
                group.members[index].awaitingSync = false
                outputs.append(.syncResponse(memberId: group.members[index].memberId,
                                             SyncResult(errorCode: .none, assignment: group.members[index].assignment)))
            }
            return (nil, outputs)
        case .empty, .dead:
            return (SyncResult(errorCode: .unknownMemberId), [])
        }
    }

    // MARK: Heartbeat, LeaveGroup, time

    public func heartbeat(_ group: inout GroupState, memberId: String, generationId: Int32, nowMs: Int64) -> ErrorCode {
        guard group.phase != .dead else { return .coordinatorNotAvailable }
        guard group.phase != .empty, group.hasMember(memberId) else { return .unknownMemberId }
        guard generationId == group.generationId else { return .illegalGeneration }
        group.update(memberId) { $0.lastHeartbeatMs = nowMs }
        return group.phase == .preparingRebalance ? .rebalanceInProgress : .none
    }

    public func leave(_ group: inout GroupState, memberId: String, nowMs: Int64) -> (ErrorCode, [GroupOutput]) {
        if group.pendingMembers.removeValue(forKey: memberId) != nil {
            return (.none, tryCompleteJoin(&group, nowMs: nowMs))
        }
        guard group.hasMember(memberId) else { return (.unknownMemberId, []) }
        return (.none, removeMember(&group, memberId, nowMs: nowMs))
    }

    private func removeMember(_ group: inout GroupState, _ memberId: String, nowMs: Int64) -> [GroupOutput] {
        var outputs: [GroupOutput] = []
        if let member = group.member(memberId), member.awaitingJoin {
            outputs.append(.joinResponse(memberId: memberId, JoinResult(errorCode: .unknownMemberId, memberId: memberId)))
        }
        group.remove(memberId)
        switch group.phase {
        case .stable, .completingRebalance:
            outputs += prepareRebalance(&group, nowMs: nowMs)
            outputs += tryCompleteJoin(&group, nowMs: nowMs)
        case .preparingRebalance:
            outputs += tryCompleteJoin(&group, nowMs: nowMs)
        case .empty, .dead:
            break
        }
        if group.members.isEmpty && group.phase == .preparingRebalance {
            outputs += tryCompleteJoin(&group, nowMs: nowMs, deadlinePassed: true)
        }
        return outputs
    }

    /// Expires members past their session timeout (not those waiting in a join, which the join
    /// deadline bounds), pending member ids, the join deadline and the initial delay.
    public func tick(_ group: inout GroupState, nowMs: Int64) -> [GroupOutput] {
        var outputs: [GroupOutput] = []
        for (id, expiry) in group.pendingMembers where expiry <= nowMs { group.pendingMembers[id] = nil }
        let expired = group.members.filter { member in
            !(group.phase == .preparingRebalance && member.awaitingJoin) && nowMs - member.lastHeartbeatMs > Int64(member.sessionTimeoutMs)
        }
        for member in expired { outputs += removeMember(&group, member.memberId, nowMs: nowMs) }
        if group.phase == .preparingRebalance {
            let deadlinePassed = (group.joinDeadlineMs ?? Int64.max) <= nowMs
            outputs += tryCompleteJoin(&group, nowMs: nowMs, deadlinePassed: deadlinePassed)
        }
        return outputs
    }

    /// Whether an OffsetCommit from this member and generation is accepted, as Kafka decides it. A
    /// generation of -1 with no member is a "simple" commit, allowed while the group has no members.
    public func commitCheck(_ group: GroupState, memberId: String, generationId: Int32) -> ErrorCode {
        if group.phase == .dead { return .coordinatorNotAvailable }
        if generationId < 0 && memberId.isEmpty && group.members.isEmpty { return .none }
        if group.phase == .completingRebalance { return .rebalanceInProgress }
        guard group.hasMember(memberId) else { return .unknownMemberId }
        guard generationId == group.generationId else { return .illegalGeneration }
        return .none
    }

    /// Whether a TxnOffsetCommit is accepted, as Kafka's validateOffsetCommit decides a
    /// transactional one (KIP-447). A generation of -1 on an empty group is accepted, and so is a
    /// request that names no generation, member or instance (the default group metadata, and every
    /// version before 3) whatever the group's state. Otherwise the committer must be a current
    /// member: its instance id, if it names one, must belong to that member id (FENCED_INSTANCE_ID
    /// when the instance has rejoined under a new id, UNKNOWN_MEMBER_ID when it is not in the
    /// group), and the generation must be the group's (ILLEGAL_GENERATION, as for a consumer that
    /// missed a rebalance). Unlike OffsetCommit, a member mid-rebalance is not refused.
    public func transactionalCommitCheck(_ group: GroupState, memberId: String, groupInstanceId: String?, generationId: Int32) -> ErrorCode {
        if group.phase == .dead { return .coordinatorNotAvailable }
        if generationId < 0 && group.phase == .empty { return .none }
        guard generationId >= 0 || !memberId.isEmpty || groupInstanceId != nil else { return .none }
        if let groupInstanceId {
            guard let current = group.members.first(where: { $0.groupInstanceId == groupInstanceId }) else { return .unknownMemberId }
            if current.memberId != memberId { return .fencedInstanceId }
        }
        guard group.hasMember(memberId) else { return .unknownMemberId }
        guard generationId == group.generationId else { return .illegalGeneration }
        return .none
    }
}
