import Foundation
import KafkaProtocol
import LogStore
import SamsaConfig

/// A validated broker configuration. Built from a properties file plus overrides; every value has
/// been type- and range-checked, and any problem names the key and the line it came from.
public struct BrokerConfig: Sendable {
    public struct Error: Swift.Error, CustomStringConvertible, Equatable {
        public var message: String
        public var description: String { message }
    }

    /// The effective value of every known property (defaults included), as DescribeConfigs reports it.
    public let values: [String: String]
    /// Which properties were set explicitly, and where.
    public let explicitKeys: Set<String>
    public let ignoredKeys: [String]

    public var brokerId: Int32 { Int32(int("broker.id")) }
    public var listener: HostPort { listener("listeners")! }
    public var advertisedListener: HostPort { listener("advertised.listeners") ?? listener }
    public var logDir: String {
        if let dirs = values["log.dirs"], !dirs.isEmpty { return dirs.split(separator: ",").first.map(String.init)! }
        return values["log.dir"]!
    }
    public var numPartitions: Int32 { Int32(int("num.partitions")) }
    /// The storage threads (`StorageIO`): `num.io.threads` when set; otherwise Kafka's default of 8,
    /// bounded by the machine's processor count, since threads beyond the cores that can issue
    /// their I/O only add stacks on a small machine.
    public var ioThreads: Int {
        let configured = Int(int("num.io.threads"))
        return explicitKeys.contains("num.io.threads") ? configured : min(configured, max(1, ProcessInfo.processInfo.activeProcessorCount))
    }
    public var defaultReplicationFactor: Int16 { Int16(int("default.replication.factor")) }
    public var autoCreateTopics: Bool { bool("auto.create.topics.enable") }
    public var deleteTopicEnable: Bool { bool("delete.topic.enable") }
    public var messageMaxBytes: Int32 { Int32(int("message.max.bytes")) }
    public var socketRequestMaxBytes: Int { Int(int("socket.request.max.bytes")) }
    public var zookeeperConnect: String? { values["zookeeper.connect"].flatMap { $0.isEmpty ? nil : $0 } }
    public var zookeeperSessionTimeoutMs: Int { Int(int("zookeeper.session.timeout.ms")) }
    public var zookeeperConnectionTimeoutMs: Int { optionalInt("zookeeper.connection.timeout.ms").map(Int.init) ?? zookeeperSessionTimeoutMs }
    public var minInsyncReplicas: Int { Int(int("min.insync.replicas")) }
    public var uncleanLeaderElection: Bool { bool("unclean.leader.election.enable") }
    public var replicaLagTimeMaxMs: Int64 { int("replica.lag.time.max.ms") }
    public var replicaFetchWaitMaxMs: Int32 { Int32(int("replica.fetch.wait.max.ms")) }
    public var replicaFetchMinBytes: Int32 { Int32(int("replica.fetch.min.bytes")) }
    public var replicaFetchMaxBytes: Int32 { Int32(int("replica.fetch.max.bytes")) }
    public var replicaFetchResponseMaxBytes: Int32 { Int32(int("replica.fetch.response.max.bytes")) }
    public var replicaFetchBackoffMs: Int64 { int("replica.fetch.backoff.ms") }
    public var maxIncrementalFetchSessionCacheSlots: Int { Int(int("max.incremental.fetch.session.cache.slots")) }
    public var replicaFetchRescanIntervalMs: Int64 { int("samsa.replica.fetch.rescan.interval.ms") }
    public var fetchSessionKeepsWaiters: Bool { bool("samsa.fetch.session.keep.waiters") }
    public var replicaSocketTimeoutMs: Int64 { int("replica.socket.timeout.ms") }
    public var highWatermarkCheckpointIntervalMs: Int64 { int("replica.high.watermark.checkpoint.interval.ms") }
    public var controllerSocketTimeoutMs: Int64 { int("controller.socket.timeout.ms") }
    public var autoLeaderRebalance: Bool { bool("auto.leader.rebalance.enable") }
    public var leaderImbalanceCheckIntervalMs: Int64 { int("leader.imbalance.check.interval.seconds") * 1000 }
    public var leaderImbalancePerBrokerPercentage: Int { Int(int("leader.imbalance.per.broker.percentage")) }
    public var controlledShutdownEnable: Bool { bool("controlled.shutdown.enable") }
    public var controlledShutdownMaxRetries: Int { Int(int("controlled.shutdown.max.retries")) }
    public var controlledShutdownRetryBackoffMs: Int64 { int("controlled.shutdown.retry.backoff.ms") }
    public var offsetsTopicNumPartitions: Int32 { Int32(int("offsets.topic.num.partitions")) }
    public var offsetsTopicReplicationFactor: Int16 { Int16(int("offsets.topic.replication.factor")) }
    public var transactionStateLogNumPartitions: Int32 { Int32(int("transaction.state.log.num.partitions")) }
    public var transactionStateLogReplicationFactor: Int16 { Int16(int("transaction.state.log.replication.factor")) }
    public var transactionStateLogMinIsr: Int { Int(int("transaction.state.log.min.isr")) }
    public var offsetsRetentionMs: Int64 { int("offsets.retention.minutes") * 60_000 }
    public var offsetsCommitTimeoutMs: Int64 { int("offsets.commit.timeout.ms") }
    public var groupInitialRebalanceDelayMs: Int64 { int("group.initial.rebalance.delay.ms") }
    public var groupMinSessionTimeoutMs: Int32 { Int32(int("group.min.session.timeout.ms")) }
    public var groupMaxSessionTimeoutMs: Int32 { Int32(int("group.max.session.timeout.ms")) }
    public var retentionCheckIntervalMs: Int64 { int("log.retention.check.interval.ms") }
    public var flushSchedulerIntervalMs: Int64 { int("log.flush.scheduler.interval.ms") }
    public var partitionLimits: PartitionLimits {
        PartitionLimits(maxPartitionsPerTopic: Int(int("samsa.max.partitions.per.topic")),
                        maxPartitionsPerBroker: Int(int("samsa.max.partitions.per.broker")))
    }
    public var metricsPort: Int? { optionalInt("samsa.metrics.port").map(Int.init) }
    public var eventLogPath: String { values["samsa.event.log"].flatMap { $0.isEmpty ? nil : $0 } ?? logDir + "/events.jsonl" }
    public var peerAddresses: [Int32: HostPort] { BrokerProperties.parsePeers(values["samsa.peer.addresses"] ?? "") ?? [:] }
    public var logAppendTime: Bool { values["log.message.timestamp.type"] == "LogAppendTime" }
    /// The codec a leader re-encodes produced batches in; nil keeps the producer's (`producer`).
    public var compression: CompressionCodec? { Self.codec(named: values["compression.type"] ?? "producer") }

    /// Kafka's `compression.type` names; nil for `producer` (or anything else).
    static func codec(named name: String) -> CompressionCodec? {
        switch name {
        case "uncompressed": return CompressionCodec.none
        case "gzip": return .gzip
        case "snappy": return .snappy
        case "lz4": return .lz4
        case "zstd": return .zstd
        default: return nil
        }
    }

    /// Retention in ms with Kafka's precedence: ms, then minutes, then hours; -1 means unlimited.
    public var retentionMs: Int64 {
        if let ms = optionalInt("log.retention.ms") { return ms }
        if let minutes = optionalInt("log.retention.minutes") { return minutes < 0 ? -1 : minutes * 60_000 }
        let hours = int("log.retention.hours")
        return hours < 0 ? -1 : hours * 3_600_000
    }

    public var segmentMs: Int64 { optionalInt("log.roll.ms") ?? int("log.roll.hours") * 3_600_000 }

    /// Storage settings for a partition with no topic-level overrides.
    public var defaultLogConfig: LogConfig {
        var config = LogConfig()
        config.segmentBytes = Int(int("log.segment.bytes"))
        config.segmentMs = segmentMs
        config.retentionMs = retentionMs
        config.retentionBytes = int("log.retention.bytes")
        config.indexIntervalBytes = Int(int("log.index.interval.bytes"))
        config.flushIntervalMessages = int("log.flush.interval.messages")
        config.flushIntervalMs = optionalInt("log.flush.interval.ms")
        return config
    }

    // MARK: Building

    public init(file: PropertiesFile, overrides: [PropertiesFile.Entry] = []) throws {
        let definitions = Dictionary(uniqueKeysWithValues: brokerPropertyDefinitions.map { ($0.name, $0) })
        var values: [String: String] = [:]
        var explicit: Set<String> = []
        var ignored: [String] = []
        for entry in file.entries + overrides {
            let place = entry.line > 0 ? "\(entry.source):\(entry.line)" : entry.source
            guard let definition = definitions[entry.key] else {
                if ignoredKafkaProperties.contains(entry.key) { ignored.append(entry.key); continue }
                let hint = NearestName.closest(to: entry.key, among: Array(definitions.keys)).map { " (did you mean '\($0)'?)" } ?? ""
                throw Error(message: "\(place): unknown property '\(entry.key)'\(hint)")
            }
            if let problem = BrokerProperties.check(entry.value, against: definition.type) {
                throw Error(message: "\(place): property '\(entry.key)' = '\(entry.value)' is invalid: expected \(problem)")
            }
            values[entry.key] = entry.value
            explicit.insert(entry.key)
        }
        for definition in brokerPropertyDefinitions where values[definition.name] == nil {
            if let value = definition.defaultValue { values[definition.name] = value }
        }
        self.values = values
        self.explicitKeys = explicit
        self.ignoredKeys = ignored
    }

    public static func load(path: String, overrides: [String]) throws -> BrokerConfig {
        let file = try PropertiesFile.load(path: path)
        return try BrokerConfig(file: file, overrides: try overrides.map(PropertiesFile.override))
    }

    func int(_ key: String) -> Int64 { Int64(values[key]!)! }
    func optionalInt(_ key: String) -> Int64? { values[key].flatMap { Int64($0) } }
    func bool(_ key: String) -> Bool { values[key] == "true" }
    func listener(_ key: String) -> HostPort? { values[key].flatMap(BrokerProperties.parseListener) }
}
