/// A checker's answer. `unknown` is not a pass: the input could not support a verdict.
public enum Verdict: String, Sendable, Hashable, Codable, CustomStringConvertible {
    case valid
    case invalid
    case unknown
    /// The run has nothing this check judges (a transaction check on a history without
    /// transactions). Not a pass: it proves nothing, and it leaves the run's verdict to the others.
    case notApplicable = "not_applicable"

    /// Invalid if any part is invalid; otherwise unknown if any part is unknown; valid only when
    /// every part is valid or not applicable. An empty list is valid.
    public static func combine(_ verdicts: some Sequence<Verdict>) -> Verdict {
        var sawUnknown = false
        for verdict in verdicts where verdict != .notApplicable {
            if verdict == .invalid { return .invalid }
            if verdict == .unknown { sawUnknown = true }
        }
        return sawUnknown ? .unknown : .valid
    }

    public var description: String { rawValue }

    public var isValid: Bool { self == .valid }
}

/// One checker's verdict with its evidence.
public struct CheckResult<Anomaly: Sendable & Hashable & Codable>: Sendable, Hashable, Codable {
    /// The checker's name as reports print it: "lost-write", "poll-skip", …
    public var checker: String
    public var verdict: Verdict
    /// Every anomaly found, listed or not.
    public var count: Int
    /// The first anomalies found, at most the run's evidence limit.
    public var anomalies: [Anomaly]
    /// Why the verdict is what it is when that is not evident from the anomalies: input problems,
    /// an error inside the checker, missing input.
    public var notes: [String]

    public init(checker: String, verdict: Verdict, count: Int, anomalies: [Anomaly], notes: [String] = []) {
        self.checker = checker
        self.verdict = verdict
        self.count = count
        self.anomalies = anomalies
        self.notes = notes
    }

    /// Invalid when anomalies were found, valid when none — unless the input had problems, in
    /// which case the anomalies are kept as evidence but the verdict is unknown. `count` is the
    /// number found when the caller listed only some of them.
    public static func judge(
        _ checker: String, anomalies: [Anomaly], count: Int? = nil, limit: Int, problems: InputProblems,
        notes: [String] = []
    ) -> CheckResult {
        var notes = notes
        let count = count ?? anomalies.count
        var verdict: Verdict = count == 0 ? .valid : .invalid
        if !problems.isEmpty {
            verdict = .unknown
            notes.append("input has \(problems.total) problem(s); first: \(problems.listed.first?.description ?? "")")
        }
        return CheckResult(
            checker: checker, verdict: verdict, count: count, anomalies: Array(anomalies.prefix(max(0, limit))),
            notes: notes)
    }

    /// Runs a checker body; anything it throws is an `unknown` verdict carrying the error text,
    /// never a pass.
    public static func guarded(_ checker: String, _ body: () throws -> CheckResult) -> CheckResult {
        do {
            return try body()
        } catch {
            return CheckResult(checker: checker, verdict: .unknown, count: 0, anomalies: [], notes: ["checker failed: \(error)"])
        }
    }
}

/// A checker found its own bookkeeping inconsistent. It becomes an `unknown` verdict.
public struct CheckerError: Error, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}

/// Where a value was seen: by an ack, a poll or the final read.
public struct Sighting: Sendable, Hashable, Codable {
    public enum Source: String, Sendable, Hashable, Codable {
        case ack
        case poll
        case finalRead = "final_read"
    }

    public var source: Source
    public var process: String
    /// The `index` of the history line (the completion) that reported it.
    public var index: Int
    public var timeNs: Int64

    public init(source: Source, process: String, index: Int, timeNs: Int64) {
        self.source = source
        self.process = process
        self.index = index
        self.timeNs = timeNs
    }

    enum CodingKeys: String, CodingKey {
        case source, process, index
        case timeNs = "time_ns"
    }
}
