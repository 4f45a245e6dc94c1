/// The kind tag of a timeline record: a closed set, so a record of a kind no reader knows (a typo,
/// a newer writer) is an input problem of its file, naming the kind, rather than a line every
/// checker silently skips.
public enum TimelineKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case metadata, unreachable, offsets, lag, fault, process
    case brokerEvent = "broker_event"
    case leadershipCensus = "leadership_census"
    case powerLoss = "power_loss"
    case awaitCondition = "await"
    case step
    case interrupted
    /// A scheduled step the lab refused (`FaultRefusedRecord`).
    case faultRefused = "fault_refused"
    /// One command the external fault executor ran (`ExecutorCommandRecord`).
    case executorCommand = "executor_command"
    /// An admin request the lab sent and the cluster's answer (`AdminRecord`).
    case admin

    public var description: String { rawValue }
}

extension TimelineKind: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let kind = TimelineKind(rawValue: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "unknown timeline kind '\(text)'; one of " + Self.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self = kind
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// What a timeline record says: one body type per kind, shared by the lab that writes it and the
/// readers that load it.
public enum TimelineBody: Sendable, Hashable {
    case metadata(MetadataSample)
    case unreachable(UnreachableSample)
    case offsets(OffsetsSample)
    case lag(LagSample)
    case fault(FaultRecord)
    case brokerEvent(BrokerEvent)
    case process(ProcessRecord)
    case leadershipCensus(LeadershipCensus)
    case powerLoss(PowerLossRecord)
    case awaitCondition(AwaitRecord)
    case step(StepRecord)
    case interrupted(RunInterruption)
    case faultRefused(FaultRefusedRecord)
    case executorCommand(ExecutorCommandRecord)
    case admin(AdminRecord)

    public var kind: TimelineKind {
        switch self {
        case .metadata: return .metadata
        case .unreachable: return .unreachable
        case .offsets: return .offsets
        case .lag: return .lag
        case .fault: return .fault
        case .brokerEvent: return .brokerEvent
        case .process: return .process
        case .leadershipCensus: return .leadershipCensus
        case .powerLoss: return .powerLoss
        case .awaitCondition: return .awaitCondition
        case .step: return .step
        case .interrupted: return .interrupted
        case .faultRefused: return .faultRefused
        case .executorCommand: return .executorCommand
        case .admin: return .admin
        }
    }
}

/// One line of `timeline.jsonl`: a sample or an event, merged from every observer in time order.
/// The body's fields sit flat beside `time_ns` and `kind`:
/// `{"time_ns": 5, "kind": "lag", "group": "g", "topic": "t", "partition": 0, …}`.
public struct TimelineRecord: Sendable, Hashable {
    /// Nanoseconds on the same clock as the history's `time_ns`.
    public var timeNs: Int64
    /// Which observer wrote it, when known.
    public var observer: String?
    public var body: TimelineBody

    public init(timeNs: Int64, observer: String? = nil, _ body: TimelineBody) {
        self.timeNs = timeNs
        self.observer = observer
        self.body = body
    }
}

extension TimelineRecord: Codable {
    enum CodingKeys: String, CodingKey {
        case kind, observer, error
        case timeNs = "time_ns"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        timeNs = try container.decode(Int64.self, forKey: .timeNs)
        observer = try container.decodeIfPresent(String.self, forKey: .observer)
        let kind = try container.decode(TimelineKind.self, forKey: .kind)
        switch kind {
        case .metadata:
            // An observer may report a failed Metadata request as a metadata sample with an error:
            // that is no knowledge, not an empty cluster.
            if let error = try container.decodeIfPresent(String.self, forKey: .error) {
                body = .unreachable(UnreachableSample(target: nil, error: error))
            } else {
                body = .metadata(try MetadataSample(from: decoder))
            }
        case .unreachable: body = .unreachable(try UnreachableSample(from: decoder))
        case .offsets: body = .offsets(try OffsetsSample(from: decoder))
        case .lag: body = .lag(try LagSample(from: decoder))
        case .fault: body = .fault(try FaultRecord(from: decoder))
        case .brokerEvent: body = .brokerEvent(try BrokerEvent(from: decoder))
        case .process: body = .process(try ProcessRecord(from: decoder))
        case .leadershipCensus: body = .leadershipCensus(try LeadershipCensus(from: decoder))
        case .powerLoss: body = .powerLoss(try PowerLossRecord(from: decoder))
        case .awaitCondition: body = .awaitCondition(try AwaitRecord(from: decoder))
        case .step: body = .step(try StepRecord(from: decoder))
        case .interrupted: body = .interrupted(try RunInterruption(from: decoder))
        case .faultRefused: body = .faultRefused(try FaultRefusedRecord(from: decoder))
        case .executorCommand: body = .executorCommand(try ExecutorCommandRecord(from: decoder))
        case .admin: body = .admin(try AdminRecord(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(timeNs, forKey: .timeNs)
        try container.encode(body.kind, forKey: .kind)
        try container.encodeIfPresent(observer, forKey: .observer)
        switch body {
        case .metadata(let sample): try sample.encode(to: encoder)
        case .unreachable(let sample): try sample.encode(to: encoder)
        case .offsets(let sample): try sample.encode(to: encoder)
        case .lag(let sample): try sample.encode(to: encoder)
        case .fault(let record): try record.encode(to: encoder)
        case .brokerEvent(let event): try event.encode(to: encoder)
        case .process(let record): try record.encode(to: encoder)
        case .leadershipCensus(let census): try census.encode(to: encoder)
        case .powerLoss(let record): try record.encode(to: encoder)
        case .awaitCondition(let record): try record.encode(to: encoder)
        case .step(let record): try record.encode(to: encoder)
        case .interrupted(let record): try record.encode(to: encoder)
        case .faultRefused(let record): try record.encode(to: encoder)
        case .executorCommand(let record): try record.encode(to: encoder)
        case .admin(let record): try record.encode(to: encoder)
        }
    }
}
