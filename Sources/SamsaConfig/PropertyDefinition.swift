import Replication

/// The type and range of one configuration property, checked when the broker starts so that a typo
/// or an impossible value stops it with the key and line instead of misbehaving later.
public enum PropertyType: Sendable, Equatable {
    case int(ClosedRange<Int64>)
    case bool
    case string
    case list
    case choice([String])
    /// `PLAINTEXT://host:port`, the only listener Samsa serves.
    case listener
    /// `id=host:port,id=host:port`: where this broker reaches each peer (the lab points these at proxies).
    case peerAddresses
    /// A comma-separated list of names from a fixed set (possibly empty).
    case names([String])

    /// What a valid value looks like, as error messages say it.
    public var expectation: String {
        switch self {
        case .int(let range): return "an integer in [\(range.lowerBound), \(range.upperBound)]"
        case .bool: return "true or false"
        case .string: return "a string"
        case .list: return "a comma-separated list"
        case .choice(let values): return "one of \(values.joined(separator: ", "))"
        case .listener: return "PLAINTEXT://host:port"
        case .peerAddresses: return "id=host:port[,id=host:port...]"
        case .names(let known): return "a comma-separated list of: \(known.joined(separator: ", "))"
        }
    }
}

public struct PropertyDefinition: Sendable {
    public var name: String
    public var type: PropertyType
    /// Nil means the property has no default (optional, or required where the code says so).
    public var defaultValue: String?
    public var doc: String
    /// The per-topic name of this property when a topic may override it (`retention.ms` for
    /// `log.retention.ms`), as Kafka's DescribeConfigs reports synonyms.
    public var topicName: String?

    public init(_ name: String, _ type: PropertyType, _ defaultValue: String?, topic topicName: String? = nil, _ doc: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.doc = doc
        self.topicName = topicName
    }
}

let int32Range: ClosedRange<Int64> = Int64(Int32.min)...Int64(Int32.max)
let positiveInt32: ClosedRange<Int64> = 1...Int64(Int32.max)
let nonNegativeInt64: ClosedRange<Int64> = 0...Int64.max
let anyInt64: ClosedRange<Int64> = Int64.min...Int64.max

/// Every property the broker understands. Kafka's names and defaults, except where the lab needs a
/// Samsa-specific knob (prefixed `samsa.`).
public let brokerPropertyDefinitions: [PropertyDefinition] = [
    .init("broker.id", .int(0...Int64(Int32.max)), "0", "This broker's id, unique in the cluster."),
    .init("listeners", .listener, "PLAINTEXT://127.0.0.1:9092", "The address the broker listens on."),
    .init("advertised.listeners", .listener, nil, "The address given to clients in Metadata; defaults to listeners."),
    .init("log.dirs", .list, nil, "Directory holding the partition logs (one directory)."),
    .init("log.dir", .string, "/tmp/samsa-logs", "Used when log.dirs is not set."),
    .init("num.partitions", .int(positiveInt32), "1", "Partitions of an auto-created topic."),
    .init("num.io.threads", .int(1...256), "8",
          "Threads that do the broker's file I/O (appends, reads, flushes, fsyncs). Left unset: Kafka's 8, or the machine's processor count when it has fewer. One pool serves every broker in a process, sized by the first to start."),
    .init("default.replication.factor", .int(1...Int64(Int16.max)), "1", "Replication factor of an auto-created topic."),
    .init("auto.create.topics.enable", .bool, "true", "Create a topic when Metadata or Produce names an unknown one."),
    .init("delete.topic.enable", .bool, "true", "Whether DeleteTopics is allowed."),
    .init("message.max.bytes", .int(0...Int64(Int32.max)), "1048588", topic: "max.message.bytes", "Largest record batch accepted."),
    .init("socket.request.max.bytes", .int(positiveInt32), "104857600", "Largest request frame; larger frames close the connection."),
    .init("log.segment.bytes", .int(14...Int64(Int32.max)), "1073741824", topic: "segment.bytes", "Segment file size before a roll."),
    .init("log.roll.ms", .int(1...Int64.max), nil, topic: "segment.ms", "Roll a segment after this age."),
    .init("log.roll.hours", .int(1...Int64(Int32.max)), "168", "Roll a segment after this age, when log.roll.ms is not set."),
    .init("log.retention.ms", .int(-1...Int64.max), nil, topic: "retention.ms", "Delete segments older than this; -1 keeps them."),
    .init("log.retention.minutes", .int(-1...Int64(Int32.max)), nil, "Retention in minutes, when log.retention.ms is not set."),
    .init("log.retention.hours", .int(-1...Int64(Int32.max)), "168", "Retention in hours, when neither of the above is set."),
    .init("log.retention.bytes", .int(-1...Int64.max), "-1", topic: "retention.bytes", "Delete old segments past this size per partition; -1 unlimited."),
    .init("log.retention.check.interval.ms", .int(1...Int64.max), "300000", "How often retention runs."),
    .init("log.flush.interval.messages", .int(1...Int64.max), "9223372036854775807", topic: "flush.messages", "fsync after this many messages."),
    .init("log.flush.interval.ms", .int(0...Int64.max), nil, topic: "flush.ms", "fsync after this long."),
    .init("log.flush.scheduler.interval.ms", .int(1...Int64.max), "1000", "How often the flush policy is evaluated."),
    .init("log.index.interval.bytes", .int(0...Int64(Int32.max)), "4096", topic: "index.interval.bytes", "Bytes between offset index entries."),
    .init("log.message.timestamp.type", .choice(["CreateTime", "LogAppendTime"]), "CreateTime", topic: "message.timestamp.type", "Which timestamp a batch carries."),
    .init("compression.type", .choice(["producer", "uncompressed", "gzip", "snappy", "lz4", "zstd"]), "producer", topic: "compression.type", "Codec the leader stores batches in; producer keeps each batch as sent."),
    .init("log.cleanup.policy", .list, "delete", topic: "cleanup.policy", "Only delete is implemented; compact is rejected."),
    .init("zookeeper.connect", .string, nil, "host:port of ZooKeeper; without it the broker runs standalone."),
    .init("zookeeper.session.timeout.ms", .int(1...Int64(Int32.max)), "18000", "ZooKeeper session timeout."),
    .init("zookeeper.connection.timeout.ms", .int(1...Int64(Int32.max)), nil, "How long to wait for the first ZooKeeper connection; defaults to the session timeout."),
    .init("min.insync.replicas", .int(positiveInt32), "1", topic: "min.insync.replicas", "acks=all needs this many in-sync replicas."),
    .init("unclean.leader.election.enable", .bool, "false", topic: "unclean.leader.election.enable", "Elect an out-of-sync replica when no in-sync one is alive."),
    .init("replica.lag.time.max.ms", .int(1...Int64.max), "30000", "A follower not caught up for this long leaves the ISR."),
    .init("replica.fetch.wait.max.ms", .int(0...Int64(Int32.max)), "500", "Follower fetch long-poll time."),
    .init("replica.fetch.min.bytes", .int(1...Int64(Int32.max)), "1", "Follower fetch min bytes."),
    .init("replica.fetch.max.bytes", .int(1...Int64(Int32.max)), "1048576", "Per-partition bytes per follower fetch."),
    .init("replica.fetch.response.max.bytes", .int(1...Int64(Int32.max)), "10485760", "Total bytes per follower fetch."),
    .init("replica.fetch.backoff.ms", .int(0...Int64(Int32.max)), "1000", "Pause after a failed follower fetch."),
    .init("max.incremental.fetch.session.cache.slots", .int(0...Int64(Int32.max)), "1000", "Fetch sessions (KIP-227) kept per broker; 0 turns sessions off."),
    .init("replica.socket.timeout.ms", .int(1...Int64(Int32.max)), "30000", "Timeout of inter-broker requests."),
    .init("replica.high.watermark.checkpoint.interval.ms", .int(1...Int64.max), "5000", "How often HWs are checkpointed."),
    .init("controller.socket.timeout.ms", .int(1...Int64(Int32.max)), "30000", "Timeout of controller requests to brokers."),
    .init("auto.leader.rebalance.enable", .bool, "true", "Move leadership back to preferred replicas."),
    .init("leader.imbalance.check.interval.seconds", .int(1...Int64(Int32.max)), "300", "How often leader balance is checked."),
    .init("leader.imbalance.per.broker.percentage", .int(0...100), "10", "Imbalance tolerated before rebalancing."),
    .init("controlled.shutdown.enable", .bool, "true", "Move leadership away on SIGTERM before exiting."),
    .init("controlled.shutdown.max.retries", .int(0...Int64(Int32.max)), "3", "Attempts at a controlled shutdown."),
    .init("controlled.shutdown.retry.backoff.ms", .int(0...Int64(Int32.max)), "5000", "Pause between those attempts."),
    .init("offsets.topic.num.partitions", .int(positiveInt32), "50", "Partitions of __consumer_offsets."),
    .init("offsets.topic.replication.factor", .int(1...Int64(Int16.max)), "3", "Replication factor of __consumer_offsets."),
    .init("transaction.state.log.num.partitions", .int(positiveInt32), "50", "Partitions of __transaction_state."),
    .init("transaction.state.log.replication.factor", .int(1...Int64(Int16.max)), "3",
          "Replication factor of __transaction_state (at most the live brokers when it is created)."),
    .init("transaction.state.log.min.isr", .int(positiveInt32), "2",
          "min.insync.replicas of __transaction_state (at most its replication factor)."),
    .init("offsets.retention.minutes", .int(1...Int64(Int32.max)), "10080", "How long committed offsets of an empty group are kept."),
    .init("offsets.commit.timeout.ms", .int(1...Int64(Int32.max)), "5000", "How long an offset commit waits for replication."),
    .init("group.initial.rebalance.delay.ms", .int(0...Int64(Int32.max)), "3000", "Wait for more members before the first rebalance of an empty group."),
    .init("group.min.session.timeout.ms", .int(0...Int64(Int32.max)), "6000", "Smallest session timeout a member may ask for."),
    .init("group.max.session.timeout.ms", .int(0...Int64(Int32.max)), "1800000", "Largest session timeout a member may ask for."),
    // A partition costs a directory, files, memory and work at every start; past these the control
    // plane refuses CreateTopics (and auto-creation) instead of accepting what it cannot keep.
    .init("samsa.max.partitions.per.topic", .int(positiveInt32), "4096",
          "Most partitions one topic may have; CreateTopics asking for more answers INVALID_PARTITIONS."),
    .init("samsa.max.partitions.per.broker", .int(positiveInt32), "10000",
          "Most partition replicas one broker may host, all topics counted; a topic that would exceed it on any broker gets POLICY_VIOLATION."),
    // Both switch an idle-cost saving of issue 18 off, to measure it against the behaviour before
    // with the same binary (`samsa bench scale --broker-config`); replication is correct either way.
    .init("samsa.replica.fetch.rescan.interval.ms", .int(0...Int64(Int32.max)), "5000",
          "How often a follower's fetcher looks at every partition it follows, not only those it appended to, truncated, added or delayed (0: every fetch, as before)."),
    .init("samsa.fetch.session.keep.waiters", .bool, "true",
          "Whether a follower's fetch session keeps its partition waiters between long polls (false: one waiter per partition per poll, as before)."),
    .init("samsa.metrics.port", .int(0...65535), nil, "Port of the Prometheus text endpoint on the listener's host; unset disables it."),
    .init("samsa.event.log", .string, nil, "Path of the JSONL event log; defaults to <log dir>/events.jsonl."),
    .init("samsa.peer.addresses", .peerAddresses, "", "How this broker reaches each peer, overriding their registered addresses."),
    .init(seededBugsProperty, .names(SeededBug.allCases.map(\.rawValue)), "",
          "TEST ONLY: deliberate replication bugs to switch on (see SeededBug); refused unless \(seededBugsEnvironmentVariable)=1 is set."),
]

/// Kafka properties Samsa accepts so that a stock server.properties starts, but which tune parts of
/// Kafka Samsa does not have (thread pools, socket buffers). Each one is logged as ignored at start.
public let ignoredKafkaProperties: Set<String> = [
    "num.network.threads", "socket.send.buffer.bytes", "socket.receive.buffer.bytes",
    "num.recovery.threads.per.data.dir", "group.coordinator.rebalance.protocols", "num.replica.fetchers",
    "log.cleaner.enable", "queued.max.requests", "background.threads",
]
