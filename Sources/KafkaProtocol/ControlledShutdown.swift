import NIOCore

/// ControlledShutdown (key 7), v1–2, broker → controller: move leadership off this broker before it
/// stops; the answer lists the partitions it still leads. v0 has the same body but a request header
/// without a client id, which Samsa does not speak; v2 adds the broker epoch; v3 is flexible.
public struct ControlledShutdownRequest: KafkaMessage, Equatable {
    public static let apiKey = ApiKey.controlledShutdown
    /// The version Samsa's brokers send.
    public static let version: Int16 = 1
    /// The versions this codec reads and writes.
    public static let versions: ClosedRange<Int16> = 1...2

    public var brokerId: Int32
    /// v2+: the epoch of the shutting-down broker's registration.
    public var brokerEpoch: Int64

    public init(brokerId: Int32, brokerEpoch: Int64 = -1) {
        self.brokerId = brokerId
        self.brokerEpoch = brokerEpoch
    }

    public init(from buffer: inout ByteBuffer, version: Int16) throws {
        try InterBroker.checkVersion(version, in: Self.versions, of: Self.apiKey)
        brokerId = try buffer.readInt32("broker_id")
        brokerEpoch = version >= 2 ? try buffer.readInt64("broker_epoch") : -1
    }

    public func encode(into buffer: inout ByteBuffer, version: Int16) {
        buffer.writeInt32(brokerId)
        if version >= 2 { buffer.writeInt64(brokerEpoch) }
    }
}

/// The same layout in v1–2.
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
        try InterBroker.checkVersion(version, in: ControlledShutdownRequest.versions, of: Self.apiKey)
        errorCode = try buffer.readInt16("error_code")
        remainingPartitions = try buffer.readKafkaArray("remaining_partitions") { buffer in
            RemainingPartition(topicName: try buffer.readKafkaString("remaining_partitions.topic_name"),
                               partitionIndex: try buffer.readInt32("remaining_partitions.partition_index"))
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
