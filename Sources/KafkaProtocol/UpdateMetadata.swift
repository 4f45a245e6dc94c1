import NIOCore

/// UpdateMetadata (key 6), v0–5, controller → every broker: the partition states and live brokers
/// each broker serves Metadata requests from. v0 gives each broker one host and port; v1 a list of
/// endpoints; v2 adds the rack; v3 the listener name; v4 offline replicas; v5 the broker epoch and
/// partitions grouped by topic. v6 is flexible.
public struct UpdateMetadataRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.updateMetadata
    /// The version Samsa's controller sends.
    public static let version: Int16 = 5
    /// The versions this codec reads and writes.
    public static let versions: ClosedRange<Int16> = 0...5

    public struct PartitionState: Sendable, Equatable {
        public var partitionIndex: Int32
        public var controllerEpoch: Int32
        public var leader: Int32
        public var leaderEpoch: Int32
        public var isr: [Int32]
        public var zkVersion: Int32
        public var replicas: [Int32]
        /// v4+.
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

        init(from buffer: inout ByteBuffer, version: Int16) throws {
            partitionIndex = try buffer.readInt32("partition_states.partition_index")
            controllerEpoch = try buffer.readInt32("partition_states.controller_epoch")
            leader = try buffer.readInt32("partition_states.leader")
            leaderEpoch = try buffer.readInt32("partition_states.leader_epoch")
            isr = try buffer.readKafkaArray("partition_states.isr") { try $0.readInt32("isr") }
            zkVersion = try buffer.readInt32("partition_states.zk_version")
            replicas = try buffer.readKafkaArray("partition_states.replicas") { try $0.readInt32("replica") }
            offlineReplicas = version >= 4 ? try buffer.readKafkaArray("partition_states.offline_replicas") { try $0.readInt32("offline") } : []
        }

        func encode(into buffer: inout ByteBuffer, version: Int16) {
            buffer.writeInt32(partitionIndex)
            buffer.writeInt32(controllerEpoch)
            buffer.writeInt32(leader)
            buffer.writeInt32(leaderEpoch)
            buffer.writeKafkaArray(isr) { $0.writeInt32($1) }
            buffer.writeInt32(zkVersion)
            buffer.writeKafkaArray(replicas) { $0.writeInt32($1) }
            if version >= 4 { buffer.writeKafkaArray(offlineReplicas) { $0.writeInt32($1) } }
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
        /// v3+. Before v3 the listener is named after its security protocol, as Kafka names it.
        public var listener: String
        /// Kafka's `SecurityProtocol` id: 0 PLAINTEXT, 1 SSL, 2 SASL_PLAINTEXT, 3 SASL_SSL.
        public var securityProtocol: Int16
        public init(port: Int32, host: String, listener: String = "PLAINTEXT", securityProtocol: Int16 = 0) {
            self.port = port
            self.host = host
            self.listener = listener
            self.securityProtocol = securityProtocol
        }

        /// The listener name Kafka gives an endpoint that carries none (v0–2).
        static func defaultListener(securityProtocol: Int16) throws -> String {
            switch securityProtocol {
            case 0: return "PLAINTEXT"
            case 1: return "SSL"
            case 2: return "SASL_PLAINTEXT"
            case 3: return "SASL_SSL"
            default: throw ProtocolError.invalid("endpoints.security_protocol \(securityProtocol) is unknown")
            }
        }
    }

    public struct Broker: Sendable, Equatable {
        public var id: Int32
        /// v0 carries exactly one endpoint, a PLAINTEXT host and port.
        public var endpoints: [Endpoint]
        /// v2+.
        public var rack: String?
        public init(id: Int32, endpoints: [Endpoint], rack: String? = nil) {
            self.id = id
            self.endpoints = endpoints
            self.rack = rack
        }

        init(from buffer: inout ByteBuffer, version: Int16) throws {
            id = try buffer.readInt32("live_brokers.id")
            if version == 0 {
                let host = try buffer.readKafkaString("live_brokers.v0_host")
                endpoints = [Endpoint(port: try buffer.readInt32("live_brokers.v0_port"), host: host)]
            } else {
                endpoints = try buffer.readKafkaArray("live_brokers.endpoints") { buffer in
                    let port = try buffer.readInt32("endpoints.port")
                    let host = try buffer.readKafkaString("endpoints.host")
                    let listener = version >= 3 ? try buffer.readKafkaString("endpoints.listener") : nil
                    let securityProtocol = try buffer.readInt16("endpoints.security_protocol")
                    return Endpoint(port: port, host: host, listener: try listener ?? Endpoint.defaultListener(securityProtocol: securityProtocol),
                                    securityProtocol: securityProtocol)
                }
            }
            rack = version >= 2 ? try buffer.readNullableKafkaString("live_brokers.rack") : nil
        }

        /// At v0 the PLAINTEXT endpoint (else the first) goes out as host and port; a broker with no
        /// endpoint at all goes out as host "" and port -1 rather than stopping the controller.
        func encode(into buffer: inout ByteBuffer, version: Int16) {
            buffer.writeInt32(id)
            if version == 0 {
                let endpoint = endpoints.first { $0.securityProtocol == 0 } ?? endpoints.first
                buffer.writeKafkaString(endpoint?.host ?? "")
                buffer.writeInt32(endpoint?.port ?? -1)
            } else {
                buffer.writeKafkaArray(endpoints) { buffer, endpoint in
                    buffer.writeInt32(endpoint.port)
                    buffer.writeKafkaString(endpoint.host)
                    if version >= 3 { buffer.writeKafkaString(endpoint.listener) }
                    buffer.writeInt16(endpoint.securityProtocol)
                }
            }
            if version >= 2 { buffer.writeNullableKafkaString(rack) }
        }
    }

    /// Kafka marks partitions of a topic being deleted with this leader id.
    public static let leaderDuringDelete: Int32 = -2

    public var controllerId: Int32
    public var controllerEpoch: Int32
    /// v5+.
    public var brokerEpoch: Int64
    /// Grouped by topic; v0–4 carry the same states ungrouped (see `InterBroker.groupConsecutive`).
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
        try InterBroker.checkVersion(version, in: Self.versions, of: Self.apiKey)
        controllerId = try buffer.readInt32("controller_id")
        controllerEpoch = try buffer.readInt32("controller_epoch")
        brokerEpoch = version >= 5 ? try buffer.readInt64("broker_epoch") : -1
        if version >= 5 {
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
        liveBrokers = try buffer.readKafkaArray("live_brokers") { try Broker(from: &$0, version: version) }
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(controllerId)
        buffer.writeInt32(controllerEpoch)
        if version >= 5 {
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
        buffer.writeKafkaArray(liveBrokers) { $1.encode(into: &$0, version: version) }
    }
}

/// The same layout in v0–5: one error code.
public struct UpdateMetadataResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.updateMetadata
    public var errorCode: Int16

    public init(errorCode: Int16) { self.errorCode = errorCode }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        try InterBroker.checkVersion(version, in: UpdateMetadataRequest.versions, of: Self.apiKey)
        errorCode = try buffer.readInt16("error_code")
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) { buffer.writeInt16(errorCode) }
}
