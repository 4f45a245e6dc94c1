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
    /// Sends inside a transaction, counted in the figures above as their own completions say (the
    /// workload completes them `info`: a transactional record is visible only if its transaction
    /// commits) and here by what became of their transaction: committed, aborted or unknown as its
    /// producer reported it, or `failed` when the send itself certainly failed in a transaction that
    /// did not abort (its record was not written). The four add up to `transactionalSends`.
    public var transactionalSends = 0
    public var transactionalCommitted = 0
    public var transactionalAborted = 0
    public var transactionalUnknown = 0
    public var transactionalFailed = 0
    /// Of `sendsAcknowledged` and `sendsIndeterminate`: the transactional ones (the rest of
    /// `transactionalSends` are in `sendsFailed`), so the plain sends' figures can be told apart.
    public var transactionalAcknowledged = 0
    public var transactionalIndeterminate = 0

    public init() {}

    /// The sends outside transactions, by their own outcome.
    public var plainSends: Int { sendsAttempted - transactionalSends }
    public var plainAcknowledged: Int { sendsAcknowledged - transactionalAcknowledged }
    public var plainFailed: Int { sendsFailed - (transactionalSends - transactionalAcknowledged - transactionalIndeterminate) }
    public var plainIndeterminate: Int { sendsIndeterminate - transactionalIndeterminate }

    enum CodingKeys: String, CodingKey {
        case lost, unseen, duplicates, polls
        case sendsAttempted = "sends_attempted"
        case sendsAcknowledged = "sends_acknowledged"
        case sendsFailed = "sends_failed"
        case sendsIndeterminate = "sends_indeterminate"
        case sendsIndeterminateSeen = "sends_indeterminate_seen"
        case finalReads = "final_reads"
        case recordsRead = "records_read"
        case transactionalSends = "transactional_sends"
        case transactionalCommitted = "transactional_committed"
        case transactionalAborted = "transactional_aborted"
        case transactionalUnknown = "transactional_unknown"
        case transactionalFailed = "transactional_failed"
        case transactionalAcknowledged = "transactional_acknowledged"
        case transactionalIndeterminate = "transactional_indeterminate"
    }
}

extension OperationCounts {
    /// Counts one transactional send by its own outcome and its transaction's.
    mutating func countTransactional(_ outcome: OpType, of send: SendValue?, in log: TransactionLog) {
        transactionalSends += 1
        switch outcome {
        case .ok: transactionalAcknowledged += 1
        case .info, .invoke: transactionalIndeterminate += 1
        case .fail: break
        }
        let transaction = send.flatMap { log.byValue[$0.value] }.map { log.transactions[$0] }
        switch transaction?.outcome {
        case .aborted: transactionalAborted += 1
        case _ where outcome == .fail: transactionalFailed += 1
        case .committed: transactionalCommitted += 1
        case .unknown, nil: transactionalUnknown += 1
        }
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
        let transactions = sends.entries.contains { $0.transactional } ? TransactionLog(history) : nil
        var counts = OperationCounts()
        var indeterminate: Set<String> = []
        for entry in sends.entries {
            counts.sendsAttempted += 1
            let firstPosition = Int(entry.invokePosition >= 0 ? entry.invokePosition : entry.completionPosition)
            switch entry.outcome {
            case .ok: counts.sendsAcknowledged += 1
            case .fail: counts.sendsFailed += 1
            case .info, .invoke:
                counts.sendsIndeterminate += 1
                if case .send(let send) = history.ops[firstPosition].value { indeterminate.insert(send.value) }
            }
            if entry.transactional, let transactions {
                counts.countTransactional(entry.outcome, of: history.send(of: history.operations[Int(entry.operation)]), in: transactions)
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
