import NIOCore

/// What the controller-to-broker APIs of ZooKeeper-mode Kafka share: LeaderAndIsr (`LeaderAndIsr.swift`),
/// UpdateMetadata (`UpdateMetadata.swift`), StopReplica (`StopReplica.swift`) and ControlledShutdown
/// (`ControlledShutdown.swift`). Kafka 4.0 removed them with ZooKeeper; their layouts come from the
/// 2.x/3.x message schemas. Each request type names the version Samsa's own brokers send (`version`)
/// and the range its codec reads and writes (`versions`, every non-flexible version).
enum InterBroker {
    /// Rejects a version outside the codec's range before reading anything, so a version the broker
    /// did not advertise never reaches a layout it does not describe.
    static func checkVersion(_ version: Int16, in versions: ClosedRange<Int16>, of apiKey: ApiKey) throws {
        guard versions.contains(version) else { throw ProtocolError.unsupportedVersion(apiKey: apiKey.rawValue, version: version) }
    }

    /// The old versions (LeaderAndIsr v0–1, UpdateMetadata v0–4, StopReplica v0) list each partition
    /// with its topic name; the newer ones group partitions under their topic. Decoding the old form
    /// groups consecutive entries of one topic, so grouped topics encoded in the old form decode to
    /// the same groups (except a topic with no partitions, which the old form cannot express).
    static func groupConsecutive<Item>(_ entries: [(topic: String, item: Item)]) -> [(topic: String, items: [Item])] {
        var groups: [(topic: String, items: [Item])] = []
        for entry in entries {
            if let last = groups.indices.last, groups[last].topic == entry.topic {
                groups[last].items.append(entry.item)
            } else {
                groups.append((entry.topic, [entry.item]))
            }
        }
        return groups
    }
}

/// The answer to LeaderAndIsr (v0–3) and StopReplica (v0–1): a top-level error and one per partition.
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
            PartitionError(topicName: try buffer.readKafkaString("partition_errors.topic_name"),
                           partitionIndex: try buffer.readInt32("partition_errors.partition_index"),
                           errorCode: try buffer.readInt16("partition_errors.error_code"))
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
