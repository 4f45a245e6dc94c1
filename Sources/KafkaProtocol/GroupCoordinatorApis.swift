import NIOCore

/// FindCoordinator (key 10), v0–2. `keyType` (v1+) 0 = group, 1 = transaction.
public struct FindCoordinatorRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.findCoordinator
    public var key: String
    public var keyType: Int8

    public init(key: String, keyType: Int8 = 0) {
        self.key = key
        self.keyType = keyType
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        key = try buffer.readKafkaString("key")
        keyType = version >= 1 ? try buffer.readInt8("key_type") : 0
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(key)
        if version >= 1 { buffer.writeInt8(keyType) }
    }
}

public struct FindCoordinatorResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.findCoordinator
    public var throttleTimeMs: Int32
    public var errorCode: Int16
    public var errorMessage: String?
    public var nodeId: Int32
    public var host: String
    public var port: Int32

    public init(throttleTimeMs: Int32 = 0, errorCode: Int16, errorMessage: String? = nil, nodeId: Int32, host: String, port: Int32) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.nodeId = nodeId
        self.host = host
        self.port = port
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = version >= 1 ? try buffer.readInt32("throttle_time_ms") : 0
        errorCode = try buffer.readInt16("error_code")
        errorMessage = version >= 1 ? try buffer.readNullableKafkaString("error_message") : nil
        nodeId = try buffer.readInt32("node_id")
        host = try buffer.readKafkaString("host")
        port = try buffer.readInt32("port")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        if version >= 1 { buffer.writeInt32(throttleTimeMs) }
        buffer.writeInt16(errorCode)
        if version >= 1 { buffer.writeNullableKafkaString(errorMessage) }
        buffer.writeInt32(nodeId)
        buffer.writeKafkaString(host)
        buffer.writeInt32(port)
    }
}

/// JoinGroup (key 11), v0–5. From v4 an empty member id gets MEMBER_ID_REQUIRED with an id to retry with.
public struct JoinGroupRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.joinGroup

    public struct GroupProtocol: Sendable, Equatable {
        public var name: String
        public var metadata: ByteBuffer
        public init(name: String, metadata: ByteBuffer) {
            self.name = name
            self.metadata = metadata
        }
    }

    public var groupId: String
    public var sessionTimeoutMs: Int32
    /// v0 has none: the session timeout is used.
    public var rebalanceTimeoutMs: Int32
    public var memberId: String
    public var groupInstanceId: String?
    public var protocolType: String
    public var protocols: [GroupProtocol]

    public init(groupId: String, sessionTimeoutMs: Int32, rebalanceTimeoutMs: Int32, memberId: String, groupInstanceId: String? = nil,
                protocolType: String, protocols: [GroupProtocol]) {
        self.groupId = groupId
        self.sessionTimeoutMs = sessionTimeoutMs
        self.rebalanceTimeoutMs = rebalanceTimeoutMs
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.protocolType = protocolType
        self.protocols = protocols
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        groupId = try buffer.readKafkaString("group_id")
        sessionTimeoutMs = try buffer.readInt32("session_timeout_ms")
        rebalanceTimeoutMs = version >= 1 ? try buffer.readInt32("rebalance_timeout_ms") : sessionTimeoutMs
        memberId = try buffer.readKafkaString("member_id")
        groupInstanceId = version >= 5 ? try buffer.readNullableKafkaString("group_instance_id") : nil
        protocolType = try buffer.readKafkaString("protocol_type")
        protocols = try buffer.readKafkaArray("protocols") { buffer in
            GroupProtocol(name: try buffer.readKafkaString("protocol.name"), metadata: try buffer.readKafkaBytes("protocol.metadata"))
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(groupId)
        buffer.writeInt32(sessionTimeoutMs)
        if version >= 1 { buffer.writeInt32(rebalanceTimeoutMs) }
        buffer.writeKafkaString(memberId)
        if version >= 5 { buffer.writeNullableKafkaString(groupInstanceId) }
        buffer.writeKafkaString(protocolType)
        buffer.writeKafkaArray(protocols) { buffer, groupProtocol in
            buffer.writeKafkaString(groupProtocol.name)
            buffer.writeKafkaBytes(groupProtocol.metadata)
        }
    }
}

public struct JoinGroupResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.joinGroup

    public struct Member: Sendable, Equatable {
        public var memberId: String
        public var groupInstanceId: String?
        public var metadata: ByteBuffer
        public init(memberId: String, groupInstanceId: String? = nil, metadata: ByteBuffer) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.metadata = metadata
        }
    }

    public var throttleTimeMs: Int32
    public var errorCode: Int16
    public var generationId: Int32
    public var protocolName: String
    public var leader: String
    public var memberId: String
    public var members: [Member]

    public init(throttleTimeMs: Int32 = 0, errorCode: Int16, generationId: Int32 = -1, protocolName: String = "", leader: String = "",
                memberId: String = "", members: [Member] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.generationId = generationId
        self.protocolName = protocolName
        self.leader = leader
        self.memberId = memberId
        self.members = members
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = version >= 2 ? try buffer.readInt32("throttle_time_ms") : 0
        errorCode = try buffer.readInt16("error_code")
        generationId = try buffer.readInt32("generation_id")
        protocolName = try buffer.readKafkaString("protocol_name")
        leader = try buffer.readKafkaString("leader")
        memberId = try buffer.readKafkaString("member_id")
        members = try buffer.readKafkaArray("members") { buffer in
            let id = try buffer.readKafkaString("member.member_id")
            let instance = version >= 5 ? try buffer.readNullableKafkaString("member.group_instance_id") : nil
            return Member(memberId: id, groupInstanceId: instance, metadata: try buffer.readKafkaBytes("member.metadata"))
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        if version >= 2 { buffer.writeInt32(throttleTimeMs) }
        buffer.writeInt16(errorCode)
        buffer.writeInt32(generationId)
        buffer.writeKafkaString(protocolName)
        buffer.writeKafkaString(leader)
        buffer.writeKafkaString(memberId)
        buffer.writeKafkaArray(members) { buffer, member in
            buffer.writeKafkaString(member.memberId)
            if version >= 5 { buffer.writeNullableKafkaString(member.groupInstanceId) }
            buffer.writeKafkaBytes(member.metadata)
        }
    }
}

/// SyncGroup (key 14), v0–3: the leader hands in every member's assignment; everyone gets their own.
public struct SyncGroupRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.syncGroup

    public struct Assignment: Sendable, Equatable {
        public var memberId: String
        public var assignment: ByteBuffer
        public init(memberId: String, assignment: ByteBuffer) {
            self.memberId = memberId
            self.assignment = assignment
        }
    }

    public var groupId: String
    public var generationId: Int32
    public var memberId: String
    public var groupInstanceId: String?
    public var assignments: [Assignment]

    public init(groupId: String, generationId: Int32, memberId: String, groupInstanceId: String? = nil, assignments: [Assignment]) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
        self.assignments = assignments
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        groupId = try buffer.readKafkaString("group_id")
        generationId = try buffer.readInt32("generation_id")
        memberId = try buffer.readKafkaString("member_id")
        groupInstanceId = version >= 3 ? try buffer.readNullableKafkaString("group_instance_id") : nil
        assignments = try buffer.readKafkaArray("assignments") { buffer in
            Assignment(memberId: try buffer.readKafkaString("assignment.member_id"), assignment: try buffer.readKafkaBytes("assignment.assignment"))
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(groupId)
        buffer.writeInt32(generationId)
        buffer.writeKafkaString(memberId)
        if version >= 3 { buffer.writeNullableKafkaString(groupInstanceId) }
        buffer.writeKafkaArray(assignments) { buffer, assignment in
            buffer.writeKafkaString(assignment.memberId)
            buffer.writeKafkaBytes(assignment.assignment)
        }
    }
}

public struct SyncGroupResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.syncGroup
    public var throttleTimeMs: Int32
    public var errorCode: Int16
    public var assignment: ByteBuffer

    public init(throttleTimeMs: Int32 = 0, errorCode: Int16, assignment: ByteBuffer = ByteBuffer()) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.assignment = assignment
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = version >= 1 ? try buffer.readInt32("throttle_time_ms") : 0
        errorCode = try buffer.readInt16("error_code")
        assignment = try buffer.readKafkaBytes("assignment")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        if version >= 1 { buffer.writeInt32(throttleTimeMs) }
        buffer.writeInt16(errorCode)
        buffer.writeKafkaBytes(assignment)
    }
}

/// Heartbeat (key 12), v0–3.
public struct HeartbeatRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.heartbeat
    public var groupId: String
    public var generationId: Int32
    public var memberId: String
    public var groupInstanceId: String?

    public init(groupId: String, generationId: Int32, memberId: String, groupInstanceId: String? = nil) {
        self.groupId = groupId
        self.generationId = generationId
        self.memberId = memberId
        self.groupInstanceId = groupInstanceId
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        groupId = try buffer.readKafkaString("group_id")
        generationId = try buffer.readInt32("generation_id")
        memberId = try buffer.readKafkaString("member_id")
        groupInstanceId = version >= 3 ? try buffer.readNullableKafkaString("group_instance_id") : nil
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(groupId)
        buffer.writeInt32(generationId)
        buffer.writeKafkaString(memberId)
        if version >= 3 { buffer.writeNullableKafkaString(groupInstanceId) }
    }
}

public struct HeartbeatResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.heartbeat
    public var throttleTimeMs: Int32
    public var errorCode: Int16

    public init(throttleTimeMs: Int32 = 0, errorCode: Int16) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = version >= 1 ? try buffer.readInt32("throttle_time_ms") : 0
        errorCode = try buffer.readInt16("error_code")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        if version >= 1 { buffer.writeInt32(throttleTimeMs) }
        buffer.writeInt16(errorCode)
    }
}

/// LeaveGroup (key 13), v0–3. v3 lets several members (by instance id) leave at once.
public struct LeaveGroupRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.leaveGroup

    public struct Member: Sendable, Equatable {
        public var memberId: String
        public var groupInstanceId: String?
        public init(memberId: String, groupInstanceId: String? = nil) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
        }
    }

    public var groupId: String
    /// v0–2 carry one member id; v3 a list.
    public var members: [Member]

    public init(groupId: String, members: [Member]) {
        self.groupId = groupId
        self.members = members
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        groupId = try buffer.readKafkaString("group_id")
        if version >= 3 {
            members = try buffer.readKafkaArray("members") { buffer in
                Member(memberId: try buffer.readKafkaString("member_id"), groupInstanceId: try buffer.readNullableKafkaString("group_instance_id"))
            }
        } else {
            members = [Member(memberId: try buffer.readKafkaString("member_id"))]
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaString(groupId)
        if version >= 3 {
            buffer.writeKafkaArray(members) { buffer, member in
                buffer.writeKafkaString(member.memberId)
                buffer.writeNullableKafkaString(member.groupInstanceId)
            }
        } else {
            buffer.writeKafkaString(members.first?.memberId ?? "")
        }
    }
}

public struct LeaveGroupResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.leaveGroup

    public struct Member: Sendable, Equatable {
        public var memberId: String
        public var groupInstanceId: String?
        public var errorCode: Int16
        public init(memberId: String, groupInstanceId: String? = nil, errorCode: Int16) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.errorCode = errorCode
        }
    }

    public var throttleTimeMs: Int32
    public var errorCode: Int16
    public var members: [Member]

    public init(throttleTimeMs: Int32 = 0, errorCode: Int16, members: [Member] = []) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.members = members
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = version >= 1 ? try buffer.readInt32("throttle_time_ms") : 0
        errorCode = try buffer.readInt16("error_code")
        members = version >= 3 ? try buffer.readKafkaArray("members") { buffer in
            Member(memberId: try buffer.readKafkaString("member_id"), groupInstanceId: try buffer.readNullableKafkaString("group_instance_id"),
                   errorCode: try buffer.readInt16("error_code"))
        } : []
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        if version >= 1 { buffer.writeInt32(throttleTimeMs) }
        buffer.writeInt16(errorCode)
        if version >= 3 {
            buffer.writeKafkaArray(members) { buffer, member in
                buffer.writeKafkaString(member.memberId)
                buffer.writeNullableKafkaString(member.groupInstanceId)
                buffer.writeInt16(member.errorCode)
            }
        }
    }
}
