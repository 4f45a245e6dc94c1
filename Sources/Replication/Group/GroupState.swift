import KafkaProtocol
import NIOCore

/// One consumer group as Kafka's classic group coordinator keeps it (`GroupMetadata`): members,
/// generation, chosen protocol, leader, and where the rebalance stands. A value type that does no I/O:
/// `GroupStateMachine` applies requests and time to it and says what to answer.
public struct GroupState: Sendable, Equatable {
    public enum Phase: String, Sendable, Equatable, Codable {
        case empty = "Empty"
        case preparingRebalance = "PreparingRebalance"
        case completingRebalance = "CompletingRebalance"
        case stable = "Stable"
        case dead = "Dead"
    }

    public struct Member: Sendable, Equatable {
        public var memberId: String
        public var groupInstanceId: String?
        public var clientId: String
        public var clientHost: String
        public var sessionTimeoutMs: Int32
        public var rebalanceTimeoutMs: Int32
        public var protocolType: String
        /// (protocol name, metadata) in the member's order of preference.
        public var protocols: [Protocol]
        public var assignment: ByteBuffer
        public var lastHeartbeatMs: Int64
        /// A JoinGroup from this member is waiting for the join phase to end.
        public var awaitingJoin: Bool
        /// A SyncGroup from this member is waiting for the leader's assignment.
        public var awaitingSync: Bool

        public struct `Protocol`: Sendable, Equatable {
            public var name: String
            public var metadata: ByteBuffer
            public init(name: String, metadata: ByteBuffer) {
                self.name = name
                self.metadata = metadata
            }
        }

        public init(memberId: String, groupInstanceId: String? = nil, clientId: String, clientHost: String, sessionTimeoutMs: Int32,
                    rebalanceTimeoutMs: Int32, protocolType: String, protocols: [Protocol], assignment: ByteBuffer = ByteBuffer(),
                    lastHeartbeatMs: Int64, awaitingJoin: Bool = false, awaitingSync: Bool = false) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.clientId = clientId
            self.clientHost = clientHost
            self.sessionTimeoutMs = sessionTimeoutMs
            self.rebalanceTimeoutMs = rebalanceTimeoutMs
            self.protocolType = protocolType
            self.protocols = protocols
            self.assignment = assignment
            self.lastHeartbeatMs = lastHeartbeatMs
            self.awaitingJoin = awaitingJoin
            self.awaitingSync = awaitingSync
        }

        public func metadata(for name: String) -> ByteBuffer? { protocols.first { $0.name == name }?.metadata }
    }

    public let groupId: String
    public var phase: Phase = .empty
    public var generationId: Int32 = 0
    public var protocolType: String?
    public var protocolName: String?
    public var leaderId: String?
    /// Members in join order (the first is the default leader).
    public var members: [Member] = []
    /// Member ids handed out with MEMBER_ID_REQUIRED, not yet joined, with when they expire.
    public var pendingMembers: [String: Int64] = [:]
    /// When the join phase ends even if not every member rejoined.
    public var joinDeadlineMs: Int64?
    /// The initial delay of an empty group's first rebalance (`group.initial.rebalance.delay.ms`):
    /// the join phase does not end before this.
    public var initialDelayUntilMs: Int64?
    public var phaseSinceMs: Int64

    public init(groupId: String, nowMs: Int64) {
        self.groupId = groupId
        phaseSinceMs = nowMs
    }

    public func member(_ id: String) -> Member? { members.first { $0.memberId == id } }
    public func hasMember(_ id: String) -> Bool { members.contains { $0.memberId == id } }

    mutating func update(_ id: String, _ body: (inout Member) -> Void) {
        guard let index = members.firstIndex(where: { $0.memberId == id }) else { return }
        body(&members[index])
    }

    mutating func remove(_ id: String) {
        members.removeAll { $0.memberId == id }
        if leaderId == id { leaderId = members.first?.memberId }
    }

    mutating func transition(_ next: Phase, nowMs: Int64) {
        phase = next
        phaseSinceMs = nowMs
    }

    /// Kafka's protocol selection: each member votes for the first protocol of its own list that every
    /// member supports; the most voted wins (ties by the order of the first member's list).
    public func selectProtocol() -> String? {
        guard let first = members.first else { return nil }
        let common = first.protocols.map(\.name).filter { name in members.allSatisfy { member in member.protocols.contains { $0.name == name } } }
        guard !common.isEmpty else { return nil }
        var votes: [String: Int] = [:]
        for member in members {
            if let vote = member.protocols.map(\.name).first(where: common.contains) { votes[vote, default: 0] += 1 }
        }
        return common.max { (votes[$0] ?? 0) < (votes[$1] ?? 0) || ((votes[$0] ?? 0) == (votes[$1] ?? 0) && common.firstIndex(of: $0)! > common.firstIndex(of: $1)!) }
    }

    /// Whether `protocols` share at least one protocol with every current member.
    public func supports(protocolType: String, protocols: [String]) -> Bool {
        if members.isEmpty { return true }
        guard protocolType == self.protocolType else { return false }
        return protocols.contains { name in members.allSatisfy { member in member.protocols.contains { $0.name == name } } }
    }
}
