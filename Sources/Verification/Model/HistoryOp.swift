/// Whether a history line starts an operation or says how it ended (DESIGN.md §4).
public enum OpType: String, Sendable, Hashable, Codable {
    case invoke
    /// The operation took effect.
    case ok
    /// The operation certainly did not take effect.
    case fail
    /// Indeterminate: it may or may not have taken effect (a timeout, a lost connection).
    case info
}

/// The operation's function. Open-ended: workloads may add functions, and checkers only look at
/// the ones they know.
public struct OpFunction: RawRepresentable, Sendable, Hashable, Codable, ExpressibleByStringLiteral,
    CustomStringConvertible
{
    public var rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var single = encoder.singleValueContainer()
        try single.encode(rawValue)
    }

    public var description: String { rawValue }

    public static let send: OpFunction = "send"
    public static let poll: OpFunction = "poll"
    public static let assign: OpFunction = "assign"
    public static let subscribe: OpFunction = "subscribe"
    public static let commit: OpFunction = "commit"
    /// A poll by the final reader, after every fault healed, that reads each partition from its
    /// start to its end.
    public static let finalRead: OpFunction = "final_read"
    /// A transactional producer's `init_transactions`, and the start and end of each transaction
    /// (value `{"txn": id}`; a commit's or abort's completion adds `writes` and `inputs`).
    public static let txnInit: OpFunction = "txn_init"
    public static let txnBegin: OpFunction = "txn_begin"
    public static let txnCommit: OpFunction = "txn_commit"
    public static let txnAbort: OpFunction = "txn_abort"

    /// Functions whose completions carry records.
    public var isRead: Bool { self == .poll || self == .finalRead }
    /// Functions after which a consumer's position may legitimately move anywhere.
    public var isAssignment: Bool { self == .assign || self == .subscribe }
}

/// One line of `history.jsonl`.
public struct HistoryOp: Sendable, Hashable {
    /// Global order of the line in the run.
    public var index: Int
    /// Nanoseconds on the run's one clock, shared with the timeline (the lab uses wall-clock
    /// time for histories, timelines and broker event logs alike). Only differences matter.
    public var timeNs: Int64
    /// The logical process: "producer-1", "consumer-2", "final-reader". One operation at a time,
    /// unless the process tags its operations with `opId`.
    public var process: String
    public var type: OpType
    public var f: OpFunction
    public var value: OpValue
    public var error: String?
    /// Links a completion to its invoke when a process has several operations in flight (a
    /// producer with more than one request in flight). Absent: the next completion of the process
    /// completes its one open invoke.
    public var opId: Int64?

    public init(
        index: Int, timeNs: Int64, process: String, type: OpType, f: OpFunction, value: OpValue = .none,
        error: String? = nil, opId: Int64? = nil
    ) {
        self.index = index
        self.timeNs = timeNs
        self.process = process
        self.type = type
        self.f = f
        self.value = value
        self.error = error
        self.opId = opId
    }
}

extension HistoryOp: Codable {
    enum CodingKeys: String, CodingKey {
        case index, process, type, f, value, error
        case timeNs = "time_ns"
        case opId = "op_id"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        index = try container.decode(Int.self, forKey: .index)
        timeNs = try container.decode(Int64.self, forKey: .timeNs)
        process = try container.decode(String.self, forKey: .process)
        type = try container.decode(OpType.self, forKey: .type)
        f = try container.decode(OpFunction.self, forKey: .f)
        error = try container.decodeIfPresent(String.self, forKey: .error)
        opId = try container.decodeIfPresent(Int64.self, forKey: .opId)
        let hasValue = try container.contains(.value) && !container.decodeNil(forKey: .value)
        if !hasValue {
            value = .none
        } else if f == .send {
            value = .send(try container.decode(SendValue.self, forKey: .value))
        } else if f.isRead && type != .invoke {
            value = .poll(try container.decode(PollValue.self, forKey: .value))
        } else if f.isAssignment {
            value = .assignment(try container.decode(AssignmentValue.self, forKey: .value))
        } else {
            value = .other(try container.decode(JSONValue.self, forKey: .value))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(timeNs, forKey: .timeNs)
        try container.encode(process, forKey: .process)
        try container.encode(type, forKey: .type)
        try container.encode(f, forKey: .f)
        switch value {
        case .none: try container.encodeNil(forKey: .value)
        case .send(let send): try container.encode(send, forKey: .value)
        case .poll(let poll): try container.encode(poll, forKey: .value)
        case .assignment(let assignment): try container.encode(assignment, forKey: .value)
        case .other(let other): try container.encode(other, forKey: .value)
        }
        try container.encode(error, forKey: .error)
        try container.encodeIfPresent(opId, forKey: .opId)
    }
}
