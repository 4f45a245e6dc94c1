import NIOCore

/// DescribeGroups (key 15), v0–4.
public struct DescribeGroupsRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.describeGroups
    public var groups: [String]
    public var includeAuthorizedOperations: Bool

    public init(groups: [String], includeAuthorizedOperations: Bool = false) {
        self.groups = groups
        self.includeAuthorizedOperations = includeAuthorizedOperations
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        groups = try buffer.readKafkaArray("groups") { try $0.readKafkaString("group") }
        includeAuthorizedOperations = version >= 3 ? try buffer.readBool("include_authorized_operations") : false
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeKafkaArray(groups) { $0.writeKafkaString($1) }
        if version >= 3 { buffer.writeBool(includeAuthorizedOperations) }
    }
}

public struct DescribeGroupsResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.describeGroups

    public struct Member: Sendable, Equatable {
        public var memberId: String
        public var groupInstanceId: String?
        public var clientId: String
        public var clientHost: String
        public var memberMetadata: ByteBuffer
        public var memberAssignment: ByteBuffer
        public init(memberId: String, groupInstanceId: String? = nil, clientId: String, clientHost: String, memberMetadata: ByteBuffer,
                    memberAssignment: ByteBuffer) {
            self.memberId = memberId
            self.groupInstanceId = groupInstanceId
            self.clientId = clientId
            self.clientHost = clientHost
            self.memberMetadata = memberMetadata
            self.memberAssignment = memberAssignment
        }
    }

    public struct Group: Sendable, Equatable {
        public var errorCode: Int16
        public var groupId: String
        public var groupState: String
        public var protocolType: String
        public var protocolData: String
        public var members: [Member]
        public var authorizedOperations: Int32
        public init(errorCode: Int16, groupId: String, groupState: String, protocolType: String, protocolData: String, members: [Member],
                    authorizedOperations: Int32 = Int32.min) {
            self.errorCode = errorCode
            self.groupId = groupId
            self.groupState = groupState
            self.protocolType = protocolType
            self.protocolData = protocolData
            self.members = members
            self.authorizedOperations = authorizedOperations
        }
    }

    public var throttleTimeMs: Int32
    public var groups: [Group]

    public init(throttleTimeMs: Int32 = 0, groups: [Group]) {
        self.throttleTimeMs = throttleTimeMs
        self.groups = groups
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = version >= 1 ? try buffer.readInt32("throttle_time_ms") : 0
        groups = try buffer.readKafkaArray("groups") { buffer in
            let error = try buffer.readInt16("error_code")
            let id = try buffer.readKafkaString("group_id")
            let state = try buffer.readKafkaString("group_state")
            let type = try buffer.readKafkaString("protocol_type")
            let data = try buffer.readKafkaString("protocol_data")
            let members = try buffer.readKafkaArray("members") { buffer in
                let memberId = try buffer.readKafkaString("member_id")
                let instance = version >= 4 ? try buffer.readNullableKafkaString("group_instance_id") : nil
                return Member(memberId: memberId, groupInstanceId: instance, clientId: try buffer.readKafkaString("client_id"),
                              clientHost: try buffer.readKafkaString("client_host"), memberMetadata: try buffer.readKafkaBytes("member_metadata"),
                              memberAssignment: try buffer.readKafkaBytes("member_assignment"))
            }
            let operations = version >= 3 ? try buffer.readInt32("authorized_operations") : Int32.min
            return Group(errorCode: error, groupId: id, groupState: state, protocolType: type, protocolData: data, members: members,
                         authorizedOperations: operations)
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        if version >= 1 { buffer.writeInt32(throttleTimeMs) }
        buffer.writeKafkaArray(groups) { buffer, group in
            buffer.writeInt16(group.errorCode)
            buffer.writeKafkaString(group.groupId)
            buffer.writeKafkaString(group.groupState)
            buffer.writeKafkaString(group.protocolType)
            buffer.writeKafkaString(group.protocolData)
            buffer.writeKafkaArray(group.members) { buffer, member in
                buffer.writeKafkaString(member.memberId)
                if version >= 4 { buffer.writeNullableKafkaString(member.groupInstanceId) }
                buffer.writeKafkaString(member.clientId)
                buffer.writeKafkaString(member.clientHost)
                buffer.writeKafkaBytes(member.memberMetadata)
                buffer.writeKafkaBytes(member.memberAssignment)
            }
            if version >= 3 { buffer.writeInt32(group.authorizedOperations) }
        }
    }
}

/// ListGroups (key 16), v0–2: an empty request.
public struct ListGroupsRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.listGroups
    public init() {}
    public init(from buffer: inout ByteBuffer, version: Int16) throws {}
    public func encode(into buffer: inout ByteBuffer, version: Int16) {}
}

public struct ListGroupsResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.listGroups

    public struct Group: Sendable, Equatable {
        public var groupId: String
        public var protocolType: String
        public init(groupId: String, protocolType: String) {
            self.groupId = groupId
            self.protocolType = protocolType
        }
    }

    public var throttleTimeMs: Int32
    public var errorCode: Int16
    public var groups: [Group]

    public init(throttleTimeMs: Int32 = 0, errorCode: Int16, groups: [Group]) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.groups = groups
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = version >= 1 ? try buffer.readInt32("throttle_time_ms") : 0
        errorCode = try buffer.readInt16("error_code")
        groups = try buffer.readKafkaArray("groups") { buffer in
            Group(groupId: try buffer.readKafkaString("group_id"), protocolType: try buffer.readKafkaString("protocol_type"))
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        if version >= 1 { buffer.writeInt32(throttleTimeMs) }
        buffer.writeInt16(errorCode)
        buffer.writeKafkaArray(groups) { buffer, group in
            buffer.writeKafkaString(group.groupId)
            buffer.writeKafkaString(group.protocolType)
        }
    }
}

/// DeleteGroups (key 42), v0–1.
public struct DeleteGroupsRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.deleteGroups
    public var groupsNames: [String]
    public init(groupsNames: [String]) { self.groupsNames = groupsNames }
    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        groupsNames = try buffer.readKafkaArray("groups_names") { try $0.readKafkaString("group") }
    }
    public func encode(into buffer: inout ByteBuffer, version: Int16) { buffer.writeKafkaArray(groupsNames) { $0.writeKafkaString($1) } }
}

public struct DeleteGroupsResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.deleteGroups

    public struct Result: Sendable, Equatable {
        public var groupId: String
        public var errorCode: Int16
        public init(groupId: String, errorCode: Int16) {
            self.groupId = groupId
            self.errorCode = errorCode
        }
    }

    public var throttleTimeMs: Int32
    public var results: [Result]

    public init(throttleTimeMs: Int32 = 0, results: [Result]) {
        self.throttleTimeMs = throttleTimeMs
        self.results = results
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = try buffer.readInt32("throttle_time_ms")
        results = try buffer.readKafkaArray("results") { buffer in
            Result(groupId: try buffer.readKafkaString("group_id"), errorCode: try buffer.readInt16("error_code"))
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(throttleTimeMs)
        buffer.writeKafkaArray(results) { buffer, result in
            buffer.writeKafkaString(result.groupId)
            buffer.writeInt16(result.errorCode)
        }
    }
}

/// The consumer protocol's opaque payloads (`protocol_type` "consumer"): what members put in
/// JoinGroup metadata and what the leader hands out in SyncGroup (Kafka's
/// ConsumerProtocolSubscription and ConsumerProtocolAssignment, v0–3, never flexible). Newer
/// versions only append fields, so readers take the fields they know, tolerate a payload that ends
/// before an appended field, and ignore anything after the last.
public struct ConsumerSubscription: Sendable, Equatable {
    public var version: Int16
    public var topics: [String]
    public var userData: ByteBuffer?
    /// v1+: what the member owned before this rebalance, for cooperative assignors.
    public var ownedPartitions: [TopicPartition]
    /// v2+: the generation `ownedPartitions` belongs to, -1 when unknown.
    public var generationId: Int32
    /// v3+: for rack-aware assignment.
    public var rackId: String?

    public init(version: Int16 = 0, topics: [String], userData: ByteBuffer? = nil, ownedPartitions: [TopicPartition] = [],
                generationId: Int32 = -1, rackId: String? = nil) {
        self.version = version
        self.topics = topics
        self.userData = userData
        self.ownedPartitions = ownedPartitions
        self.generationId = generationId
        self.rackId = rackId
    }

    public init(from buffer: inout ByteBuffer) throws {
        version = try buffer.readInt16("subscription.version")
        topics = try buffer.readKafkaArray("subscription.topics") { try $0.readKafkaString("topic") }
        userData = try buffer.readNullableKafkaBytes("subscription.user_data")
        ownedPartitions = []
        generationId = -1
        rackId = nil
        if version >= 1 && buffer.readableBytes > 0 {
            ownedPartitions = try ConsumerAssignment.readPartitions("subscription.owned_partitions", from: &buffer)
        }
        if version >= 2 && buffer.readableBytes > 0 { generationId = try buffer.readInt32("subscription.generation_id") }
        if version >= 3 && buffer.readableBytes > 0 { rackId = try buffer.readNullableKafkaString("subscription.rack_id") }
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInt16(version)
        buffer.writeKafkaArray(topics) { $0.writeKafkaString($1) }
        buffer.writeNullableKafkaBytes(userData)
        if version >= 1 { ConsumerAssignment.writePartitions(ownedPartitions, into: &buffer) }
        if version >= 2 { buffer.writeInt32(generationId) }
        if version >= 3 { buffer.writeNullableKafkaString(rackId) }
    }
}

public struct ConsumerAssignment: Sendable, Equatable {
    public var version: Int16
    public var partitions: [TopicPartition]
    public var userData: ByteBuffer?

    public init(version: Int16 = 0, partitions: [TopicPartition], userData: ByteBuffer? = nil) {
        self.version = version
        self.partitions = partitions
        self.userData = userData
    }

    public init(from buffer: inout ByteBuffer) throws {
        version = try buffer.readInt16("assignment.version")
        partitions = try Self.readPartitions("assignment.assigned_partitions", from: &buffer)
        userData = buffer.readableBytes > 0 ? try buffer.readNullableKafkaBytes("assignment.user_data") : nil
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInt16(version)
        Self.writePartitions(partitions, into: &buffer)
        buffer.writeNullableKafkaBytes(userData)
    }

    /// `[topic, [partition]]`, flattened.
    static func readPartitions(_ field: String, from buffer: inout ByteBuffer) throws -> [TopicPartition] {
        try buffer.readKafkaArray(field) { buffer in
            let topic = try buffer.readKafkaString("\(field).topic")
            return try buffer.readKafkaArray("\(field).partitions") { TopicPartition(topic, try $0.readInt32("partition")) }
        }.flatMap { $0 }
    }

    /// Grouped by topic, topics and partitions in ascending order.
    static func writePartitions(_ partitions: [TopicPartition], into buffer: inout ByteBuffer) {
        let byTopic = Dictionary(grouping: partitions, by: \.topic)
        buffer.writeKafkaArray(byTopic.keys.sorted()) { buffer, topic in
            buffer.writeKafkaString(topic)
            buffer.writeKafkaArray(byTopic[topic]!.map(\.partition).sorted()) { $0.writeInt32($1) }
        }
    }
}
