import KafkaProtocol
import LogStore

/// A host and port, as in `PLAINTEXT://127.0.0.1:9092` or `127.0.0.1:2181`.
public struct HostPort: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`; the port must be 0–65535.
    public init?(_ text: Substring) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
              (0...65535).contains(port), colon > text.startIndex else { return nil }
        host = String(text[..<colon])
        self.port = port
    }

    public var description: String { "\(host):\(port)" }
}

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
    public var peerAddresses: [Int32: HostPort] { Self.parsePeers(values["samsa.peer.addresses"] ?? "") ?? [:] }
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
                let hint = Self.closest(to: entry.key, among: Array(definitions.keys)).map { " (did you mean '\($0)'?)" } ?? ""
                throw Error(message: "\(place): unknown property '\(entry.key)'\(hint)")
            }
            if let problem = Self.check(entry.value, against: definition.type) {
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

    /// Checks one property as a playbook or the lab would set it, without building a whole
    /// configuration: nil when valid, otherwise a message naming the problem (with a "did you
    /// mean" for a mistyped key).
    public static func validate(key: String, value: String) -> String? {
        guard let definition = brokerPropertyDefinitions.first(where: { $0.name == key }) else {
            if ignoredKafkaProperties.contains(key) { return nil }
            let hint = closest(to: key, among: brokerPropertyDefinitions.map(\.name)).map { " (did you mean '\($0)'?)" } ?? ""
            return "unknown broker property '\(key)'\(hint)"
        }
        return check(value, against: definition.type).map { "broker property \(key)=\(value) is invalid: expected \($0)" }
    }

    /// Returns what was expected when `value` does not fit `type`, nil when it fits.
    static func check(_ value: String, against type: PropertyType) -> String? {
        switch type {
        case .int(let range):
            guard let number = Int64(value), range.contains(number) else { return type.expectation }
        case .bool:
            guard value == "true" || value == "false" else { return type.expectation }
        case .string, .list:
            return nil
        case .choice(let choices):
            guard choices.contains(value) else { return type.expectation }
        case .listener:
            guard parseListener(value) != nil else { return type.expectation }
        case .peerAddresses:
            guard parsePeers(value) != nil else { return type.expectation }
        case .names(let known):
            let unknown = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !known.contains($0) }
            guard unknown.isEmpty else {
                return "\(type.expectation) (unknown: \(unknown.joined(separator: ", ")))"
            }
        }
        return nil
    }

    static func parseListener(_ value: String) -> HostPort? {
        let first = value.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard first.hasPrefix("PLAINTEXT://") else { return nil }
        return HostPort(first.dropFirst("PLAINTEXT://".count))
    }

    static func parsePeers(_ value: String) -> [Int32: HostPort]? {
        var peers: [Int32: HostPort] = [:]
        for item in value.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let id = Int32(parts[0].trimmingCharacters(in: .whitespaces)),
                  let address = HostPort(Substring(parts[1].trimmingCharacters(in: .whitespaces))) else { return nil }
            peers[id] = address
        }
        return peers
    }

    func int(_ key: String) -> Int64 { Int64(values[key]!)! }
    func optionalInt(_ key: String) -> Int64? { values[key].flatMap { Int64($0) } }
    func bool(_ key: String) -> Bool { values[key] == "true" }
    func listener(_ key: String) -> HostPort? { values[key].flatMap(Self.parseListener) }

    /// The known key nearest to a mistyped one, by edit distance, when it is close enough to help.
    public static func closest(to key: String, among keys: [String]) -> String? {
        let scored = keys.map { ($0, editDistance(key, $0)) }.min { $0.1 < $1.1 }
        guard let (best, distance) = scored, distance <= max(2, key.count / 4) else { return nil }
        return best
    }
}

/// Levenshtein distance, for "did you mean" hints.
public func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    for i in 1...a.count {
        var current = [i] + [Int](repeating: 0, count: b.count)
        for j in 1...b.count {
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
        }
        previous = current
    }
    return previous[b.count]
}
