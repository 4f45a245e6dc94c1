import Foundation
import KafkaProtocol

/// What every broker's copy of every partition held when it was read: `replicas.json` in a run
/// directory. The lab writes it from the brokers' data directories; the replica-agreement
/// checker compares the copies. Batches are listed by their headers (offsets, leader epoch,
/// producer id/epoch/sequence, CRC), never their records: the CRC-32C covers the records, and a
/// CRC that does not match its bytes is listed apart in `corrupt`.
///
/// ```
/// {"schema": 1, "source": "stopped" | "live", "created_ns": …, "topics": ["orders"],
///  "brokers": [1, 2, 3],                       // data directories read
///  "problems": ["…"],                          // e.g. a data directory that could not be listed
///  "partitions": [{"topic": "orders", "partition": 0, "replicas": [
///    {"broker": 1, "log_start": 0, "log_end": 7200, "high_watermark": 7200, "recovery_point": 7200,
///     "clean_shutdown": true, "leader_epochs": [[0, 0], [2, 3104]],   // [epoch, start offset]
///     "segments": [0], "batches": [[base, last, epoch, producer_id, producer_epoch, base_sequence, crc], …],
///     "corrupt": [<base offset>, …], "problems": ["torn tail: …"]}]}]}
/// ```
public struct ReplicaDigest: Sendable, Hashable, Codable {
    public static let fileName = "replicas.json"
    public static let schemaVersion = 1

    /// How the files were read: `stopped` after the cluster shut down (nothing moved meanwhile),
    /// `live` from running brokers (the checkpoints first, then the segments).
    public enum Source: String, Sendable, Hashable, Codable {
        case stopped, live
    }

    public var schema: Int
    public var source: Source
    public var createdNs: Int64
    /// The topics the digest covers (the run's topics).
    public var topics: [String]
    /// Brokers whose data directory was listed; a broker missing here is unknown, not empty.
    public var brokers: [Int32]
    public var partitions: [PartitionReplicas]
    public var problems: [String]

    public init(source: Source, createdNs: Int64, topics: [String], brokers: [Int32], partitions: [PartitionReplicas],
                problems: [String] = []) {
        schema = Self.schemaVersion
        self.source = source
        self.createdNs = createdNs
        self.topics = topics
        self.brokers = brokers
        self.partitions = partitions
        self.problems = problems
    }

    enum CodingKeys: String, CodingKey {
        case schema, source, topics, brokers, partitions, problems
        case createdNs = "created_ns"
    }
}

/// Every replica of one partition found on disk.
public struct PartitionReplicas: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    public var replicas: [ReplicaLog]

    public init(topic: String, partition: Int32, replicas: [ReplicaLog]) {
        self.topic = topic
        self.partition = partition
        self.replicas = replicas
    }

    public var topicPartition: TopicPartition { TopicPartition(topic, partition) }
}

/// One broker's copy of a partition.
public struct ReplicaLog: Sendable, Hashable, Codable {
    public var broker: Int32
    /// From `log-start-offset-checkpoint`, else the first segment's base offset.
    public var logStart: Int64?
    /// The offset after the last complete batch read.
    public var logEnd: Int64
    /// `replication-offset-checkpoint`; nil when the broker never wrote one.
    public var highWatermark: Int64?
    public var recoveryPoint: Int64?
    public var cleanShutdown: Bool?
    /// `leader-epoch-checkpoint`; nil when missing or unreadable.
    public var leaderEpochs: [EpochStart]?
    public var segments: [Int64]
    public var batches: [BatchDigest]
    /// Base offsets of batches whose CRC-32C does not match their bytes.
    public var corrupt: [Int64]
    /// Damage that stopped the reading (torn tail, gap, unreadable file): what follows is unknown.
    public var problems: [String]

    public init(broker: Int32, logStart: Int64?, logEnd: Int64, highWatermark: Int64?, recoveryPoint: Int64? = nil,
                cleanShutdown: Bool? = nil, leaderEpochs: [EpochStart]?, segments: [Int64] = [], batches: [BatchDigest],
                corrupt: [Int64] = [], problems: [String] = []) {
        self.broker = broker
        self.logStart = logStart
        self.logEnd = logEnd
        self.highWatermark = highWatermark
        self.recoveryPoint = recoveryPoint
        self.cleanShutdown = cleanShutdown
        self.leaderEpochs = leaderEpochs
        self.segments = segments
        self.batches = batches
        self.corrupt = corrupt
        self.problems = problems
    }

    enum CodingKeys: String, CodingKey {
        case broker, segments, batches, corrupt, problems
        case logStart = "log_start"
        case logEnd = "log_end"
        case highWatermark = "high_watermark"
        case recoveryPoint = "recovery_point"
        case cleanShutdown = "clean_shutdown"
        case leaderEpochs = "leader_epochs"
    }
}

/// A `leader-epoch-checkpoint` entry: `epoch` starts at `startOffset`. Coded `[epoch, start]`.
public struct EpochStart: Sendable, Hashable, Codable, CustomStringConvertible {
    public var epoch: Int32
    public var startOffset: Int64

    public init(epoch: Int32, startOffset: Int64) {
        self.epoch = epoch
        self.startOffset = startOffset
    }

    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        epoch = try container.decode(Int32.self)
        startOffset = try container.decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(epoch)
        try container.encode(startOffset)
    }

    public var description: String { "epoch \(epoch) from \(startOffset)" }
}

/// A batch's identity: everything two replicas' copies must share. Coded as a 7-number array
/// `[base, last, epoch, producer_id, producer_epoch, base_sequence, crc]`, since a run holds
/// hundreds of thousands of them.
public struct BatchDigest: Sendable, Hashable, Codable, CustomStringConvertible {
    public var baseOffset: Int64
    public var lastOffset: Int64
    public var leaderEpoch: Int32
    public var producerId: Int64
    public var producerEpoch: Int16
    public var baseSequence: Int32
    public var crc: UInt32

    public init(baseOffset: Int64, lastOffset: Int64, leaderEpoch: Int32, producerId: Int64 = -1, producerEpoch: Int16 = -1,
                baseSequence: Int32 = -1, crc: UInt32) {
        self.baseOffset = baseOffset
        self.lastOffset = lastOffset
        self.leaderEpoch = leaderEpoch
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
        self.crc = crc
    }

    public init(from decoder: any Decoder) throws {
        var container = try decoder.unkeyedContainer()
        baseOffset = try container.decode(Int64.self)
        lastOffset = try container.decode(Int64.self)
        leaderEpoch = try container.decode(Int32.self)
        producerId = try container.decode(Int64.self)
        producerEpoch = try container.decode(Int16.self)
        baseSequence = try container.decode(Int32.self)
        crc = try container.decode(UInt32.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.unkeyedContainer()
        try container.encode(baseOffset)
        try container.encode(lastOffset)
        try container.encode(leaderEpoch)
        try container.encode(producerId)
        try container.encode(producerEpoch)
        try container.encode(baseSequence)
        try container.encode(crc)
    }

    public var nextOffset: Int64 { lastOffset &+ 1 }

    /// "offsets 10-14, epoch 3, producer 1000/0 seq 5, crc 0x1a2b3c4d".
    public var description: String {
        let offsets = baseOffset == lastOffset ? "offset \(baseOffset)" : "offsets \(baseOffset)-\(lastOffset)"
        let producer = producerId >= 0 ? ", producer \(producerId)/\(producerEpoch) seq \(baseSequence)" : ""
        return "\(offsets), epoch \(leaderEpoch)\(producer), crc 0x" + String(crc, radix: 16)
    }
}

/// `replicas.json` as found in a run directory.
public enum ReplicaDigestInput: Sendable {
    /// The run has no digest (an older run, or one stopped before the cluster was).
    case absent
    case unreadable(String)
    case digest(ReplicaDigest)

    /// Reads `path`; never throws.
    public static func load(path: String) -> ReplicaDigestInput {
        guard let data = FileManager.default.contents(atPath: path) else {
            return FileManager.default.fileExists(atPath: path) ? .unreadable("\(path) cannot be read") : .absent
        }
        do {
            let digest = try JSONDecoder().decode(ReplicaDigest.self, from: data)
            guard digest.schema == ReplicaDigest.schemaVersion else {
                return .unreadable("\((path as NSString).lastPathComponent) has schema \(digest.schema), this checker reads \(ReplicaDigest.schemaVersion)")
            }
            return .digest(digest)
        } catch {
            return .unreadable("\((path as NSString).lastPathComponent) is not a replica digest: \(error)")
        }
    }
}
