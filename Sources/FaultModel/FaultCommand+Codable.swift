/// The JSON form of a fault, as the control socket and `run.json` carry it: the command already
/// parsed where it was typed, never its text. One object per command, tagged by `fault`:
///
///     {"fault": "crash", "target": {"kind": "leader_of", "topic": "orders", "partition": 0}}
///     {"fault": "partition", "groups": [[{"kind": "broker", "broker": 1}], [{"kind": "zk"}]]}
///     {"fault": "partition_one_way", "from": [...], "to": [...]}
///     {"fault": "slow", "target": {...}, "latency_ms": 300, "jitter_ms": 50, "bandwidth_bytes_per_second": 100000}
///     {"fault": "lossy", "target": {...}, "reset_probability": 0.2}
///     {"fault": "slow", "from": [...], "to": [...], "latency_ms": 200}     (slow FROM -> TO; lossy alike)
///     {"fault": "limit_data", "target": {...}, "bytes": 4096}
///     {"fault": "slice", "target": {...}, "average_size": 64, "size_variation": 16, "delay_ms": 10}
///     {"fault": "timeout", "from": [...], "to": [...], "after_ms": 5000}     (a toxic takes target or from/to)
///     {"fault": "heal", "fault_id": 3}          {"fault": "heal"}          {"fault": "heal_network"}
///     {"fault": "await", "condition": {"condition": "isr", ...}, "timeout_ms": 10000}
///     {"fault": "elect_leaders", "topic": "orders", "partition": 0, "election": "unclean"}
///     {"fault": "reassign", "topic": "orders", "partition": 0, "replicas": [2, 3, 1]}     {..., "cancel": true}
///
/// Decoding checks what the parser checks (broker ids from 1, two or more partition groups, `zk`
/// and `clients` only in groups, a slow link that is slow…), so a hand-written request cannot
/// reach the fault engine with a command the grammar would have refused.
extension FaultCommand: Codable {
    /// The `fault` tag of each case.
    public enum Tag: String, Codable, Sendable, CaseIterable {
        case crash, stop, restart, pause, resume, partition, isolate, slow, lossy, heal
        case awaitCondition = "await"
        case partitionOneWay = "partition_one_way"
        case isolateZookeeper = "isolate_zk"
        case healNetwork = "heal_network"
        case powerLoss = "power_loss"
        case limitData = "limit_data"
        case slice, timeout
        case electLeaders = "elect_leaders"
        case reassign
    }

    enum CodingKeys: String, CodingKey {
        case fault, target, groups, from, to, condition
        case topic, partition, election, replicas, cancel
        case latencyMs = "latency_ms"
        case jitterMs = "jitter_ms"
        case bandwidthBytesPerSecond = "bandwidth_bytes_per_second"
        case resetProbability = "reset_probability"
        case faultId = "fault_id"
        case timeoutMs = "timeout_ms"
        case bytes
        case averageSize = "average_size"
        case sizeVariation = "size_variation"
        case delayMs = "delay_ms"
        case afterMs = "after_ms"
    }

    public var tag: Tag {
        switch self {
        case .crash: return .crash
        case .stop: return .stop
        case .restart: return .restart
        case .pause: return .pause
        case .resume: return .resume
        case .partition: return .partition
        case .partitionOneWay: return .partitionOneWay
        case .isolate: return .isolate
        case .isolateZookeeper: return .isolateZookeeper
        case .slow, .slowLinks: return .slow
        case .lossy, .lossyLinks: return .lossy
        case .toxic(_, let toxic), .toxicLinks(_, _, let toxic):
            switch toxic {
            case .limitData: return .limitData
            case .slice: return .slice
            case .timeout: return .timeout
            }
        case .heal: return .heal
        case .healNetwork: return .healNetwork
        case .powerLoss: return .powerLoss
        case .awaitCondition: return .awaitCondition
        case .electLeaders: return .electLeaders
        case .reassign: return .reassign
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tag, forKey: .fault)
        switch self {
        case .crash(let t), .stop(let t), .restart(let t), .pause(let t), .resume(let t), .isolate(let t), .isolateZookeeper(let t),
             .powerLoss(let t):
            try container.encode(t, forKey: .target)
        case .partition(let groups):
            try container.encode(groups, forKey: .groups)
        case .partitionOneWay(let from, let to):
            try container.encode(from, forKey: .from)
            try container.encode(to, forKey: .to)
        case .slow(let t, let d):
            try container.encode(t, forKey: .target)
            if d.latencyMs > 0 { try container.encode(d.latencyMs, forKey: .latencyMs) }
            if d.jitterMs > 0 { try container.encode(d.jitterMs, forKey: .jitterMs) }
            try container.encodeIfPresent(d.bandwidthBytesPerSecond, forKey: .bandwidthBytesPerSecond)
        case .lossy(let t, let d):
            try container.encode(t, forKey: .target)
            try container.encode(d.resetProbability, forKey: .resetProbability)
        case .slowLinks(let from, let to, let d):
            try container.encode(from, forKey: .from)
            try container.encode(to, forKey: .to)
            if d.latencyMs > 0 { try container.encode(d.latencyMs, forKey: .latencyMs) }
            if d.jitterMs > 0 { try container.encode(d.jitterMs, forKey: .jitterMs) }
            try container.encodeIfPresent(d.bandwidthBytesPerSecond, forKey: .bandwidthBytesPerSecond)
        case .lossyLinks(let from, let to, let d):
            try container.encode(from, forKey: .from)
            try container.encode(to, forKey: .to)
            try container.encode(d.resetProbability, forKey: .resetProbability)
        case .toxic(let t, let toxic):
            try container.encode(t, forKey: .target)
            try Self.encode(toxic, into: &container)
        case .toxicLinks(let from, let to, let toxic):
            try container.encode(from, forKey: .from)
            try container.encode(to, forKey: .to)
            try Self.encode(toxic, into: &container)
        case .heal(let id):
            try container.encodeIfPresent(id, forKey: .faultId)
        case .healNetwork:
            break
        case .awaitCondition(let condition, let timeoutMs):
            try container.encode(condition, forKey: .condition)
            try container.encode(timeoutMs, forKey: .timeoutMs)
        case .electLeaders(let topic, let partition, let election):
            try container.encode(topic, forKey: .topic)
            try container.encode(partition, forKey: .partition)
            try container.encode(election, forKey: .election)
        case .reassign(let topic, let partition, let replicas):
            try container.encode(topic, forKey: .topic)
            try container.encode(partition, forKey: .partition)
            if let replicas { try container.encode(replicas, forKey: .replicas) } else { try container.encode(true, forKey: .cancel) }
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let tag = try container.decodeTag(Tag.self, forKey: .fault, what: "fault")
        func target() throws -> Target { try container.decode(Target.self, forKey: .target) }
        switch tag {
        case .crash: self = .crash(try target())
        case .stop: self = .stop(try target())
        case .restart: self = .restart(try target())
        case .pause: self = .pause(try target())
        case .resume: self = .resume(try target())
        case .isolate: self = .isolate(try target())
        case .isolateZookeeper: self = .isolateZookeeper(try target())
        case .powerLoss: self = .powerLoss(try target())
        case .partition: self = .partition(try container.decode([[Target]].self, forKey: .groups))
        case .partitionOneWay:
            self = .partitionOneWay(from: try container.decode([Target].self, forKey: .from), to: try container.decode([Target].self, forKey: .to))
        case .slow:
            let degradation = LinkDegradation(latencyMs: try container.decodeIfPresent(Int.self, forKey: .latencyMs) ?? 0,
                                              jitterMs: try container.decodeIfPresent(Int.self, forKey: .jitterMs) ?? 0,
                                              bandwidthBytesPerSecond: try container.decodeIfPresent(Int.self, forKey: .bandwidthBytesPerSecond))
            if container.contains(.from) {
                self = .slowLinks(from: try container.decode([Target].self, forKey: .from), to: try container.decode([Target].self, forKey: .to), degradation)
            } else {
                self = .slow(try target(), degradation)
            }
        case .lossy:
            let degradation = LinkDegradation(resetProbability: try container.decode(Double.self, forKey: .resetProbability))
            if container.contains(.from) {
                self = .lossyLinks(from: try container.decode([Target].self, forKey: .from), to: try container.decode([Target].self, forKey: .to), degradation)
            } else {
                self = .lossy(try target(), degradation)
            }
        case .limitData, .slice, .timeout:
            let toxic: LinkToxic
            switch tag {
            case .limitData: toxic = .limitData(bytes: try container.decode(Int.self, forKey: .bytes))
            case .slice:
                toxic = .slice(averageSize: try container.decode(Int.self, forKey: .averageSize),
                               sizeVariation: try container.decodeIfPresent(Int.self, forKey: .sizeVariation) ?? 0,
                               delayMs: try container.decodeIfPresent(Int.self, forKey: .delayMs) ?? 0)
            default: toxic = .timeout(afterMs: try container.decodeIfPresent(Int.self, forKey: .afterMs) ?? 0)
            }
            if container.contains(.from) {
                self = .toxicLinks(from: try container.decode([Target].self, forKey: .from), to: try container.decode([Target].self, forKey: .to), toxic)
            } else {
                self = .toxic(try target(), toxic)
            }
        case .heal: self = .heal(faultId: try container.decodeIfPresent(Int.self, forKey: .faultId))
        case .healNetwork: self = .healNetwork
        case .awaitCondition:
            self = .awaitCondition(try container.decode(Condition.self, forKey: .condition),
                                   timeoutMs: try container.decodeIfPresent(Int.self, forKey: .timeoutMs) ?? Self.defaultAwaitTimeoutMs)
        case .electLeaders:
            self = .electLeaders(topic: try container.decode(String.self, forKey: .topic), partition: try container.decode(Int32.self, forKey: .partition),
                                 election: try container.decodeIfPresent(LeaderElection.self, forKey: .election) ?? .preferred)
        case .reassign:
            let cancel = try container.decodeIfPresent(Bool.self, forKey: .cancel) ?? false
            guard cancel != container.contains(.replicas) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "reassign takes either replicas or cancel: true"))
            }
            self = .reassign(topic: try container.decode(String.self, forKey: .topic), partition: try container.decode(Int32.self, forKey: .partition),
                             replicas: cancel ? nil : try container.decode([Int32].self, forKey: .replicas))
        }
        if let problem = problem {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: problem))
        }
    }

    /// What the grammar would refuse in this command, for one that did not come from the parser
    /// (decoded JSON); nil when the parser could have produced it.
    public var problem: String? {
        func targetsProblem(_ targets: [Target], inGroup: Bool) -> String? {
            targets.lazy.compactMap { $0.problem(inPartitionGroup: inGroup) }.first
        }
        switch self {
        case .crash(let t), .stop(let t), .restart(let t), .pause(let t), .resume(let t), .isolate(let t), .isolateZookeeper(let t),
             .powerLoss(let t):
            return targetsProblem([t], inGroup: false)
        case .partition(let groups):
            guard groups.count >= 2, groups.allSatisfy({ !$0.isEmpty }) else { return "partition needs at least two groups" }
            return targetsProblem(groups.flatMap { $0 }, inGroup: true)
        case .partitionOneWay(let from, let to):
            guard !from.isEmpty, !to.isEmpty else { return "partition needs at least two groups" }
            return targetsProblem(from + to, inGroup: true)
        case .slow(let t, let d):
            return Self.slowProblem(d) ?? targetsProblem([t], inGroup: false)
        case .lossy(let t, let d):
            return Self.lossyProblem(d) ?? targetsProblem([t], inGroup: false)
        case .slowLinks(let from, let to, let d):
            guard !from.isEmpty, !to.isEmpty else { return "slow between groups takes FROM -> TO" }
            return Self.slowProblem(d) ?? targetsProblem(from + to, inGroup: true)
        case .lossyLinks(let from, let to, let d):
            guard !from.isEmpty, !to.isEmpty else { return "lossy between groups takes FROM -> TO" }
            return Self.lossyProblem(d) ?? targetsProblem(from + to, inGroup: true)
        case .toxic(let t, let toxic):
            return toxic.problem ?? targetsProblem([t], inGroup: false)
        case .toxicLinks(let from, let to, let toxic):
            guard !from.isEmpty, !to.isEmpty else { return "\(toxic.name) between groups takes FROM -> TO" }
            return toxic.problem ?? targetsProblem(from + to, inGroup: true)
        case .heal(let id):
            if let id, id <= 0 { return "heal takes a fault id, network, or nothing, got '\(id)'" }
            return nil
        case .healNetwork:
            return nil
        case .awaitCondition(let condition, let timeoutMs):
            guard timeoutMs > 0, timeoutMs <= Self.maxAwaitTimeoutMs else { return "--timeout must be more than 0 and at most 10m" }
            return condition.problem
        case .electLeaders(let topic, let partition, _):
            return Self.adminProblem(topic: topic, partition: partition, replicas: nil)
        case .reassign(let topic, let partition, let replicas):
            return Self.adminProblem(topic: topic, partition: partition, replicas: replicas)
        }
    }
}

extension FaultCommand {
    static func encode(_ toxic: LinkToxic, into container: inout KeyedEncodingContainer<CodingKeys>) throws {
        switch toxic {
        case .limitData(let bytes):
            try container.encode(bytes, forKey: .bytes)
        case .slice(let average, let variation, let delayMs):
            try container.encode(average, forKey: .averageSize)
            try container.encode(variation, forKey: .sizeVariation)
            try container.encode(delayMs, forKey: .delayMs)
        case .timeout(let afterMs):
            try container.encode(afterMs, forKey: .afterMs)
        }
    }

    static func slowProblem(_ d: LinkDegradation) -> String? {
        guard d.latencyMs > 0 || d.bandwidthBytesPerSecond != nil else { return "slow needs --latency or --bandwidth" }
        guard d.latencyMs <= 3_600_000, d.jitterMs >= 0 else { return "--latency must be between 0 and 1h" }
        guard d.jitterMs <= d.latencyMs else { return "--jitter (\(d.jitterMs)ms) cannot exceed --latency (\(d.latencyMs)ms)" }
        if let b = d.bandwidthBytesPerSecond, b <= 0 { return "--bandwidth must be more than 0" }
        return nil
    }

    static func lossyProblem(_ d: LinkDegradation) -> String? {
        guard d.resetProbability > 0, d.resetProbability <= 1 else { return "--reset-probability must be between 0 and 1, got '\(d.resetProbability)'" }
        return nil
    }
}

/// `{"kind": "broker", "broker": 2}`, `{"kind": "leader_of", "topic": "orders", "partition": 0}`,
/// `{"kind": "coordinator_of", "group": "g1"}`, `{"kind": "txn_coordinator_of", "transactional_id": "t1"}`,
/// `{"kind": "controller"}`; the kinds are the
/// grammar's keywords (`zk` for ZooKeeper).
extension Target: Codable {
    enum CodingKeys: String, CodingKey {
        case kind, broker, topic, partition, group
        case transactionalId = "transactional_id"
    }

    public enum Kind: String, Codable, Sendable, CaseIterable {
        case broker, controller, random, all, clients
        case leaderOf = "leader_of"
        case followersOf = "followers_of"
        case inSyncFollowerOf = "in_sync_follower_of"
        case coordinatorOf = "coordinator_of"
        case transactionCoordinatorOf = "txn_coordinator_of"
        case zookeeper = "zk"
    }

    /// What the grammar would refuse in this target; nil when it could be parsed.
    func problem(inPartitionGroup: Bool) -> String? {
        switch self {
        case .broker(let id): return id > 0 ? nil : "broker ids start at 1, got \(id)"
        case .leaderOf(let topic, let partition), .followersOf(let topic, let partition), .inSyncFollowerOf(let topic, let partition):
            if topic.isEmpty { return "'\(self)' names no topic" }
            return partition >= 0 ? nil : "'\(self)' is not topic/partition"
        case .coordinatorOf(let group): return group.isEmpty ? "coordinator_of needs a group id" : nil
        case .transactionCoordinatorOf(let id): return id.isEmpty ? "txn_coordinator_of needs a transactional id" : nil
        case .zookeeper, .clients: return inPartitionGroup ? nil : "'\(self)' is only allowed in partition groups"
        case .controller, .random, .all: return nil
        }
    }

    public var kind: Kind {
        switch self {
        case .broker: return .broker
        case .leaderOf: return .leaderOf
        case .followersOf: return .followersOf
        case .inSyncFollowerOf: return .inSyncFollowerOf
        case .controller: return .controller
        case .coordinatorOf: return .coordinatorOf
        case .transactionCoordinatorOf: return .transactionCoordinatorOf
        case .random: return .random
        case .all: return .all
        case .zookeeper: return .zookeeper
        case .clients: return .clients
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(kind, forKey: .kind)
        switch self {
        case .broker(let id): try container.encode(id, forKey: .broker)
        case .leaderOf(let topic, let partition), .followersOf(let topic, let partition), .inSyncFollowerOf(let topic, let partition):
            try container.encode(topic, forKey: .topic)
            try container.encode(partition, forKey: .partition)
        case .coordinatorOf(let group): try container.encode(group, forKey: .group)
        case .transactionCoordinatorOf(let id): try container.encode(id, forKey: .transactionalId)
        case .controller, .random, .all, .zookeeper, .clients: break
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decodeTag(Kind.self, forKey: .kind, what: "target") {
        case .broker: self = .broker(try container.decode(Int32.self, forKey: .broker))
        case .leaderOf:
            self = .leaderOf(topic: try container.decode(String.self, forKey: .topic), partition: try container.decode(Int32.self, forKey: .partition))
        case .followersOf:
            self = .followersOf(topic: try container.decode(String.self, forKey: .topic), partition: try container.decode(Int32.self, forKey: .partition))
        case .inSyncFollowerOf:
            self = .inSyncFollowerOf(topic: try container.decode(String.self, forKey: .topic),
                                     partition: try container.decode(Int32.self, forKey: .partition))
        case .coordinatorOf: self = .coordinatorOf(group: try container.decode(String.self, forKey: .group))
        case .transactionCoordinatorOf: self = .transactionCoordinatorOf(transactionalId: try container.decode(String.self, forKey: .transactionalId))
        case .controller: self = .controller
        case .random: self = .random
        case .all: self = .all
        case .zookeeper: self = .zookeeper
        case .clients: self = .clients
        }
    }
}
