import KafkaProtocol
import LogStore
import SamsaConfig

/// The settings of one topic: the broker's defaults with the topic's own overrides applied, using
/// Kafka's topic-level names (`retention.ms`, `min.insync.replicas`, ...).
public struct TopicConfig: Sendable, Equatable {
    /// Explicit per-topic values, by topic-level name, as given to CreateTopics.
    public var overrides: [String: String]
    public var log: LogConfig
    public var minInsyncReplicas: Int
    public var uncleanLeaderElection: Bool
    public var maxMessageBytes: Int32
    public var logAppendTime: Bool
    /// `compression.type`: the codec the leader stores batches in; nil keeps each producer's.
    public var compression: CompressionCodec?

    public init(overrides: [String: String], broker: BrokerConfig) {
        self.overrides = overrides
        var log = broker.defaultLogConfig
        func int(_ key: String) -> Int64? { overrides[key].flatMap { Int64($0) } }
        if let value = int("segment.bytes") { log.segmentBytes = Int(value) }
        if let value = int("segment.ms") { log.segmentMs = value }
        if let value = int("retention.ms") { log.retentionMs = value }
        if let value = int("retention.bytes") { log.retentionBytes = value }
        if let value = int("index.interval.bytes") { log.indexIntervalBytes = Int(value) }
        if let value = int("flush.messages") { log.flushIntervalMessages = value }
        if let value = int("flush.ms") { log.flushIntervalMs = value }
        self.log = log
        minInsyncReplicas = int("min.insync.replicas").map(Int.init) ?? broker.minInsyncReplicas
        uncleanLeaderElection = overrides["unclean.leader.election.enable"].map { $0 == "true" } ?? broker.uncleanLeaderElection
        maxMessageBytes = int("max.message.bytes").map { Int32(clamping: $0) } ?? broker.messageMaxBytes
        logAppendTime = overrides["message.timestamp.type"].map { $0 == "LogAppendTime" } ?? broker.logAppendTime
        compression = overrides["compression.type"].map(BrokerConfig.codec(named:)) ?? broker.compression
    }
}
