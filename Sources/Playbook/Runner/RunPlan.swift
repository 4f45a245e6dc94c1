import Lab
import Verification

/// Everything a run needs, independent of how it was written (a YAML playbook, the shell's `run`):
/// the cluster, topics, workload, the timed fault schedule and the expectations.
public struct RunPlan: Sendable, Codable, Equatable {
    public struct Topic: Sendable, Codable, Equatable {
        public var name: String
        public var partitions: Int32
        public var replicationFactor: Int16
        public var config: [String: String]
        public init(name: String, partitions: Int32, replicationFactor: Int16, config: [String: String] = [:]) {
            self.name = name
            self.partitions = partitions
            self.replicationFactor = replicationFactor
            self.config = config
        }
    }

    /// A `workload.producers` entry: what each producer process runs (the lab's `ProducerSpec`,
    /// read and written with the same field names) and how many run it. Fields of the spec read as
    /// the producer's own (`producer.acks`).
    @dynamicMemberLookup
    public struct Producer: Sendable, Codable, Equatable {
        public var settings: ProducerSpec
        public var instances: Int = 1

        public init(topic: String) { settings = ProducerSpec(topic: topic) }

        public subscript<Value>(dynamicMember keyPath: WritableKeyPath<ProducerSpec, Value>) -> Value {
            get { settings[keyPath: keyPath] }
            set { settings[keyPath: keyPath] = newValue }
        }

        private enum CodingKeys: String, CodingKey { case instances }

        /// One flat object, `instances` beside the spec's keys, as `run.json` has always held it.
        public init(from decoder: any Decoder) throws {
            settings = try ProducerSpec(from: decoder)
            instances = try decoder.container(keyedBy: CodingKeys.self).decodeIfPresent(Int.self, forKey: .instances) ?? 1
        }

        public func encode(to encoder: any Encoder) throws {
            try settings.encode(to: encoder)
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(instances, forKey: .instances)
        }
    }

    public struct Consumer: Sendable, Codable, Equatable {
        public var topic: String
        public var instances: Int = 1
        public var group: String?
        public var assign: [Int32] = []
        public var commit: String = "sync"
        /// `isolation:`; nil (run.json files written before it) reads as read_uncommitted.
        public var isolation: IsolationLevel?
        /// `output:` and its transaction settings: a consume-transform-produce process.
        public var transform: TransformSpec?
        public init(topic: String, group: String?) {
            self.topic = topic
            self.group = group
        }
    }

    public struct Step: Sendable, Codable, Equatable {
        /// Offset from the start of the workload.
        public var atMs: Int64
        /// The step, parsed from the playbook's `do:` (`crash leader_of orders/0`).
        public var command: FaultCommand
        /// Heal this fault after so long (counted from when the step fired).
        public var healAfterMs: Int64?
        /// `when:`: a condition (`isr orders/0 == 1`) the step waits for, from `at`, before it fires.
        public var condition: Condition?
        /// `timeout:`: how long it waits (default `Step.defaultTimeoutMs`).
        public var timeoutMs: Int64?
        /// `on_timeout:`: `skip` (the default: the step does not fire) or `run` (it fires anyway).
        public var onTimeout: TimeoutAction?

        /// What a step whose condition did not hold in time does.
        public enum TimeoutAction: String, Sendable, Codable, Equatable {
            case skip, run
        }

        /// A condition's wait when the step gives no `timeout:`.
        public static let defaultTimeoutMs: Int64 = 10_000

        public init(atMs: Int64, command: FaultCommand, healAfterMs: Int64? = nil, condition: Condition? = nil, timeoutMs: Int64? = nil,
                    onTimeout: TimeoutAction? = nil) {
            self.atMs = atMs
            self.command = command
            self.healAfterMs = healAfterMs
            self.condition = condition
            self.timeoutMs = timeoutMs
            self.onTimeout = onTimeout
        }

        enum CodingKeys: String, CodingKey {
            case atMs, command, healAfterMs, condition, timeoutMs, onTimeout
        }

        /// Reads a step of `run.json`. Run directories written before steps were stored as values
        /// hold `command` and `condition` as grammar text; `samsa check` still reads them.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            atMs = try container.decode(Int64.self, forKey: .atMs)
            if let text = try? container.decode(String.self, forKey: .command) {
                command = try Self.legacy(text, forKey: .command, in: container, parse: FaultParser.parse)
            } else {
                command = try container.decode(FaultCommand.self, forKey: .command)
            }
            if let text = try? container.decode(String.self, forKey: .condition) {
                condition = try Self.legacy(text, forKey: .condition, in: container, parse: ConditionParser.parse)
            } else {
                condition = try container.decodeIfPresent(Condition.self, forKey: .condition)
            }
            healAfterMs = try container.decodeIfPresent(Int64.self, forKey: .healAfterMs)
            timeoutMs = try container.decodeIfPresent(Int64.self, forKey: .timeoutMs)
            onTimeout = try container.decodeIfPresent(TimeoutAction.self, forKey: .onTimeout)
        }

        private static func legacy<T>(_ text: String, forKey key: CodingKeys, in container: KeyedDecodingContainer<CodingKeys>,
                                      parse: (String) throws -> T) throws -> T {
            do { return try parse(text) } catch {
                throw DecodingError.dataCorruptedError(forKey: key, in: container, debugDescription: "'\(text)': \(error)")
            }
        }
    }

    public var name: String
    public var description: String = ""
    public var brokers: Int = 3
    public var brokerConfig: [String: String] = [:]
    /// Environment variables set for the broker processes only (a seeded-bug run sets
    /// `SAMSA_ALLOW_SEEDED_BUGS=1` here). Optional so that run.json files written before it decode.
    public var brokerEnvironment: [String: String]?
    public var topics: [Topic] = []
    public var producers: [Producer] = []
    public var consumers: [Consumer] = []
    public var durationMs: Int64 = 30_000
    /// After the workload and a final heal: how long the cluster may take to recover (full ISRs,
    /// leaders everywhere) before the final read.
    public var settleMs: Int64 = 20_000
    public var steps: [Step] = []
    public var expectations = Expectations()
    public var seed: UInt64 = 1
    /// Where it came from (the playbook file and the schedule file, when there is one).
    public var source: String = ""
    public var schedule: String?
    /// An existing cluster to run against (`cluster: bootstrap:`) instead of a lab Samsa launches;
    /// nil for the lab. `brokers` is then the number of brokers it lists.
    public var external: ExternalCluster?
    /// How the lab launches the brokers (`cluster: launcher:`); nil for Samsa's own broker.
    public var launcher: BrokerLauncher?

    public init(name: String) { self.name = name }
}

/// What a run must show. Nil means "not asked".
public struct Expectations: Sendable, Codable, Equatable {
    public var noLostWrites: Bool?
    public var noDuplicates: Bool?
    public var order: Bool?
    public var singleLeader: Bool?
    /// Unsafe configurations: the run must show acknowledged writes lost.
    public var lostWritesDetected: Bool?
    public var isrShrinksMin: Int?
    public var isrShrinksMax: Int?
    public var maxConsumerLag: Int64?
    public var lagRecoversWithinMs: Int64?
    public var minAcknowledged: Int?
    public var maxUnavailableMs: Int64?
    /// Producer error names (`NOT_ENOUGH_REPLICAS`) that must each appear at least once among the
    /// failed or indeterminate sends: proof that a safe configuration refused writes instead of
    /// losing them.
    public var errorsSeen: [String] = []
    /// Checkers (report names, `inconsistent_offsets`) whose findings this playbook expects, so
    /// they do not fail the run: an unsafe configuration that loses writes also shows the reads of
    /// them that later vanished. Every other checker must be valid for the run to pass.
    public var allowedAnomalies: [String]?
    /// How many schedule steps may end without running (refused, skipped after their condition
    /// timed out, not reached before the workload ended) before the run's verdict becomes unknown
    /// (`steps_run`). Nil: none may.
    public var maxStepsNotRun: Int?
    public init() {}
}
