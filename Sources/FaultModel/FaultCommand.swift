/// Who a fault is aimed at, before it is resolved against the live cluster.
public enum Target: Sendable, Hashable, CustomStringConvertible {
    case broker(Int32)
    case leaderOf(topic: String, partition: Int32)
    case followersOf(topic: String, partition: Int32)
    /// One follower now in the ISR (the lowest id), as ZooKeeper records it: cutting or crashing
    /// it step by step shrinks the ISR one replica at a time.
    case inSyncFollowerOf(topic: String, partition: Int32)
    case controller
    case coordinatorOf(group: String)
    /// The transaction coordinator of a `transactional.id` (the leader of its `__transaction_state`
    /// partition, as FindCoordinator with key type 1 answers).
    case transactionCoordinatorOf(transactionalId: String)
    case random
    /// Every broker.
    case all
    /// ZooKeeper (partition groups only).
    case zookeeper
    /// The clients (partition groups only).
    case clients

    public var description: String {
        switch self {
        case .broker(let id): return String(id)
        case .leaderOf(let topic, let partition): return "leader_of \(topic)/\(partition)"
        case .followersOf(let topic, let partition): return "followers_of \(topic)/\(partition)"
        case .inSyncFollowerOf(let topic, let partition): return "in_sync_follower_of \(topic)/\(partition)"
        case .controller: return "controller"
        case .coordinatorOf(let group): return "coordinator_of \(group)"
        case .transactionCoordinatorOf(let id): return "txn_coordinator_of \(id)"
        case .random: return "random"
        case .all: return "all"
        case .zookeeper: return "zk"
        case .clients: return "clients"
        }
    }

    /// Whether it names brokers (as opposed to ZooKeeper or the clients).
    public var isBroker: Bool {
        switch self {
        case .zookeeper, .clients: return false
        default: return true
        }
    }
}

/// How a slow or lossy link behaves.
public struct LinkDegradation: Sendable, Hashable {
    public var latencyMs: Int = 0
    public var jitterMs: Int = 0
    /// Bytes per second; nil unlimited.
    public var bandwidthBytesPerSecond: Int?
    /// Probability that a forwarded chunk resets its connection.
    public var resetProbability: Double = 0

    public init(latencyMs: Int = 0, jitterMs: Int = 0, bandwidthBytesPerSecond: Int? = nil, resetProbability: Double = 0) {
        self.latencyMs = latencyMs
        self.jitterMs = jitterMs
        self.bandwidthBytesPerSecond = bandwidthBytesPerSecond
        self.resetProbability = resetProbability
    }
}

/// One of Toxiproxy's stream toxics beyond latency, bandwidth and resets, put on each connection a
/// link carries (`limit-data`, `slice`, `timeout`).
public enum LinkToxic: Sendable, Hashable, CustomStringConvertible {
    /// `limit-data --bytes N`: the proxy closes a connection once N bytes have passed one of its
    /// directions under the fault (counted from the moment the fault reached the connection).
    case limitData(bytes: Int)
    /// `slice --average-size B [--size-variation V] [--delay D]`: bytes go out in pieces of B±V
    /// bytes (at least 1), with D between pieces.
    case slice(averageSize: Int, sizeVariation: Int, delayMs: Int)
    /// `timeout [--after D]`: no byte passes; after D the proxy closes the connection (D = 0: it
    /// stays open and silent until healed). Bytes are held, not dropped, so a healed `timeout`
    /// resumes the stream where it stopped.
    case timeout(afterMs: Int)

    /// The command's name in the grammar.
    public var name: String {
        switch self {
        case .limitData: return "limit-data"
        case .slice: return "slice"
        case .timeout: return "timeout"
        }
    }

    public var kind: FaultKind {
        switch self {
        case .limitData: return .limitData
        case .slice: return .slice
        case .timeout: return .timeout
        }
    }

    /// The options in the grammar, with a leading space.
    public var options: String {
        switch self {
        case .limitData(let bytes): return " --bytes \(bytes)"
        case .slice(let average, let variation, let delayMs):
            return " --average-size \(average)" + (variation > 0 ? " --size-variation \(variation)" : "") + (delayMs > 0 ? " --delay \(delayMs)ms" : "")
        case .timeout(let afterMs): return " --after \(afterMs)ms"
        }
    }

    public var description: String { name + options }

    /// What the grammar would refuse; nil when it could be parsed.
    public var problem: String? {
        switch self {
        case .limitData(let bytes):
            return bytes > 0 ? nil : "--bytes must be more than 0, got \(bytes)"
        case .slice(let average, let variation, let delayMs):
            guard average > 0 else { return "--average-size must be more than 0, got \(average)" }
            guard variation >= 0, variation < average else { return "--size-variation must be at least 0 and less than --average-size (\(average)), got \(variation)" }
            return (0...3_600_000).contains(delayMs) ? nil : "--delay must be between 0 and 1h"
        case .timeout(let afterMs):
            return (0...3_600_000).contains(afterMs) ? nil : "--after must be between 0 and 1h"
        }
    }
}

/// The faults of the lab, in the grammar shared by `samsa fault`, the shell and playbook steps.
public enum FaultCommand: Sendable, Hashable, CustomStringConvertible {
    /// SIGKILL.
    case crash(Target)
    /// SIGTERM: a controlled shutdown.
    case stop(Target)
    /// Start a stopped or crashed broker again (crashing it first if it runs).
    case restart(Target)
    /// SIGSTOP.
    case pause(Target)
    /// SIGCONT.
    case resume(Target)
    /// Cut every link between different groups, both ways (`1 | 2 3`). ZooKeeper and clients not
    /// named stay connected to every broker.
    case partition([[Target]])
    /// Cut only the links from the first group to the second (`1 -> 2 3`).
    case partitionOneWay(from: [Target], to: [Target])
    /// Cut a broker from everyone: peers, ZooKeeper and clients.
    case isolate(Target)
    /// Cut a broker from ZooKeeper only.
    case isolateZookeeper(Target)
    /// Add latency, jitter or a bandwidth cap to every link of the target.
    case slow(Target, LinkDegradation)
    /// Reset connections of the target's links at a rate.
    case lossy(Target, LinkDegradation)
    /// `slow A -> B`: the degradation on the traffic from the first group to the second only (a
    /// Toxiproxy toxic on one stream), e.g. replication from 2 to 1, or clients to 3.
    case slowLinks(from: [Target], to: [Target], LinkDegradation)
    /// `lossy A -> B`: resets on the connections that carry traffic between the two groups.
    case lossyLinks(from: [Target], to: [Target], LinkDegradation)
    /// `limit-data|slice|timeout TARGET ...`: the toxic on every link of the target.
    case toxic(Target, LinkToxic)
    /// `limit-data|slice|timeout A -> B ...`: the toxic on the traffic from the first group to the second.
    case toxicLinks(from: [Target], to: [Target], LinkToxic)
    /// End one fault (by id) or all.
    case heal(faultId: Int?)
    /// `heal network`: end every network fault, leaving crashed, stopped, paused and powered-off
    /// brokers as they are.
    case healNetwork
    /// SIGKILL the broker(s), then roll every file under their data directories back to what was
    /// last made durable by fsync (needs a cluster started with durability tracking); heal or
    /// restart starts them again on what survived.
    case powerLoss(Target)
    /// `await CONDITION [--timeout D]`: no fault; blocks until the condition holds or the
    /// timeout passes.
    case awaitCondition(Condition, timeoutMs: Int)
    /// `elect-leaders T/P [--type preferred|unclean]`: one ElectLeaders request for the partition,
    /// sent to the controller; the answer's error code is the step's outcome.
    case electLeaders(topic: String, partition: Int32, election: LeaderElection)
    /// `reassign T/P --replicas 2,3,1` (a new replica set, its first the preferred leader) or
    /// `reassign T/P --cancel` (nil: stop the move in progress): one AlterPartitionReassignments
    /// request. The move itself goes on in the cluster after the answer.
    case reassign(topic: String, partition: Int32, replicas: [Int32]?)

    /// How long `await` waits when no `--timeout` is given, and the longest it may wait.
    public static let defaultAwaitTimeoutMs = 10_000
    public static let maxAwaitTimeoutMs = 600_000

    /// The command's name in the grammar, as messages spell it (`isolate-zk`, `power-loss`).
    public var name: String {
        switch self {
        case .crash: return "crash"
        case .stop: return "stop"
        case .restart: return "restart"
        case .pause: return "pause"
        case .resume: return "resume"
        case .partition, .partitionOneWay: return "partition"
        case .isolate: return "isolate"
        case .isolateZookeeper: return "isolate-zk"
        case .slow, .slowLinks: return "slow"
        case .lossy, .lossyLinks: return "lossy"
        case .toxic(_, let toxic), .toxicLinks(_, _, let toxic): return toxic.name
        case .heal, .healNetwork: return "heal"
        case .powerLoss: return "power-loss"
        case .awaitCondition: return "await"
        case .electLeaders: return "elect-leaders"
        case .reassign: return "reassign"
        }
    }

    /// The kind a fault of this command is recorded under (`ActiveFault.kind`, the timeline's
    /// `fault` field); the timeline spells it with underscores (`isolate_zk`, `power_loss`).
    public var kind: FaultKind {
        switch self {
        case .crash: return .crash
        case .stop: return .stop
        case .restart: return .restart
        case .pause: return .pause
        case .resume: return .resume
        case .partition, .partitionOneWay: return .partition
        case .isolate: return .isolate
        case .isolateZookeeper: return .isolateZooKeeper
        case .slow, .slowLinks: return .slow
        case .lossy, .lossyLinks: return .lossy
        case .toxic(_, let toxic), .toxicLinks(_, _, let toxic): return toxic.kind
        case .heal, .healNetwork: return .heal
        case .powerLoss: return .powerLoss
        case .awaitCondition: return .awaitCondition
        case .electLeaders: return .electLeaders
        case .reassign: return .reassign
        }
    }

    public var description: String {
        switch self {
        case .crash(let t), .stop(let t), .restart(let t), .pause(let t), .resume(let t), .isolate(let t), .isolateZookeeper(let t),
             .powerLoss(let t):
            return "\(name) \(t)"
        case .partition(let groups):
            return "partition " + groups.map { $0.map(\.description).joined(separator: " ") }.joined(separator: " | ")
        case .partitionOneWay(let from, let to):
            return "partition " + from.map(\.description).joined(separator: " ") + " -> " + to.map(\.description).joined(separator: " ")
        case .slow(let t, let d):
            return "slow \(t)" + Self.slowOptions(d)
        case .lossy(let t, let d): return "lossy \(t) --reset-probability \(d.resetProbability)"
        case .slowLinks(let from, let to, let d):
            return "slow " + Self.direction(from, to) + Self.slowOptions(d)
        case .lossyLinks(let from, let to, let d):
            return "lossy " + Self.direction(from, to) + " --reset-probability \(d.resetProbability)"
        case .toxic(let t, let toxic): return "\(toxic.name) \(t)" + toxic.options
        case .toxicLinks(let from, let to, let toxic): return "\(toxic.name) " + Self.direction(from, to) + toxic.options
        case .heal(let id): return id.map { "heal \($0)" } ?? "heal"
        case .healNetwork: return "heal network"
        case .awaitCondition(let condition, let timeoutMs): return "await \(condition) --timeout \(timeoutMs)ms"
        case .electLeaders(let topic, let partition, let election): return "elect-leaders \(topic)/\(partition) --type \(election.rawValue)"
        case .reassign(let topic, let partition, let replicas):
            return "reassign \(topic)/\(partition) " + (replicas.map { "--replicas " + $0.map(String.init).joined(separator: ",") } ?? "--cancel")
        }
    }

    /// Faults that change the network (and are undone by `heal`) rather than signal processes.
    public var isNetworkFault: Bool {
        switch self {
        case .partition, .partitionOneWay, .isolate, .isolateZookeeper, .slow, .lossy, .slowLinks, .lossyLinks, .toxic, .toxicLinks: return true
        default: return false
        }
    }

    /// Every target the command names (groups flattened); none for heal, await and admin requests.
    public var targets: [Target] {
        switch self {
        case .crash(let t), .stop(let t), .restart(let t), .pause(let t), .resume(let t), .isolate(let t), .isolateZookeeper(let t),
             .slow(let t, _), .lossy(let t, _), .toxic(let t, _), .powerLoss(let t):
            return [t]
        case .partition(let groups): return groups.flatMap { $0 }
        case .partitionOneWay(let from, let to), .slowLinks(let from, let to, _), .lossyLinks(let from, let to, _),
             .toxicLinks(let from, let to, _):
            return from + to
        case .heal, .healNetwork, .awaitCondition, .electLeaders, .reassign: return []
        }
    }

    static func slowOptions(_ d: LinkDegradation) -> String {
        var text = ""
        if d.latencyMs > 0 { text += " --latency \(d.latencyMs)ms" }
        if d.jitterMs > 0 { text += " --jitter \(d.jitterMs)ms" }
        if let b = d.bandwidthBytesPerSecond { text += " --bandwidth \(b)" }
        return text
    }

    static func direction(_ from: [Target], _ to: [Target]) -> String {
        from.map(\.description).joined(separator: " ") + " -> " + to.map(\.description).joined(separator: " ")
    }
}
