/// The records the lab and the runner write about the run itself (rather than about the cluster):
/// a power loss's cuts, a condition wait, a schedule step's fate, an interruption, a refused step
/// and an external executor's command. Each is the one type its writer encodes and its readers
/// (`Timeline.stepOutcomes`, `Timeline.interruption`, the reports) decode.

/// What `power-loss` cut from one broker's files: every file the broker wrote back to its last
/// fsync (`durable_length`).
///
///     {"kind": "power_loss", "fault_id": "4", "broker": 1, "files_known": 12, "files_cut": 2,
///      "bytes_dropped": 8192, "cuts": [{"path": "broker-1/data/t-0/…log", "length": 9000, "durable_length": 808}]}
public struct PowerLossRecord: Sendable, Hashable, Codable {
    public struct Cut: Sendable, Hashable, Codable {
        /// Relative to the run directory when the file lies under it.
        public var path: String
        public var length: Int64
        public var durableLength: Int64

        public init(path: String, length: Int64, durableLength: Int64) {
            self.path = path
            self.length = length
            self.durableLength = durableLength
        }

        enum CodingKeys: String, CodingKey {
            case path, length
            case durableLength = "durable_length"
        }
    }

    /// The fault this cut belongs to (its `fault` records' `id`).
    public var faultId: String
    public var broker: Int32
    /// Files the durability journal knew for this broker.
    public var filesKnown: Int
    public var filesCut: Int
    public var bytesDropped: Int64
    /// The first cuts (the writer keeps at most 50; `files_cut` counts them all).
    public var cuts: [Cut]
    /// Lines of the journal that did not read, when there were any (the writer keeps at most 10).
    public var journalProblems: [String]?

    public init(faultId: String, broker: Int32, filesKnown: Int, filesCut: Int, bytesDropped: Int64, cuts: [Cut],
                journalProblems: [String]? = nil) {
        self.faultId = faultId
        self.broker = broker
        self.filesKnown = filesKnown
        self.filesCut = filesCut
        self.bytesDropped = bytesDropped
        self.cuts = cuts
        self.journalProblems = journalProblems
    }

    enum CodingKeys: String, CodingKey {
        case broker, cuts
        case faultId = "fault_id"
        case filesKnown = "files_known"
        case filesCut = "files_cut"
        case bytesDropped = "bytes_dropped"
        case journalProblems = "journal_problems"
    }
}

/// One `await CONDITION` the lab ran (the shell's or the control socket's): its start (`wait`, with
/// `timeout_ms`) and its end (`held` or `timeout`, with `waited_ms`, `observed` and the measured
/// `value`).
public struct AwaitRecord: Sendable, Hashable, Codable {
    public enum Event: String, Sendable, Hashable, Codable {
        case wait, held, timeout
    }

    /// The condition in the grammar (`isr orders/0 <= 1`).
    public var condition: String
    public var event: Event
    public var timeoutMs: Int64?
    public var waitedMs: Int64?
    public var observed: String?
    public var value: Int64?

    public init(condition: String, event: Event, timeoutMs: Int64? = nil, waitedMs: Int64? = nil, observed: String? = nil,
                value: Int64? = nil) {
        self.condition = condition
        self.event = event
        self.timeoutMs = timeoutMs
        self.waitedMs = waitedMs
        self.observed = observed
        self.value = value
    }

    enum CodingKeys: String, CodingKey {
        case condition, event, observed, value
        case timeoutMs = "timeout_ms"
        case waitedMs = "waited_ms"
    }
}

/// Reads a record's `command` and `description` in the layout `FaultRecord` set: the command as a
/// value (`FaultCommand`'s JSON form) beside its text. Records written before the value was
/// recorded carry the text alone under `command`; they read with no value.
enum CommandField {
    static func decode<Key: CodingKey>(_ container: KeyedDecodingContainer<Key>, command: Key, description: Key) throws
        -> (value: FaultCommand?, text: String)
    {
        if let text = try? container.decode(String.self, forKey: command) {
            return (nil, try container.decodeIfPresent(String.self, forKey: description) ?? text)
        }
        let value = try container.decode(FaultCommand.self, forKey: command)
        return (value, try container.decodeIfPresent(String.self, forKey: description) ?? value.description)
    }
}

/// One event in the life of a schedule step of `samsa run` (`ScheduleExecution`): `wait` (began
/// waiting for its condition), `held`, `timeout` (with `action`: `skipped` or `ran`), `applied`
/// (with `message`, `fault_id`, `fired_ms`), `refused` (with `error`, `fired_ms`), `not_reached`
/// (the workload ended first) or `interrupted` (a signal stopped the run first, with `signal`).
/// `elapsed_ms` is the time since the workload started when the record was written.
public struct StepRecord: Sendable, Hashable {
    public enum Event: String, Sendable, Hashable, Codable {
        case wait, held, timeout, applied, refused, interrupted
        case notReached = "not_reached"
    }

    /// 1-based, in schedule order.
    public var index: Int
    /// When the step was due, from the start of the workload.
    public var atMs: Int64
    /// The step's command; nil in timelines written before it was recorded as a value.
    public var command: FaultCommand?
    /// The command in the grammar, for people.
    public var description: String
    /// The step's condition in the grammar (`when:`, or the condition of an `await` step).
    public var condition: String?
    public var event: Event
    public var elapsedMs: Int64?
    /// For `wait`.
    public var timeoutMs: Int64?
    /// For `wait`: `skip`, `run`, or `none` for an `await` step.
    public var onTimeout: String?
    /// For `held`, `timeout`, and the ends of a step that was waiting.
    public var waitedMs: Int64?
    public var observed: String?
    public var value: Int64?
    /// For `timeout`: `ran` or `skipped`.
    public var action: String?
    /// For `applied`: the lab's answer and the fault it started.
    public var message: String?
    public var faultId: String?
    /// For `applied` and `refused`: when the lab was asked, from the start of the workload.
    public var firedMs: Int64?
    /// For `refused`.
    public var error: String?
    /// For `interrupted`.
    public var signal: String?

    public init(index: Int, atMs: Int64, command: FaultCommand, condition: String? = nil, event: Event, elapsedMs: Int64? = nil) {
        self.init(index: index, atMs: atMs, command: command, description: command.description, condition: condition, event: event,
                  elapsedMs: elapsedMs)
    }

    public init(index: Int, atMs: Int64, command: FaultCommand?, description: String, condition: String? = nil, event: Event,
                elapsedMs: Int64? = nil) {
        self.index = index
        self.atMs = atMs
        self.command = command
        self.description = description
        self.condition = condition
        self.event = event
        self.elapsedMs = elapsedMs
    }
}

extension StepRecord: Codable {
    enum CodingKeys: String, CodingKey {
        case index, command, description, condition, event, observed, value, action, message, error, signal
        case atMs = "at_ms"
        case elapsedMs = "elapsed_ms"
        case timeoutMs = "timeout_ms"
        case onTimeout = "on_timeout"
        case waitedMs = "waited_ms"
        case faultId = "fault_id"
        case firedMs = "fired_ms"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        index = try container.decode(Int.self, forKey: .index)
        atMs = try container.decodeIfPresent(Int64.self, forKey: .atMs) ?? 0
        (command, description) = try CommandField.decode(container, command: .command, description: .description)
        condition = try container.decodeIfPresent(String.self, forKey: .condition)
        event = try container.decode(Event.self, forKey: .event)
        elapsedMs = try container.decodeIfPresent(Int64.self, forKey: .elapsedMs)
        timeoutMs = try container.decodeIfPresent(Int64.self, forKey: .timeoutMs)
        onTimeout = try container.decodeIfPresent(String.self, forKey: .onTimeout)
        waitedMs = try container.decodeIfPresent(Int64.self, forKey: .waitedMs)
        observed = try container.decodeIfPresent(String.self, forKey: .observed)
        value = try container.decodeIfPresent(Int64.self, forKey: .value)
        action = try container.decodeIfPresent(String.self, forKey: .action)
        message = try container.decodeIfPresent(String.self, forKey: .message)
        faultId = try container.decodeIfPresent(String.self, forKey: .faultId)
        firedMs = try container.decodeIfPresent(Int64.self, forKey: .firedMs)
        error = try container.decodeIfPresent(String.self, forKey: .error)
        signal = try container.decodeIfPresent(String.self, forKey: .signal)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(index, forKey: .index)
        try container.encode(atMs, forKey: .atMs)
        try container.encodeIfPresent(command, forKey: .command)
        try container.encode(description, forKey: .description)
        try container.encodeIfPresent(condition, forKey: .condition)
        try container.encode(event, forKey: .event)
        try container.encodeIfPresent(elapsedMs, forKey: .elapsedMs)
        try container.encodeIfPresent(timeoutMs, forKey: .timeoutMs)
        try container.encodeIfPresent(onTimeout, forKey: .onTimeout)
        try container.encodeIfPresent(waitedMs, forKey: .waitedMs)
        try container.encodeIfPresent(observed, forKey: .observed)
        try container.encodeIfPresent(value, forKey: .value)
        try container.encodeIfPresent(action, forKey: .action)
        try container.encodeIfPresent(message, forKey: .message)
        try container.encodeIfPresent(faultId, forKey: .faultId)
        try container.encodeIfPresent(firedMs, forKey: .firedMs)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encodeIfPresent(signal, forKey: .signal)
    }
}

/// A scheduled step the lab refused (a target that did not exist at that moment): the command as
/// a value and as text, and the lab's `error`.
public struct FaultRefusedRecord: Sendable, Hashable {
    /// nil in timelines written before it was recorded as a value.
    public var command: FaultCommand?
    public var description: String
    public var error: String

    public init(command: FaultCommand, error: String) {
        self.command = command
        self.description = command.description
        self.error = error
    }

    public init(command: FaultCommand?, description: String, error: String) {
        self.command = command
        self.description = description
        self.error = error
    }
}

extension FaultRefusedRecord: Codable {
    enum CodingKeys: String, CodingKey {
        case command, description, error
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        (command, description) = try CommandField.decode(container, command: .command, description: .description)
        error = try container.decodeIfPresent(String.self, forKey: .error) ?? ""
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encodeIfPresent(command, forKey: .command)
        try container.encode(description, forKey: .description)
        try container.encode(error, forKey: .error)
    }
}

/// One command the external fault executor ran on a broker's host: `command` is the shell line as
/// run (with the ssh prefix), not a fault; `exit_status` is absent when it timed out or could not
/// start; `output` is its last bytes; `reason` is `fault`, `heal` or `journal`.
public struct ExecutorCommandRecord: Sendable, Hashable, Codable {
    public var broker: Int32
    /// The executor action (`crash`, `restart`, `pause`, `resume`, …).
    public var action: String
    public var command: String
    public var exitStatus: Int32?
    public var timedOut: Bool
    public var result: String
    public var output: String
    public var durationMs: Int64
    public var reason: String

    public init(broker: Int32, action: String, command: String, exitStatus: Int32?, timedOut: Bool, result: String, output: String,
                durationMs: Int64, reason: String) {
        self.broker = broker
        self.action = action
        self.command = command
        self.exitStatus = exitStatus
        self.timedOut = timedOut
        self.result = result
        self.output = output
        self.durationMs = durationMs
        self.reason = reason
    }

    enum CodingKeys: String, CodingKey {
        case broker, action, command, result, output, reason
        case exitStatus = "exit_status"
        case timedOut = "timed_out"
        case durationMs = "duration_ms"
    }
}
