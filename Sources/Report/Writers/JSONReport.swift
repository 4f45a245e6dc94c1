import Verification

/// `report.json`: the run's verdict, every check with its evidence, and the figures, for CI and
/// scripts. Keys are sorted at every level so reports of two runs diff line by line. Times are
/// nanoseconds on the run's clock (`*_ns`), durations milliseconds (`*_ms`).
///
/// Schema (version 1):
///
/// ```
/// {
///   "schema": 1,
///   "valid": true | false | null,           // every expectation passed | one failed | unknown
///   "verdict": "pass" | "fail" | "unknown",
///   "interrupted": true | false,             // a signal stopped the run (valid is then null)
///   "interruption": {"signal", "phase", "elapsed_ms"} | null,
///   "run": {"name", "playbook", "description", "seed", "start_ns", "end_ns", "duration_ms"},
///   "cluster": {"brokers": [1, 2, 3],
///               "topics": {"<topic>": {"partitions", "replication_factor", "min_insync_replicas"}}},
///   "expectations": [{"name", "expected", "observed", "passed": true | false | null, "evidence"}],
///   "checks": {
///     "<checker>": {                        // lost_write, unseen, duplicate, inconsistent_offsets,
///                                           // aborted_read, nonmonotonic_send, nonmonotonic_poll,
///                                           // poll_skip, single_leader, replica_agreement,
///                                           // stale_leader, hw_monotonic
///                                           // poll_skip, single_leader, unclean_election,
///                                           // leader_outside_isr, acks_under_min_isr,
///                                           // stalled_follower_in_isr, poll_above_hw,
///                                           // txn_aborted_read, txn_lost_write,
///                                           // torn_transaction, eos_duplicate, txn_g0, txn_g1c,
///                                           // fenced_commit
///       "checker": "lost-write", "valid": true | false | null,
///       "verdict": "valid" | "invalid" | "unknown" | "not_applicable",  // not_applicable: nothing to
///                                           // judge (no transactions); valid null, no effect on the run
///       "count": <anomalies found>, "evidence": [<anomaly>, …], "truncated": <found, not listed>,
///       "notes": ["…"]
///     }
///   },
///   "stats": {"attempted", "acknowledged", "failed", "indeterminate", "indeterminate_seen", "lost",
///             "unseen", "duplicates", "polls", "final_reads", "records_read", "transactional_sends",
///             "transactional_committed", "transactional_aborted", "transactional_unknown",
///             "transactional_failed"},
///             // every send counts in attempted..indeterminate by its own completion; transactional
///             // sends also by their transaction's outcome (committed + aborted + unknown + failed
///             // = transactional_sends)
///   "latency": {"count", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms"} | null,
///   "isr": {"shrinks", "expands",
///           "partitions": [{"topic", "partition", "shrinks", "expands", "under_replicated_ms",
///                           "under_min_isr_ms", "observed_ms",
///                           "changes": [{"time_ns", "kind", "source", "broker", "old_isr", "new_isr",
///                                        "reason"}], "changes_truncated"}]},
///   "lag": {"groups": {"<group>": {"max_lag", "lag_at_end", "recovery_ms", "unrecovered_partitions",
///                                  "partitions": [{"topic", "partition", "max_lag", "lag_at_end",
///                                                  "last_fault_end_ns", "recovered_ns",
///                                                  "recovery_ms"}]}}},
///   "failovers": {"count", "truncated", "items": [{"fault_id", "fault", "fault_start_ns", "topic",
///                 "partition", "old_leader", "old_leader_epoch", "new_leader", "new_leader_epoch",
///                 "recovered_ns", "failover_ms", "basis", "metadata_failover_ms"}]},
///   "unavailability": {"count", "truncated", "items": [{"topic", "partition", "cause", "start_ns",
///                      "end_ns", "duration_ms", "ongoing", "failed_sends"}]},
///   "leadership": {"windows": <count>,
///                  "overlaps": {"count", "truncated", "items": [{"topic", "partition", "first",
///                               "second", "start_ns", "end_ns", "duration_ms"}]}},
///   "faults": [{"id", "fault", "targets", "command", "description", "start_ns", "end_ns", "duration_ms",
///               "ongoing"}],  // command: the fault as a value ({"fault": "crash", "target": …}),
///               // absent for timelines that did not record it; description: its text
///   "steps": [{"index", "at_ms", "command", "condition", "status", "wait_started_ms", "waited_ms",
///              "held_at_ms", "value", "observed", "fired_at_ms", "message"}],  // status: applied,
///              // held, refused, timed_out_skipped, timed_out_applied, not_reached, unfinished;
///              // *_ms after the start of the workload; absent fields were not measured
///   "input_problems": {"history": {"total", "listed": [{"source", "line", "message"}]},
///                      "timeline": {…}}
/// }
/// ```
///
/// Anomaly objects are the checkers' own (`LostWrite`, `DuplicateValue`, …) with their JSON keys;
/// lists that can grow with the run are capped at the report's evidence limit and say how many
/// were left out. Every key shown at the top level and in `run`, `stats`, `checks.*`,
/// `expectations` is always present (`null` when unknown); inside anomaly and figure objects an
/// unknown optional field is left out, as the checkers' own JSON does. `seed` is a number, or a
/// string when it exceeds 2^63 - 1.
public enum JSONReport {
    public static let fileName = "report.json"
    public static let schemaVersion = 1

    public static func render(_ report: RunReport) -> String {
        JSONText.render(tree(report))
    }

    static func tree(_ report: RunReport) -> JSONValue {
        let verdict = report.verdict
        return .object([
            "schema": .int(Int64(schemaVersion)),
            "valid": JSONValue(verdict),
            "verdict": .string(Format.verdictWord(verdict).lowercased()),
            "interrupted": .bool(report.interruption != nil),
            "interruption": interruption(report.interruption),
            "run": run(report),
            "cluster": cluster(report.cluster),
            "expectations": .array(report.expectations.map(expectation)),
            "checks": .object(Dictionary(report.checkSections.map { ($0.key, check($0)) }, uniquingKeysWith: { a, _ in a })),
            "stats": stats(report.figures.counts),
            "latency": report.figures.produceLatency.map(JSONText.tree) ?? .null,
            "isr": isr(report),
            "lag": lag(report.figures),
            "failovers": capped(report.figures.failovers, limit: report.evidenceLimit),
            "unavailability": capped(report.figures.unavailability, limit: report.evidenceLimit),
            "leadership": .object([
                "windows": JSONValue(report.checks.leadershipWindows.count),
                "overlaps": capped(report.checks.leadershipOverlaps, limit: report.evidenceLimit),
            ]),
            "lost_ranges": capped(report.checks.lostRanges, limit: report.evidenceLimit),
            "faults": .array(report.faults.map(fault)),
            "steps": StepsSection.json(report),
            "input_problems": .object([
                "history": JSONText.tree(report.checks.historyProblems),
                "timeline": JSONText.tree(report.checks.timelineProblems),
            ]),
        ])
    }

    private static func interruption(_ interruption: RunInterruption?) -> JSONValue {
        guard let interruption else { return .null }
        let elapsed: JSONValue = interruption.elapsedMs.map { .int($0) } ?? .null
        return .object(["signal": .string(interruption.signal), "phase": JSONValue(interruption.phase), "elapsed_ms": elapsed])
    }

    private static func run(_ report: RunReport) -> JSONValue {
        .object([
            "name": .string(report.runName),
            "playbook": .string(report.playbook.name),
            "description": JSONValue(report.playbook.description),
            "seed": report.seed.map { seed in Int64(exactly: seed).map { .int($0) } ?? .string(String(seed)) } ?? .null,
            "start_ns": .int(report.startNs),
            "end_ns": .int(report.endNs),
            "duration_ms": .double(report.durationMs),
        ])
    }

    private static func cluster(_ cluster: ClusterSummary) -> JSONValue {
        .object([
            "brokers": .array(cluster.brokers.map { .int(Int64($0)) }),
            "topics": .object(Dictionary(cluster.topics.map { topic in
                (topic.name, JSONValue.object([
                    "partitions": .int(Int64(topic.partitions)),
                    "replication_factor": .int(Int64(topic.replicationFactor)),
                    "min_insync_replicas": .int(Int64(topic.minInSyncReplicas)),
                ]))
            }, uniquingKeysWith: { a, _ in a })),
        ])
    }

    private static func expectation(_ expectation: Expectation) -> JSONValue {
        .object([
            "name": .string(expectation.name),
            "expected": .string(expectation.expected),
            "observed": .string(expectation.observed),
            "passed": JSONValue(expectation.passed),
            "evidence": .string(expectation.evidence),
        ])
    }

    private static func check(_ section: CheckSection) -> JSONValue {
        .object([
            "checker": .string(section.checker),
            "valid": JSONValue(section.verdict),
            "verdict": .string(section.verdict.rawValue),
            "count": JSONValue(section.count),
            "evidence": .array(section.evidence),
            "truncated": JSONValue(section.truncated),
            "notes": .array(section.notes.map { .string($0) }),
        ])
    }

    private static func stats(_ counts: OperationCounts) -> JSONValue {
        .object([
            "attempted": JSONValue(counts.sendsAttempted),
            "acknowledged": JSONValue(counts.sendsAcknowledged),
            "failed": JSONValue(counts.sendsFailed),
            "indeterminate": JSONValue(counts.sendsIndeterminate),
            "indeterminate_seen": JSONValue(counts.sendsIndeterminateSeen),
            "lost": JSONValue(counts.lost),
            "unseen": JSONValue(counts.unseen),
            "duplicates": JSONValue(counts.duplicates),
            "polls": JSONValue(counts.polls),
            "final_reads": JSONValue(counts.finalReads),
            "records_read": JSONValue(counts.recordsRead),
            "transactional_sends": JSONValue(counts.transactionalSends),
            "transactional_committed": JSONValue(counts.transactionalCommitted),
            "transactional_aborted": JSONValue(counts.transactionalAborted),
            "transactional_unknown": JSONValue(counts.transactionalUnknown),
            "transactional_failed": JSONValue(counts.transactionalFailed),
        ])
    }

    private static func isr(_ report: RunReport) -> JSONValue {
        let figures = report.figures
        return .object([
            "shrinks": JSONValue(figures.isrShrinks),
            "expands": JSONValue(figures.isrExpands),
            "partitions": .array(figures.isr.map { partition in
                .object([
                    "topic": .string(partition.topic),
                    "partition": .int(Int64(partition.partition)),
                    "shrinks": JSONValue(partition.shrinks),
                    "expands": JSONValue(partition.expands),
                    "under_replicated_ms": .double(partition.underReplicatedMs),
                    "under_min_isr_ms": .double(partition.underMinIsrMs),
                    "observed_ms": .double(partition.observedMs),
                    "changes": JSONText.tree(Array(partition.changes.prefix(report.evidenceLimit))),
                    "changes_truncated": JSONValue(max(0, partition.changes.count - report.evidenceLimit)),
                ])
            }),
        ])
    }

    private static func lag(_ figures: Figures) -> JSONValue {
        let partitions = Dictionary(grouping: figures.lag, by: \.group)
        return .object([
            "groups": .object(Dictionary(figures.lagByGroup.map { group in
                var fields = JSONText.tree(group).fields
                fields["group"] = nil
                // Without the points: they are chart data, which report.html draws.
                fields["partitions"] = .array((partitions[group.group] ?? []).map { partition in
                    .object([
                        "topic": .string(partition.topic),
                        "partition": .int(Int64(partition.partition)),
                        "max_lag": .int(partition.maxLag),
                        "lag_at_end": .int(partition.lagAtEnd),
                        "last_fault_end_ns": JSONValue(partition.lastFaultEndNs),
                        "recovered_ns": JSONValue(partition.recoveredNs),
                        "recovery_ms": JSONValue(partition.recoveryMs),
                    ])
                })
                return (group.group, JSONValue.object(fields))
            }, uniquingKeysWith: { a, _ in a })),
        ])
    }

    private static func fault(_ window: FaultWindow) -> JSONValue {
        var fields = JSONText.tree(window).fields
        fields["description"] = JSONValue(window.description)
        fields["duration_ms"] = .double(window.durationMs)
        return .object(fields)
    }

    /// A list that grows with the run: the first `limit` items, the count, and how many were left out.
    private static func capped<Item: Encodable>(_ items: [Item], limit: Int) -> JSONValue {
        .object([
            "count": JSONValue(items.count),
            "truncated": JSONValue(max(0, items.count - limit)),
            "items": JSONText.tree(Array(items.prefix(limit))),
        ])
    }
}
