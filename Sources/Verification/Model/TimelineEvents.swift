@_exported import FaultModel

/// A string-backed name from an open set: known names are constants, others pass through (and
/// code as the bare string, by the standard library's `RawRepresentable` coding).
public protocol OpenName: RawRepresentable, Sendable, Hashable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible where RawValue == String
{
    init(rawValue: String)
}

extension OpenName {
    public init(stringLiteral value: String) { self.init(rawValue: value) }
    public var description: String { rawValue }
}

/// A fault's start or end. Faults are recorded as windows: `start` when injected, `end` when healed.
/// The lab writes the command itself as a value (`command`, in `FaultCommand`'s JSON form) beside
/// its rendered text (`description`, for people reading the file):
///
///     {"kind": "fault", "id": "3", "action": "start", "fault": "crash", "targets": ["broker-2"],
///      "command": {"fault": "crash", "target": {"kind": "leader_of", "topic": "t", "partition": 0}},
///      "description": "crash leader_of t/0", "time_ns": …}
///
/// Timelines written before the value was recorded have no `command`; they still read, with
/// `command` nil and the text alone.
public struct FaultRecord: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable, Codable {
        case start, end
    }

    /// Links a fault's start to its end.
    public var id: String
    public var action: Action
    public var fault: FaultKind
    /// What the fault hit: "broker-2", "zookeeper", "broker-1->broker-3", …
    public var targets: [String]
    /// The command as the lab applied it; nil in timelines written before it was recorded.
    public var command: FaultCommand?
    /// The command in the grammar, for people (`crash leader_of t/0`).
    public var description: String?
    /// For a network fault's `start`: the links it changed, as `1->2`, `3->zk`, `clients->1`.
    public var links: [String]?

    public init(id: String, action: Action, fault: FaultKind, targets: [String], command: FaultCommand? = nil,
                description: String? = nil, links: [String]? = nil) {
        self.id = id
        self.action = action
        self.fault = fault
        self.targets = targets
        self.command = command
        self.description = description ?? command?.description
        self.links = links
    }

    /// The record of `command` (a fault the lab applied or ended) with its kind and text from the value.
    public init(id: Int, action: Action, command: FaultCommand, brokers: [Int32], links: [String]? = nil) {
        self.init(id: String(id), action: action, fault: command.kind, targets: brokers.map { "broker-\($0)" },
                  command: command, links: links)
    }
}

extension FaultRecord: Codable {
    enum CodingKeys: String, CodingKey {
        case id, action, fault, targets, command, description, links
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let text = try? container.decode(String.self, forKey: .id) {
            id = text
        } else {
            id = String(try container.decode(Int64.self, forKey: .id))
        }
        action = try container.decode(Action.self, forKey: .action)
        fault = try container.decode(FaultKind.self, forKey: .fault)
        targets = try container.decodeIfPresent([String].self, forKey: .targets) ?? []
        command = try container.decodeIfPresent(FaultCommand.self, forKey: .command)
        description = try container.decodeIfPresent(String.self, forKey: .description) ?? command?.description
        links = try container.decodeIfPresent([String].self, forKey: .links)
        if let command, command.kind != fault {
            throw DecodingError.dataCorruptedError(
                forKey: .fault, in: container,
                debugDescription: "fault '\(fault)' does not match its command '\(command)' (a \(command.kind) fault)")
        }
    }
}

/// The kinds of entries a broker writes to its event log.
public struct BrokerEventKind: OpenName {
    public var rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }

    public static let becameLeader: BrokerEventKind = "became_leader"
    public static let becameFollower: BrokerEventKind = "became_follower"
    public static let resignedLeadership: BrokerEventKind = "resigned_leadership"
    public static let isrShrink: BrokerEventKind = "isr_shrink"
    public static let isrExpand: BrokerEventKind = "isr_expand"
    public static let truncate: BrokerEventKind = "truncate"
    public static let controllerElected: BrokerEventKind = "controller_elected"
    public static let controllerResigned: BrokerEventKind = "controller_resigned"
    public static let fencedWrite: BrokerEventKind = "fenced_write"
    public static let started: BrokerEventKind = "started"
    public static let stopped: BrokerEventKind = "stopped"
    /// The controller wrote a partition's state (an election, an ISR change, a new partition).
    public static let leaderElected: BrokerEventKind = "leader_elected"
    public static let uncleanElection: BrokerEventKind = "unclean_election"
}

/// One entry of a broker's own JSONL event log: what the broker believed, when.
public struct BrokerEvent: Sendable, Hashable, Codable {
    public var broker: Int32
    public var event: BrokerEventKind
    public var topic: String?
    public var partition: Int32?
    public var leaderEpoch: Int32?
    public var leader: Int32?
    public var oldIsr: [Int32]?
    public var newIsr: [Int32]?
    public var reason: String?
    public var fromOffset: Int64?
    public var toOffset: Int64?
    public var controllerEpoch: Int32?
    /// The ISR a `became_leader` was given.
    public var isr: [Int32]?
    /// The partition-state version this event reports as committed: the version a `became_leader`
    /// was given, the version an `isr_shrink`/`isr_expand` or a `leader_elected` wrote.
    public var stateVersion: Int32?
    /// For `leader_elected`: the version the write replaced (-1 for a new partition).
    public var priorStateVersion: Int32?
    /// For `leader_elected`: the leader came from outside the ISR.
    public var unclean: Bool?
    /// For `leader_elected`: the leader of the state it replaced.
    public var oldLeader: Int32?
    /// For `isr_shrink`/`isr_expand`: the leader's high watermark when the change took effect.
    public var hw: Int64?

    public init(
        broker: Int32, event: BrokerEventKind, topic: String? = nil, partition: Int32? = nil,
        leaderEpoch: Int32? = nil, leader: Int32? = nil, oldIsr: [Int32]? = nil, newIsr: [Int32]? = nil,
        reason: String? = nil, fromOffset: Int64? = nil, toOffset: Int64? = nil, controllerEpoch: Int32? = nil,
        isr: [Int32]? = nil, stateVersion: Int32? = nil, priorStateVersion: Int32? = nil, unclean: Bool? = nil,
        oldLeader: Int32? = nil, hw: Int64? = nil
    ) {
        self.broker = broker
        self.event = event
        self.topic = topic
        self.partition = partition
        self.leaderEpoch = leaderEpoch
        self.leader = leader
        self.oldIsr = oldIsr
        self.newIsr = newIsr
        self.reason = reason
        self.fromOffset = fromOffset
        self.toOffset = toOffset
        self.controllerEpoch = controllerEpoch
        self.isr = isr
        self.stateVersion = stateVersion
        self.priorStateVersion = priorStateVersion
        self.unclean = unclean
        self.oldLeader = oldLeader
        self.hw = hw
    }

    enum CodingKeys: String, CodingKey {
        case broker, event, topic, partition, leader, reason
        case leaderEpoch = "leader_epoch"
        case oldIsr = "old_isr"
        case newIsr = "new_isr"
        case fromOffset = "from_offset"
        case toOffset = "to_offset"
        case controllerEpoch = "controller_epoch"
        case isr, unclean, hw
        case stateVersion = "state_version"
        case priorStateVersion = "prior_state_version"
        case oldLeader = "old_leader"
    }
}

/// What happened to one of the lab's child processes.
public struct ProcessRecord: Sendable, Hashable, Codable {
    public struct State: OpenName {
        public var rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }

        public static let started: State = "started"
        public static let exited: State = "exited"
        public static let killed: State = "killed"
        public static let paused: State = "paused"
        public static let resumed: State = "resumed"
    }

    /// "broker-2", "zookeeper", …
    public var name: String
    public var state: State
    public var pid: Int32?
    public var exitCode: Int32?
    /// The signal that ended the process, when one did.
    public var signal: Int32?
    /// True when the process ended without the lab ending it (a crash of its own, or a kill from
    /// outside the lab); absent for the exits the lab caused.
    public var unplanned: Bool?
    /// For an unplanned end: the last lines the process wrote (its output file's tail), which
    /// usually say why.
    public var lastOutput: String?

    public init(name: String, state: State, pid: Int32? = nil, exitCode: Int32? = nil, signal: Int32? = nil,
                unplanned: Bool? = nil, lastOutput: String? = nil) {
        self.name = name
        self.state = state
        self.pid = pid
        self.exitCode = exitCode
        self.signal = signal
        self.unplanned = unplanned
        self.lastOutput = lastOutput
    }

    enum CodingKeys: String, CodingKey {
        case name, state, pid, signal, unplanned
        case exitCode = "exit_code"
        case lastOutput = "last_output"
    }
}
