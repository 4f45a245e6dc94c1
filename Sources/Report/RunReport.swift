import Verification

/// Everything a finished run's reports show, gathered by the runner (`samsa run`, `samsa check`).
///
/// The writers only render it: verdicts and evidence come from `CheckReport`, every figure and
/// every chart's time series from `Figures` (throughput and latency buckets, ISR sizes per
/// partition, lag points per group and partition), fault windows from the timeline
/// (`Timeline.faultWindows`). Nothing here is measured again.
public struct RunReport: Sendable {
    /// The run's name, usually its directory's.
    public var runName: String
    public var playbook: PlaybookSummary
    /// The seed of a randomized schedule, when the run had one.
    public var seed: UInt64?
    /// The run's span on the history's and timeline's clock (nanoseconds). Charts measure time
    /// from `startNs`.
    public var startNs: Int64
    public var endNs: Int64
    public var cluster: ClusterSummary
    public var checks: CheckReport
    public var figures: Figures
    public var faults: [FaultWindow]
    /// The schedule's steps as they ran (conditions held or timed out), from the timeline.
    public var steps: [StepOutcome] = []
    /// Set when a signal stopped the run before it ended by itself: its verdict is unknown,
    /// whatever the checkers found in what was recorded.
    public var interruption: RunInterruption?
    /// The playbook's expectations as the runner judged them, in playbook order.
    public var expectations: [Expectation]
    /// Anomalies listed per checker in report.json, report.html and junit.xml; the rest are
    /// counted. The checkers keep up to `RunParameters.evidenceLimit`; a report a person reads
    /// needs far fewer, and 100 keeps report.json small enough to diff.
    public var evidenceLimit: Int

    public init(
        runName: String, playbook: PlaybookSummary, seed: UInt64? = nil, startNs: Int64, endNs: Int64,
        cluster: ClusterSummary, checks: CheckReport, figures: Figures, faults: [FaultWindow],
        expectations: [Expectation], evidenceLimit: Int = 100
    ) {
        self.runName = runName
        self.playbook = playbook
        self.seed = seed
        self.startNs = startNs
        self.endNs = max(startNs, endNs)
        self.cluster = cluster
        self.checks = checks
        self.figures = figures
        self.faults = faults
        self.expectations = expectations
        self.evidenceLimit = max(0, evidenceLimit)
    }

    /// The run's verdict: valid when every expectation passed, invalid when one failed, unknown
    /// when none failed but some could not be judged. A run without expectations is judged by
    /// its checkers alone (every one valid). An interrupted run is unknown.
    public var verdict: Verdict {
        if interruption != nil { return .unknown }
        guard !expectations.isEmpty else { return checks.valid }
        if expectations.contains(where: { $0.passed == false }) { return .invalid }
        if expectations.contains(where: { $0.passed == nil }) { return .unknown }
        return .valid
    }

    public var durationMs: Double { Double(endNs - startNs) / 1e6 }
}

/// The playbook a run came from.
public struct PlaybookSummary: Sendable, Hashable {
    public var name: String
    public var description: String?

    public init(name: String, description: String? = nil) {
        self.name = name
        self.description = description
    }
}

/// The cluster a run used.
public struct ClusterSummary: Sendable, Hashable {
    public var brokers: [Int32]
    /// Sorted by name.
    public var topics: [TopicSummary]

    public init(brokers: [Int32], topics: [TopicSummary]) {
        self.brokers = brokers.sorted()
        self.topics = topics.sorted { $0.name < $1.name }
    }

    /// The topics as the checkers were told about them.
    public init(brokers: [Int32], parameters: RunParameters) {
        self.init(brokers: brokers, topics: parameters.topics.map { name, settings in
            TopicSummary(
                name: name, partitions: settings.partitions, replicationFactor: settings.replicationFactor,
                minInSyncReplicas: settings.minInSyncReplicas)
        })
    }
}

public struct TopicSummary: Sendable, Hashable {
    public var name: String
    public var partitions: Int32
    public var replicationFactor: Int32
    public var minInSyncReplicas: Int32

    public init(name: String, partitions: Int32, replicationFactor: Int32, minInSyncReplicas: Int32) {
        self.name = name
        self.partitions = partitions
        self.replicationFactor = replicationFactor
        self.minInSyncReplicas = minInSyncReplicas
    }
}

/// One playbook expectation and how the run fared against it. The runner judges; reports print.
public struct Expectation: Sendable, Hashable {
    /// The playbook's key: "no_lost_writes", "isr_shrinks", …
    public var name: String
    /// What the playbook asked for, as a person reads it: "0 lost writes", "at least 1".
    public var expected: String
    /// What the run showed: "3 lost writes", "2".
    public var observed: String
    /// Nil: it could not be judged (a checker's verdict was unknown, a figure was missing).
    public var passed: Bool?
    /// Why it failed or could not be judged: offsets, values, checker notes.
    public var evidence: String

    public init(name: String, expected: String, observed: String, passed: Bool?, evidence: String = "") {
        self.name = name
        self.expected = expected
        self.observed = observed
        self.passed = passed
        self.evidence = evidence
    }
}
