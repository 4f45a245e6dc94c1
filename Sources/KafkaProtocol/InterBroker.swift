import NIOCore

/// The controller-to-broker APIs of ZooKeeper-mode Kafka, at the one version Samsa's brokers use
/// among themselves: LeaderAndIsr v2, UpdateMetadata v5, StopReplica v1, ControlledShutdown v1.
/// Field layouts follow Kafka's message schemas for those versions.
public struct LeaderAndIsrRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.leaderAndIsr
    public static let version: Int16 = 2

    public struct PartitionState: Sendable, Equatable {
        public var partitionIndex: Int32
        public var controllerEpoch: Int32
        public var leader: Int32
        public var leaderEpoch: Int32
        public var isr: [Int32]
        public var zkVersion: Int32
        public var replicas: [Int32]
        public var isNew: Bool
        public init(partitionIndex: Int32, controllerEpoch: Int32, leader: Int32, leaderEpoch: Int32, isr: [Int32], zkVersion: Int32,
                    replicas: [Int32], isNew: Bool = false) {
            self.partitionIndex = partitionIndex
            self.controllerEpoch = controllerEpoch
            self.leader = leader
            self.leaderEpoch = leaderEpoch
            self.isr = isr
            self.zkVersion = zkVersion
            self.replicas = replicas
            self.isNew = isNew
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
    public var brokerEpoch: Int64
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
        guard version == Self.version else { throw ProtocolError.unsupportedVersion(apiKey: Self.apiKey.rawValue, version: version) }
        controllerId = try buffer.readInt32("controller_id")
        controllerEpoch = try buffer.readInt32("controller_epoch")
        brokerEpoch = try buffer.readInt64("broker_epoch")
        topicStates = try buffer.readKafkaArray("topic_states") { buffer in
            TopicState(topicName: try buffer.readKafkaString("topic_name"), partitionStates: try buffer.readKafkaArray("partition_states") { buffer in
                PartitionState(partitionIndex: try buffer.readInt32("partition_index"), controllerEpoch: try buffer.readInt32("controller_epoch"),
                               leader: try buffer.readInt32("leader"), leaderEpoch: try buffer.readInt32("leader_epoch"),
                               isr: try buffer.readKafkaArray("isr") { try $0.readInt32("isr") }, zkVersion: try buffer.readInt32("zk_version"),
                               replicas: try buffer.readKafkaArray("replicas") { try $0.readInt32("replica") }, isNew: try buffer.readBool("is_new"))
            })
        }
        liveLeaders = try buffer.readKafkaArray("live_leaders") { buffer in
            LiveLeader(brokerId: try buffer.readInt32("broker_id"), hostName: try buffer.readKafkaString("host_name"), port: try buffer.readInt32("port"))
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(controllerId)
        buffer.writeInt32(controllerEpoch)
        buffer.writeInt64(brokerEpoch)
        buffer.writeKafkaArray(topicStates) { buffer, topic in
            buffer.writeKafkaString(topic.topicName)
            buffer.writeKafkaArray(topic.partitionStates) { buffer, state in
                buffer.writeInt32(state.partitionIndex)
                buffer.writeInt32(state.controllerEpoch)
                buffer.writeInt32(state.leader)
                buffer.writeInt32(state.leaderEpoch)
                buffer.writeKafkaArray(state.isr) { $0.writeInt32($1) }
                buffer.writeInt32(state.zkVersion)
                buffer.writeKafkaArray(state.replicas) { $0.writeInt32($1) }
                buffer.writeBool(state.isNew)
            }
        }
        buffer.writeKafkaArray(liveLeaders) { buffer, leader in
            buffer.writeInt32(leader.brokerId)
            buffer.writeKafkaString(leader.hostName)
            buffer.writeInt32(leader.port)
        }
    }
}

/// The answer to LeaderAndIsr and StopReplica: a top-level error and one per partition.
public struct PartitionErrorsResponse: Sendable, Equatable {
    public struct PartitionError: Sendable, Equatable {
        public var topicName: String
        public var partitionIndex: Int32
        public var errorCode: Int16
        public init(topicName: String, partitionIndex: Int32, errorCode: Int16) {
            self.topicName = topicName
            self.partitionIndex = partitionIndex
            self.errorCode = errorCode
        }
    }

    public var errorCode: Int16
    public var partitionErrors: [PartitionError]

    public init(errorCode: Int16, partitionErrors: [PartitionError]) {
        self.errorCode = errorCode
        self.partitionErrors = partitionErrors
    }

    init(from buffer: inout ByteBuffer) throws {
        errorCode = try buffer.readInt16("error_code")
        partitionErrors = try buffer.readKafkaArray("partition_errors") { buffer in
            PartitionError(topicName: try buffer.readKafkaString("topic_name"), partitionIndex: try buffer.readInt32("partition_index"),
                           errorCode: try buffer.readInt16("error_code"))
        }
    }

    func encode(into buffer: inout ByteBuffer) {
        buffer.writeInt16(errorCode)
        buffer.writeKafkaArray(partitionErrors) { buffer, error in
            buffer.writeKafkaString(error.topicName)
            buffer.writeInt32(error.partitionIndex)
            buffer.writeInt16(error.errorCode)
        }
    }
}

public struct LeaderAndIsrResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.leaderAndIsr
    public var result: PartitionErrorsResponse
    public init(_ result: PartitionErrorsResponse) { self.result = result }
    public init(from buffer: inout ByteBuffer, version: Int16) throws { result = try PartitionErrorsResponse(from: &buffer) }
    public func encode(into buffer: inout ByteBuffer, version: Int16) { result.encode(into: &buffer) }
}

public struct UpdateMetadataRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.updateMetadata
    public static let version: Int16 = 5

    public struct PartitionState: Sendable, Equatable {
        public var partitionIndex: Int32
        public var controllerEpoch: Int32
        public var leader: Int32
        public var leaderEpoch: Int32
        public var isr: [Int32]
        public var zkVersion: Int32
        public var replicas: [Int32]
        public var offlineReplicas: [Int32]
        public init(partitionIndex: Int32, controllerEpoch: Int32, leader: Int32, leaderEpoch: Int32, isr: [Int32], zkVersion: Int32,
                    replicas: [Int32], offlineReplicas: [Int32] = []) {
            self.partitionIndex = partitionIndex
            self.controllerEpoch = controllerEpoch
            self.leader = leader
            self.leaderEpoch = leaderEpoch
            self.isr = isr
            self.zkVersion = zkVersion
            self.replicas = replicas
            self.offlineReplicas = offlineReplicas
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

    public struct Endpoint: Sendable, Equatable {
        public var port: Int32
        public var host: String
        public var listener: String
        public var securityProtocol: Int16
        public init(port: Int32, host: String, listener: String = "PLAINTEXT", securityProtocol: Int16 = 0) {
            self.port = port
            self.host = host
            self.listener = listener
            self.securityProtocol = securityProtocol
        }
    }

    public struct Broker: Sendable, Equatable {
        public var id: Int32
        public var endpoints: [Endpoint]
        public var rack: String?
        public init(id: Int32, endpoints: [Endpoint], rack: String? = nil) {
            self.id = id
            self.endpoints = endpoints
            self.rack = rack
        }
    }

    /// Kafka marks partitions of a topic being deleted with this leader id.
    public static let leaderDuringDelete: Int32 = -2

    public var controllerId: Int32
    public var controllerEpoch: Int32
    public var brokerEpoch: Int64
    public var topicStates: [TopicState]
    public var liveBrokers: [Broker]

    public init(controllerId: Int32, controllerEpoch: Int32, brokerEpoch: Int64 = -1, topicStates: [TopicState], liveBrokers: [Broker]) {
        self.controllerId = controllerId
        self.controllerEpoch = controllerEpoch
        self.brokerEpoch = brokerEpoch
        self.topicStates = topicStates
        self.liveBrokers = liveBrokers
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        guard version == Self.version else { throw ProtocolError.unsupportedVersion(apiKey: Self.apiKey.rawValue, version: version) }
        controllerId = try buffer.readInt32("controller_id")
        controllerEpoch = try buffer.readInt32("controller_epoch")
        brokerEpoch = try buffer.readInt64("broker_epoch")
        topicStates = try buffer.readKafkaArray("topic_states") { buffer in
            TopicState(topicName: try buffer.readKafkaString("topic_name"), partitionStates: try buffer.readKafkaArray("partition_states") { buffer in
                PartitionState(partitionIndex: try buffer.readInt32("partition_index"), controllerEpoch: try buffer.readInt32("controller_epoch"),
                               leader: try buffer.readInt32("leader"), leaderEpoch: try buffer.readInt32("leader_epoch"),
                               isr: try buffer.readKafkaArray("isr") { try $0.readInt32("isr") }, zkVersion: try buffer.readInt32("zk_version"),
                               replicas: try buffer.readKafkaArray("replicas") { try $0.readInt32("replica") },
                               offlineReplicas: try buffer.readKafkaArray("offline_replicas") { try $0.readInt32("offline") })
            })
        }
        liveBrokers = try buffer.readKafkaArray("live_brokers") { buffer in
            Broker(id: try buffer.readInt32("id"), endpoints: try buffer.readKafkaArray("endpoints") { buffer in
                Endpoint(port: try buffer.readInt32("port"), host: try buffer.readKafkaString("host"), listener: try buffer.readKafkaString("listener"),
                         securityProtocol: try buffer.readInt16("security_protocol"))
            }, rack: try buffer.readNullableKafkaString("rack"))
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(controllerId)
        buffer.writeInt32(controllerEpoch)
        buffer.writeInt64(brokerEpoch)
        buffer.writeKafkaArray(topicStates) { buffer, topic in
            buffer.writeKafkaString(topic.topicName)
            buffer.writeKafkaArray(topic.partitionStates) { buffer, state in
                buffer.writeInt32(state.partitionIndex)
                buffer.writeInt32(state.controllerEpoch)
                buffer.writeInt32(state.leader)
                buffer.writeInt32(state.leaderEpoch)
                buffer.writeKafkaArray(state.isr) { $0.writeInt32($1) }
                buffer.writeInt32(state.zkVersion)
                buffer.writeKafkaArray(state.replicas) { $0.writeInt32($1) }
                buffer.writeKafkaArray(state.offlineReplicas) { $0.writeInt32($1) }
            }
        }
        buffer.writeKafkaArray(liveBrokers) { buffer, broker in
            buffer.writeInt32(broker.id)
            buffer.writeKafkaArray(broker.endpoints) { buffer, endpoint in
                buffer.writeInt32(endpoint.port)
                buffer.writeKafkaString(endpoint.host)
                buffer.writeKafkaString(endpoint.listener)
                buffer.writeInt16(endpoint.securityProtocol)
            }
            buffer.writeNullableKafkaString(broker.rack)
        }
    }
}

public struct UpdateMetadataResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.updateMetadata
    public var errorCode: Int16
    public init(errorCode: Int16) { self.errorCode = errorCode }
    public init(from buffer: inout ByteBuffer, version: Int16) throws { errorCode = try buffer.readInt16("error_code") }
    public func encode(into buffer: inout ByteBuffer, version: Int16) { buffer.writeInt16(errorCode) }
}

public struct StopReplicaRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.stopReplica
    public static let version: Int16 = 1

    public struct Topic: Sendable, Equatable {
        public var name: String
        public var partitionIndexes: [Int32]
        public init(name: String, partitionIndexes: [Int32]) {
            self.name = name
            self.partitionIndexes = partitionIndexes
        }
    }

    public var controllerId: Int32
    public var controllerEpoch: Int32
    public var brokerEpoch: Int64
    public var deletePartitions: Bool
    public var topics: [Topic]

    public init(controllerId: Int32, controllerEpoch: Int32, brokerEpoch: Int64 = -1, deletePartitions: Bool, topics: [Topic]) {
        self.controllerId = controllerId
        self.controllerEpoch = controllerEpoch
        self.brokerEpoch = brokerEpoch
        self.deletePartitions = deletePartitions
        self.topics = topics
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        guard version == Self.version else { throw ProtocolError.unsupportedVersion(apiKey: Self.apiKey.rawValue, version: version) }
        controllerId = try buffer.readInt32("controller_id")
        controllerEpoch = try buffer.readInt32("controller_epoch")
        brokerEpoch = try buffer.readInt64("broker_epoch")
        deletePartitions = try buffer.readBool("delete_partitions")
        topics = try buffer.readKafkaArray("topics") { buffer in
            Topic(name: try buffer.readKafkaString("name"), partitionIndexes: try buffer.readKafkaArray("partition_indexes") { try $0.readInt32("partition") })
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(controllerId)
        buffer.writeInt32(controllerEpoch)
        buffer.writeInt64(brokerEpoch)
        buffer.writeBool(deletePartitions)
        buffer.writeKafkaArray(topics) { buffer, topic in
            buffer.writeKafkaString(topic.name)
            buffer.writeKafkaArray(topic.partitionIndexes) { $0.writeInt32($1) }
        }
    }
}

public struct StopReplicaResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.stopReplica
    public var result: PartitionErrorsResponse
    public init(_ result: PartitionErrorsResponse) { self.result = result }
    public init(from buffer: inout ByteBuffer, version: Int16) throws { result = try PartitionErrorsResponse(from: &buffer) }
    public func encode(into buffer: inout ByteBuffer, version: Int16) { result.encode(into: &buffer) }
}

public struct ControlledShutdownRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.controlledShutdown
    public static let version: Int16 = 1
    public var brokerId: Int32
    public init(brokerId: Int32) { self.brokerId = brokerId }
    public init(from buffer: inout ByteBuffer, version: Int16) throws { brokerId = try buffer.readInt32("broker_id") }
    public func encode(into buffer: inout ByteBuffer, version: Int16) { buffer.writeInt32(brokerId) }
}

public struct ControlledShutdownResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.controlledShutdown

    public struct RemainingPartition: Sendable, Equatable {
        public var topicName: String
        public var partitionIndex: Int32
        public init(topicName: String, partitionIndex: Int32) {
            self.topicName = topicName
            self.partitionIndex = partitionIndex
        }
    }

    public var errorCode: Int16
    public var remainingPartitions: [RemainingPartition]

    public init(errorCode: Int16, remainingPartitions: [RemainingPartition]) {
        self.errorCode = errorCode
        self.remainingPartitions = remainingPartitions
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        errorCode = try buffer.readInt16("error_code")
        remainingPartitions = try buffer.readKafkaArray("remaining_partitions") { buffer in
            RemainingPartition(topicName: try buffer.readKafkaString("topic_name"), partitionIndex: try buffer.readInt32("partition_index"))
        }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt16(errorCode)
        buffer.writeKafkaArray(remainingPartitions) { buffer, partition in
            buffer.writeKafkaString(partition.topicName)
            buffer.writeInt32(partition.partitionIndex)
        }
    }
}
