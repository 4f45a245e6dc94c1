import NIOCore

/// LeaderAndIsr (key 4), v0–3, controller → broker: who leads and who follows each partition, at
/// which leader epoch and with which ISR. v0–1 list every partition with its topic name; v1 adds
/// `isNew`; v2 adds the broker epoch and groups partitions by topic; v3 adds the replicas a
/// reassignment is adding and removing. v4 is flexible.
public struct LeaderAndIsrRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.leaderAndIsr
    /// The version Samsa's controller sends.
    public static let version: Int16 = 2
    /// The versions this codec reads and writes.
    public static let versions: ClosedRange<Int16> = 0...3

    public struct PartitionState: Sendable, Equatable {
        public var partitionIndex: Int32
        public var controllerEpoch: Int32
        public var leader: Int32
        public var leaderEpoch: Int32
        public var isr: [Int32]
        /// The znode version of the partition state the controller wrote (Kafka's `PartitionEpoch`);
        /// the leader's ISR updates are conditional on it.
        public var zkVersion: Int32
        public var replicas: [Int32]
        /// v3+.
        public var addingReplicas: [Int32]
        /// v3+.
        public var removingReplicas: [Int32]
        /// v1+: whether the replica is being created, so a missing log is expected rather than lost.
        public var isNew: Bool

        public init(partitionIndex: Int32, controllerEpoch: Int32, leader: Int32, leaderEpoch: Int32, isr: [Int32], zkVersion: Int32,
                    replicas: [Int32], addingReplicas: [Int32] = [], removingReplicas: [Int32] = [], isNew: Bool = false) {
            self.partitionIndex = partitionIndex
            self.controllerEpoch = controllerEpoch
            self.leader = leader
            self.leaderEpoch = leaderEpoch
            self.isr = isr
            self.zkVersion = zkVersion
            self.replicas = replicas
            self.addingReplicas = addingReplicas
            self.removingReplicas = removingReplicas
            self.isNew = isNew
        }

        init(from buffer: inout ByteBuffer, version: Int16) throws {
            partitionIndex = try buffer.readInt32("partition_states.partition_index")
            controllerEpoch = try buffer.readInt32("partition_states.controller_epoch")
            leader = try buffer.readInt32("partition_states.leader")
            leaderEpoch = try buffer.readInt32("partition_states.leader_epoch")
            isr = try buffer.readKafkaArray("partition_states.isr") { try $0.readInt32("isr") }
            zkVersion = try buffer.readInt32("partition_states.zk_version")
            replicas = try buffer.readKafkaArray("partition_states.replicas") { try $0.readInt32("replica") }
            addingReplicas = version >= 3 ? try buffer.readKafkaArray("partition_states.adding_replicas") { try $0.readInt32("replica") } : []
            removingReplicas = version >= 3 ? try buffer.readKafkaArray("partition_states.removing_replicas") { try $0.readInt32("replica") } : []
            isNew = version >= 1 ? try buffer.readBool("partition_states.is_new") : false
        }

        func encode(into buffer: inout ByteBuffer, version: Int16) {
            buffer.writeInt32(partitionIndex)
            buffer.writeInt32(controllerEpoch)
            buffer.writeInt32(leader)
            buffer.writeInt32(leaderEpoch)
            buffer.writeKafkaArray(isr) { $0.writeInt32($1) }
            buffer.writeInt32(zkVersion)
            buffer.writeKafkaArray(replicas) { $0.writeInt32($1) }
            if version >= 3 {
                buffer.writeKafkaArray(addingReplicas) { $0.writeInt32($1) }
                buffer.writeKafkaArray(removingReplicas) { $0.writeInt32($1) }
            }
            if version >= 1 { buffer.writeBool(isNew) }
        }
    }

    public struct TopicState: Sendable, Equatable {
        public var topicName: String
        public var partitionStates: [PartitionState]
        public init(topicName: String, partitionStates: [PartitionState]) {
            self.topicName = topicName
            self.partitionStates = partitionStates
        }
    }

    public struct LiveLeader: Sendable, Equatable {
        public var brokerId: Int32
        public var hostName: String
        public var port: Int32
        public init(brokerId: Int32, hostName: String, port: Int32) {
            self.brokerId = brokerId
            self.hostName = hostName
            self.port = port
        }
    }

    public var controllerId: Int32
    public var controllerEpoch: Int32
    /// v2+: the epoch of the receiving broker's registration, so a restarted broker ignores requests
    /// meant for its previous incarnation.
    public var brokerEpoch: Int64
    /// Grouped by topic; v0–1 carry the same states ungrouped (see `InterBroker.groupConsecutive`).
    public var topicStates: [TopicState]
    public var liveLeaders: [LiveLeader]

    public init(controllerId: Int32, controllerEpoch: Int32, brokerEpoch: Int64 = -1, topicStates: [TopicState], liveLeaders: [LiveLeader]) {
        self.controllerId = controllerId
        self.controllerEpoch = controllerEpoch
        self.brokerEpoch = brokerEpoch
        self.topicStates = topicStates
        self.liveLeaders = liveLeaders
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        try InterBroker.checkVersion(version, in: Self.versions, of: Self.apiKey)
        controllerId = try buffer.readInt32("controller_id")
        controllerEpoch = try buffer.readInt32("controller_epoch")
        brokerEpoch = version >= 2 ? try buffer.readInt64("broker_epoch") : -1
        if version >= 2 {
            topicStates = try buffer.readKafkaArray("topic_states") { buffer in
                TopicState(topicName: try buffer.readKafkaString("topic_states.topic_name"),
                           partitionStates: try buffer.readKafkaArray("partition_states") { try PartitionState(from: &$0, version: version) })
            }
        } else {
            let ungrouped = try buffer.readKafkaArray("ungrouped_partition_states") { buffer in
                (topic: try buffer.readKafkaString("partition_states.topic_name"), item: try PartitionState(from: &buffer, version: version))
            }
            topicStates = InterBroker.groupConsecutive(ungrouped).map { TopicState(topicName: $0.topic, partitionStates: $0.items) }
        }
        liveLeaders = try buffer.readKafkaArray("live_leaders") { buffer in
            LiveLeader(brokerId: try buffer.readInt32("live_leaders.broker_id"), hostName: try buffer.readKafkaString("live_leaders.host_name"),
                       port: try buffer.readInt32("live_leaders.port"))
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(controllerId)
        buffer.writeInt32(controllerEpoch)
        if version >= 2 {
            buffer.writeInt64(brokerEpoch)
            buffer.writeKafkaArray(topicStates) { buffer, topic in
                buffer.writeKafkaString(topic.topicName)
                buffer.writeKafkaArray(topic.partitionStates) { $1.encode(into: &$0, version: version) }
            }
        } else {
            let ungrouped = topicStates.flatMap { topic in topic.partitionStates.map { (topic.topicName, $0) } }
            buffer.writeKafkaArray(ungrouped) { buffer, entry in
                buffer.writeKafkaString(entry.0)
                entry.1.encode(into: &buffer, version: version)
            }
        }
        buffer.writeKafkaArray(liveLeaders) { buffer, leader in
            buffer.writeInt32(leader.brokerId)
            buffer.writeKafkaString(leader.hostName)
            buffer.writeInt32(leader.port)
        }
    }
}

/// The same layout in v0–3 (v1 only adds KAFKA_STORAGE_ERROR to the codes a broker may answer).
public struct LeaderAndIsrResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.leaderAndIsr
    public var result: PartitionErrorsResponse

    public init(_ result: PartitionErrorsResponse) { self.result = result }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        try InterBroker.checkVersion(version, in: LeaderAndIsrRequest.versions, of: Self.apiKey)
        result = try PartitionErrorsResponse(from: &buffer)
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) { result.encode(into: &buffer) }
}
