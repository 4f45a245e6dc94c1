import Verification

/// Table rows of the figures, shared by report.md and report.html so both show the same columns
/// in the same words. Times are seconds from the run's start; durations carry their unit.
enum ReportRows {
    static func operations(_ counts: OperationCounts) -> [[String]] {
        var rows = [
            ["sends attempted", Format.count(counts.sendsAttempted)],
            ["acknowledged", Format.count(counts.sendsAcknowledged)],
            ["failed", Format.count(counts.sendsFailed)],
            ["indeterminate", Format.count(counts.sendsIndeterminate)],
            ["indeterminate, later seen", Format.count(counts.sendsIndeterminateSeen)],
            ["lost", Format.count(counts.lost)],
            ["unseen", Format.count(counts.unseen)],
            ["duplicates", Format.count(counts.duplicates)],
            ["polls", Format.count(counts.polls)],
            ["final reads", Format.count(counts.finalReads)],
            ["records read", Format.count(counts.recordsRead)],
        ]
        guard counts.transactionalSends > 0 else { return rows }
        // A transactional send's own completion is indeterminate until its transaction ends: count
        // those sends by their transaction's outcome too.
        rows.insert(contentsOf: [
            ["in transactions", Format.count(counts.transactionalSends)],
            ["… committed", Format.count(counts.transactionalCommitted)],
            ["… aborted", Format.count(counts.transactionalAborted)],
            ["… unknown", Format.count(counts.transactionalUnknown)],
            ["… failed", Format.count(counts.transactionalFailed)],
        ], at: 5)
        return rows
    }

    static func latency(_ summary: LatencySummary?) -> [[String]]? {
        guard let summary else { return nil }
        return [
            ["sends", Format.count(summary.count)],
            ["p50", Format.duration(ms: summary.p50Ms)], ["p90", Format.duration(ms: summary.p90Ms)],
            ["p99", Format.duration(ms: summary.p99Ms)], ["p99.9", Format.duration(ms: summary.p999Ms)],
            ["max", Format.duration(ms: summary.maxMs)], ["mean", Format.duration(ms: summary.meanMs)],
        ]
    }

    static let isrHeaders = ["Partition", "Shrinks", "Expands", "Under-replicated", "Under min ISR", "Observed"]

    static func isr(_ partition: PartitionIsrFigures) -> [String] {
        [
            Format.partition(partition.topic, partition.partition), String(partition.shrinks), String(partition.expands),
            Format.duration(ms: partition.underReplicatedMs), Format.duration(ms: partition.underMinIsrMs),
            Format.duration(ms: partition.observedMs),
        ]
    }

    static let isrChangeHeaders = ["Time", "Partition", "Change", "Old ISR", "New ISR", "Broker", "Reason", "Seen in"]

    static func isrChange(_ partition: PartitionIsrFigures, _ change: IsrChange, _ report: RunReport) -> [String] {
        [
            Format.offset(change.timeNs, from: report.startNs), Format.partition(partition.topic, partition.partition),
            change.kind.rawValue, brokers(change.oldIsr), brokers(change.newIsr), change.broker.map(String.init) ?? "",
            change.reason ?? "", change.source == .brokerEvent ? "broker event log" : "metadata samples",
        ]
    }

    static let unavailabilityHeaders = ["Partition", "Cause", "Start", "End", "Duration", "Failed sends"]

    static func unavailability(_ window: UnavailabilityWindow, _ report: RunReport) -> [String] {
        [
            Format.partition(window.topic, window.partition),
            window.cause == .noLeader ? "no leader" : "sends failing",
            Format.offset(window.startNs, from: report.startNs),
            window.ongoing ? "still at the end" : Format.offset(window.endNs, from: report.startNs),
            Format.duration(ms: window.durationMs), window.failedSends.map { Format.count($0) } ?? "",
        ]
    }

    static let failoverHeaders = ["Fault", "Partition", "Old leader", "New leader", "Failover", "Metadata failover", "Basis"]

    static func failover(_ failover: Failover, _ report: RunReport) -> [String] {
        [
            "\(failover.faultId) (\(failover.fault)) at \(Format.offset(failover.faultStartNs, from: report.startNs))",
            Format.partition(failover.topic, failover.partition),
            leader(failover.oldLeader, failover.oldLeaderEpoch),
            failover.newLeader.map { leader($0, failover.newLeaderEpoch) } ?? "",
            failover.failoverMs.map { Format.duration(ms: $0) } ?? "never acknowledged again",
            Format.duration(ms: failover.metadataFailoverMs),
            failover.basis.map { $0 == .newLeaderAck ? "first ack by a new leader" : "first ack after the fault" } ?? "",
        ]
    }

    static let groupLagHeaders = ["Group", "Partitions", "Max lag", "Lag at end", "Recovery after last fault"]

    static func groupLag(_ group: GroupLagSummary) -> [String] {
        let recovery: String
        if let ms = group.recoveryMs {
            recovery = Format.duration(ms: ms)
        } else if group.unrecoveredPartitions > 0 {
            recovery = "\(group.unrecoveredPartitions) partition(s) never caught up"
        } else {
            recovery = "no fault ended"
        }
        return [group.group, String(group.partitions), Format.count(group.maxLag), Format.count(group.lagAtEnd), recovery]
    }

    static let partitionLagHeaders = ["Group", "Partition", "Max lag", "Lag at end", "Recovery after last fault"]

    static func partitionLag(_ lag: GroupLagFigures) -> [String] {
        let recovery = lag.recoveryMs.map { Format.duration(ms: $0) } ?? (lag.lastFaultEndNs == nil ? "no fault ended" : "never caught up")
        return [lag.group, Format.partition(lag.topic, lag.partition), Format.count(lag.maxLag), Format.count(lag.lagAtEnd), recovery]
    }

    static let overlapHeaders = ["Partition", "First leader", "Second leader", "Start", "Duration"]

    static func overlap(_ overlap: LeadershipOverlap, _ report: RunReport) -> [String] {
        [
            Format.partition(overlap.topic, overlap.partition),
            leader(overlap.first.broker, overlap.first.leaderEpoch), leader(overlap.second.broker, overlap.second.leaderEpoch),
            Format.offset(overlap.startNs, from: report.startNs), Format.duration(ms: overlap.durationMs),
        ]
    }

    static func brokers(_ ids: [Int32]) -> String { "[" + ids.map(String.init).joined(separator: ", ") + "]" }

    static func leader(_ broker: Int32, _ epoch: Int32?) -> String {
        epoch.map { "broker \(broker), epoch \($0)" } ?? "broker \(broker)"
    }
}
