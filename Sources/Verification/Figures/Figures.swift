/// How many operations of each kind a run had, and what became of them.
public struct OperationCounts: Sendable, Hashable, Codable {
    public var sendsAttempted = 0
    public var sendsAcknowledged = 0
    public var sendsFailed = 0
    /// `info` sends and sends the run ended before they completed.
    public var sendsIndeterminate = 0
    /// Indeterminate sends some read proved visible.
    public var sendsIndeterminateSeen = 0
    public var lost = 0
    public var unseen = 0
    public var duplicates = 0
    /// `ok` polls (not counting the final read).
    public var polls = 0
    public var finalReads = 0
    /// Records returned by `ok` polls and final reads.
    public var recordsRead = 0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case lost, unseen, duplicates, polls
        case sendsAttempted = "sends_attempted"
        case sendsAcknowledged = "sends_acknowledged"
        case sendsFailed = "sends_failed"
        case sendsIndeterminate = "sends_indeterminate"
        case sendsIndeterminateSeen = "sends_indeterminate_seen"
        case finalReads = "final_reads"
        case recordsRead = "records_read"
    }
}

/// The measured figures of a run, for the report and its charts.
public struct Figures: Sendable, Hashable, Codable {
    public var counts: OperationCounts
    /// Latency of `ok` sends; nil when there were none.
    public var produceLatency: LatencySummary?
    public var throughput: [ThroughputBucket]
    /// Produce latency percentiles per throughput bucket.
    public var produceLatencyOverTime: [LatencyBucket]
    public var isr: [PartitionIsrFigures]
    public var unavailability: [UnavailabilityWindow]
    public var failovers: [Failover]
    public var lag: [GroupLagFigures]

    enum CodingKeys: String, CodingKey {
        case counts, throughput, isr, unavailability, failovers, lag
        case produceLatency = "produce_latency"
        case produceLatencyOverTime = "produce_latency_over_time"
    }

    /// Measures a run. The check report supplies the lost, unseen and duplicate counts.
    public init(history: History, timeline: Timeline, parameters: RunParameters = RunParameters(), report: CheckReport) {
        let sends = SendTable(history)
        var counts = OperationCounts()
        var indeterminate: Set<String> = []
        for entry in sends.entries {
            counts.sendsAttempted += 1
            switch entry.outcome {
            case .ok: counts.sendsAcknowledged += 1
            case .fail: counts.sendsFailed += 1
            case .info, .invoke:
                counts.sendsIndeterminate += 1
                let firstPosition = Int(entry.invokePosition >= 0 ? entry.invokePosition : entry.completionPosition)
                if case .send(let send) = history.ops[firstPosition].value { indeterminate.insert(send.value) }
            }
        }
        for position in history.ops.indices where history.ops[position].f.isRead && history.ops[position].type == .ok {
            guard case .poll(let poll) = history.ops[position].value else { continue }
            if history.ops[position].f == .finalRead { counts.finalReads += 1 } else { counts.polls += 1 }
            counts.recordsRead += poll.records.count
            guard !indeterminate.isEmpty else { continue }
            for record in poll.records where indeterminate.remove(record.value) != nil {
                counts.sendsIndeterminateSeen += 1
            }
        }
        counts.lost = report.lostWrite.count
        counts.unseen = report.unseen.count
        counts.duplicates = report.duplicate.count
        self.counts = counts
        let samples = ClusterSamples(timeline)
        produceLatency = LatencyFigures.produceLatency(history, sends: sends)
        throughput = LatencyFigures.throughput(history, sends: sends)
        produceLatencyOverTime = LatencyFigures.latencyOverTime(history, sends: sends)
        isr = IsrFigures.measure(timeline, samples: samples, parameters: parameters)
        unavailability = AvailabilityFigures.unavailability(history, sends: sends, samples: samples)
        failovers = FailoverFigures.measure(history, sends: sends, timeline: timeline, samples: samples)
        lag = LagFigures.measure(timeline, threshold: parameters.lagRecoveryThreshold)
    }
}
