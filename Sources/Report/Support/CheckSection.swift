import Verification

/// One checker's result with its anomalies as JSON trees, so every writer can list evidence of
/// any checker the same way without knowing each anomaly type.
struct CheckSection: Sendable {
    /// report.json's key: the checker's name in snake case, as `CheckReport` codes it ("lost_write").
    var key: String
    /// The name the checkers print ("lost-write").
    var checker: String
    var verdict: Verdict
    /// Anomalies found, listed or not.
    var count: Int
    /// The first anomalies, at most the report's evidence limit.
    var evidence: [JSONValue]
    var notes: [String]

    /// Anomalies found but not listed here.
    var truncated: Int { max(0, count - evidence.count) }

    init<Anomaly>(_ result: CheckResult<Anomaly>, limit: Int) {
        key = result.checker.replacingOccurrences(of: "-", with: "_")
        checker = result.checker
        verdict = result.verdict
        count = result.count
        if case .array(let items) = JSONText.tree(Array(result.anomalies.prefix(limit))) {
            evidence = items
        } else {
            evidence = []
        }
        notes = result.notes
    }
}

extension RunReport {
    /// Every checker's section, in the order `CheckReport` reports them.
    var checkSections: [CheckSection] {
        let limit = evidenceLimit
        return [
            CheckSection(checks.lostWrite, limit: limit), CheckSection(checks.unseen, limit: limit),
            CheckSection(checks.duplicate, limit: limit), CheckSection(checks.inconsistentOffsets, limit: limit),
            CheckSection(checks.abortedRead, limit: limit), CheckSection(checks.nonmonotonicSend, limit: limit),
            CheckSection(checks.nonmonotonicPoll, limit: limit), CheckSection(checks.pollSkip, limit: limit),
            CheckSection(checks.singleLeader, limit: limit), CheckSection(checks.clients, limit: limit),
            CheckSection(checks.brokers, limit: limit),
            CheckSection(checks.replicaAgreement, limit: limit), CheckSection(checks.staleLeader, limit: limit),
            CheckSection(checks.hwMonotonic, limit: limit),
            CheckSection(checks.uncleanElection, limit: limit), CheckSection(checks.leaderOutsideIsr, limit: limit),
            CheckSection(checks.acksUnderMinIsr, limit: limit), CheckSection(checks.stalledFollowerInIsr, limit: limit),
            CheckSection(checks.pollAboveHw, limit: limit),
            CheckSection(checks.txnAbortedRead, limit: limit), CheckSection(checks.txnLostWrite, limit: limit),
            CheckSection(checks.tornTransaction, limit: limit), CheckSection(checks.eosDuplicate, limit: limit),
            CheckSection(checks.txnG0, limit: limit), CheckSection(checks.txnG1c, limit: limit),
            CheckSection(checks.fencedCommit, limit: limit),
        ]
    }
}
