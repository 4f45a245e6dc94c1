import NIOCore

/// DescribeCluster (key 60), v0–1: flexible at every version (compact strings and arrays, tagged
/// fields). v1 adds the endpoint type (1 brokers, 2 controllers).
public struct DescribeClusterRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.describeCluster

    public var includeClusterAuthorizedOperations: Bool
    /// v1+: 1 asks for brokers, 2 for controllers.
    public var endpointType: Int8

    public init(includeClusterAuthorizedOperations: Bool = false, endpointType: Int8 = 1) {
        self.includeClusterAuthorizedOperations = includeClusterAuthorizedOperations
        self.endpointType = endpointType
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        includeClusterAuthorizedOperations = try buffer.readBool("include_cluster_authorized_operations")
        endpointType = version >= 1 ? try buffer.readInt8("endpoint_type") : 1
        try buffer.skipTaggedFields()
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeBool(includeClusterAuthorizedOperations)
        if version >= 1 { buffer.writeInt8(endpointType) }
        buffer.writeEmptyTaggedFields()
    }
}

public struct DescribeClusterResponse: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.describeCluster

    public struct Broker: Sendable, Equatable {
        public var brokerId: Int32
        public var host: String
        public var port: Int32
        public var rack: String?
        public init(brokerId: Int32, host: String, port: Int32, rack: String? = nil) {
            self.brokerId = brokerId
            self.host = host
            self.port = port
            self.rack = rack
        }
    }

    /// Kafka's "not requested" value for an authorized-operations bit field.
    public static let authorizedOperationsOmitted = Int32.min

    public var throttleTimeMs: Int32
    public var errorCode: Int16
    public var errorMessage: String?
    /// v1+.
    public var endpointType: Int8
    public var clusterId: String
    public var controllerId: Int32
    public var brokers: [Broker]
    public var clusterAuthorizedOperations: Int32

    public init(throttleTimeMs: Int32 = 0, errorCode: Int16 = 0, errorMessage: String? = nil, endpointType: Int8 = 1, clusterId: String,
                controllerId: Int32, brokers: [Broker], clusterAuthorizedOperations: Int32 = Self.authorizedOperationsOmitted) {
        self.throttleTimeMs = throttleTimeMs
        self.errorCode = errorCode
        self.errorMessage = errorMessage
        self.endpointType = endpointType
        self.clusterId = clusterId
        self.controllerId = controllerId
        self.brokers = brokers
        self.clusterAuthorizedOperations = clusterAuthorizedOperations
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        throttleTimeMs = try buffer.readInt32("throttle_time_ms")
        errorCode = try buffer.readInt16("error_code")
        errorMessage = try buffer.readCompactNullableString("error_message")
        endpointType = version >= 1 ? try buffer.readInt8("endpoint_type") : 1
        clusterId = try buffer.readCompactString("cluster_id")
        controllerId = try buffer.readInt32("controller_id")
        let count = try buffer.readCompactArrayCount("brokers") ?? 0
        var brokers: [Broker] = []
        for _ in 0..<count {
            let broker = Broker(brokerId: try buffer.readInt32("broker_id"), host: try buffer.readCompactString("host"),
                                port: try buffer.readInt32("port"), rack: try buffer.readCompactNullableString("rack"))
            try buffer.skipTaggedFields()
            brokers.append(broker)
        }
        self.brokers = brokers
        clusterAuthorizedOperations = try buffer.readInt32("cluster_authorized_operations")
        try buffer.skipTaggedFields()
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(throttleTimeMs)
        buffer.writeInt16(errorCode)
        buffer.writeCompactNullableString(errorMessage)
        if version >= 1 { buffer.writeInt8(endpointType) }
        buffer.writeCompactString(clusterId)
        buffer.writeInt32(controllerId)
        buffer.writeCompactArray(brokers) { buffer, broker in
            buffer.writeInt32(broker.brokerId)
            buffer.writeCompactString(broker.host)
            buffer.writeInt32(broker.port)
            buffer.writeCompactNullableString(broker.rack)
            buffer.writeEmptyTaggedFields()
        }
        buffer.writeInt32(clusterAuthorizedOperations)
        buffer.writeEmptyTaggedFields()
    }
}
