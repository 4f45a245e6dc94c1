import Foundation

/// Every checker's verdict and evidence for one run, and the overall verdict.
public struct CheckReport: Sendable, Hashable, Codable {
    /// Valid only if every check is valid; invalid if any is; otherwise unknown.
    public var valid: Verdict
    public var lostWrite: CheckResult<LostWrite>
    public var unseen: CheckResult<UnseenWrite>
    public var duplicate: CheckResult<DuplicateValue>
    public var inconsistentOffsets: CheckResult<InconsistentOffset>
    public var abortedRead: CheckResult<AbortedRead>
    public var nonmonotonicSend: CheckResult<NonmonotonicSend>
    public var nonmonotonicPoll: CheckResult<NonmonotonicPoll>
    public var pollSkip: CheckResult<PollSkip>
    public var singleLeader: CheckResult<LeadershipViolation>
    /// Every workload process ended cleanly (no death, kill, overrun or fatal client error).
    public var clients: CheckResult<ClientFailure>
    /// Every broker the lab started stayed up until the lab stopped it (`BrokerExitChecker`).
    public var brokers: CheckResult<BrokerExit>
    /// The lost writes as ranges of offsets with who acknowledged them, who took over and what
    /// truncated them (at most the evidence limit).
    public var lostRanges: [LostRange]
    public var replicaAgreement: CheckResult<ReplicaDisagreement>
    public var staleLeader: CheckResult<StaleLeadership>
    public var hwMonotonic: CheckResult<HighWatermarkRegression>
    /// Event invariants, from the brokers' event logs and the timeline.
    public var uncleanElection: CheckResult<UncleanElection>
    public var leaderOutsideIsr: CheckResult<LeaderOutsideIsr>
    public var acksUnderMinIsr: CheckResult<AcksUnderMinIsr>
    public var stalledFollowerInIsr: CheckResult<StalledFollowerInIsr>
    public var pollAboveHw: CheckResult<PollAboveHighWatermark>
    /// Transactions (`TransactionCheckers`): not applicable when the history has none.
    public var txnAbortedRead: CheckResult<TransactionAbortedRead>
    public var txnLostWrite: CheckResult<TransactionLostWrite>
    public var tornTransaction: CheckResult<TornTransaction>
    public var eosDuplicate: CheckResult<ExactlyOnceDuplicate>
    /// Cycles of the committed transactions' dependency graph: ww only (G0), ww and wr (G1c).
    public var txnG0: CheckResult<TransactionCycle>
    public var txnG1c: CheckResult<TransactionCycle>
    /// Zombie fencing (`FencedCommitChecker`): not applicable when no producer was replaced.
    public var fencedCommit: CheckResult<FencedCommit>
    /// Leadership windows and zombie-leader overlaps: figures, not verdicts.
    public var leadershipWindows: [LeadershipWindow]
    public var leadershipOverlaps: [LeadershipOverlap]
    /// What was wrong with the inputs, if anything.
    public var historyProblems: InputProblems
    public var timelineProblems: InputProblems

    enum CodingKeys: String, CodingKey {
        case valid, unseen, duplicate
        case lostWrite = "lost_write"
        case lostRanges = "lost_ranges"
        case inconsistentOffsets = "inconsistent_offsets"
        case abortedRead = "aborted_read"
        case nonmonotonicSend = "nonmonotonic_send"
        case nonmonotonicPoll = "nonmonotonic_poll"
        case pollSkip = "poll_skip"
        case singleLeader = "single_leader"
        case clients, brokers
        case replicaAgreement = "replica_agreement"
        case staleLeader = "stale_leader"
        case hwMonotonic = "hw_monotonic"
        case uncleanElection = "unclean_election"
        case leaderOutsideIsr = "leader_outside_isr"
        case acksUnderMinIsr = "acks_under_min_isr"
        case stalledFollowerInIsr = "stalled_follower_in_isr"
        case pollAboveHw = "poll_above_hw"
        case txnAbortedRead = "txn_aborted_read"
        case txnLostWrite = "txn_lost_write"
        case tornTransaction = "torn_transaction"
        case eosDuplicate = "eos_duplicate"
        case txnG0 = "txn_g0"
        case txnG1c = "txn_g1c"
        case fencedCommit = "fenced_commit"
        case leadershipWindows = "leadership_windows"
        case leadershipOverlaps = "leadership_overlaps"
        case historyProblems = "history_problems"
        case timelineProblems = "timeline_problems"
    }

    /// Every check's verdict, in report order, by checker name.
    public var verdicts: [(checker: String, verdict: Verdict)] {
        [
            (lostWrite.checker, lostWrite.verdict), (unseen.checker, unseen.verdict),
            (duplicate.checker, duplicate.verdict), (inconsistentOffsets.checker, inconsistentOffsets.verdict),
            (abortedRead.checker, abortedRead.verdict), (nonmonotonicSend.checker, nonmonotonicSend.verdict),
            (nonmonotonicPoll.checker, nonmonotonicPoll.verdict), (pollSkip.checker, pollSkip.verdict),
            (singleLeader.checker, singleLeader.verdict),
            (clients.checker, clients.verdict), (brokers.checker, brokers.verdict),
            (replicaAgreement.checker, replicaAgreement.verdict), (staleLeader.checker, staleLeader.verdict),
            (hwMonotonic.checker, hwMonotonic.verdict),
            (uncleanElection.checker, uncleanElection.verdict), (leaderOutsideIsr.checker, leaderOutsideIsr.verdict),
            (acksUnderMinIsr.checker, acksUnderMinIsr.verdict), (stalledFollowerInIsr.checker, stalledFollowerInIsr.verdict),
            (pollAboveHw.checker, pollAboveHw.verdict),
            (txnAbortedRead.checker, txnAbortedRead.verdict), (txnLostWrite.checker, txnLostWrite.verdict),
            (tornTransaction.checker, tornTransaction.verdict), (eosDuplicate.checker, eosDuplicate.verdict),
            (txnG0.checker, txnG0.verdict), (txnG1c.checker, txnG1c.verdict),
            (fencedCommit.checker, fencedCommit.verdict),
        ]
    }

    /// Runs every checker. Each runs guarded: an error inside one makes that check `unknown`.
    /// `clients`: how each workload process ended (`clients.jsonl`); nil when not recorded, which
    /// makes the clients check unknown.
    /// `replicas` is the run's `replicas.json`; without it replica agreement is unknown.
    public init(history: History, timeline: Timeline, parameters: RunParameters = RunParameters(),
                clients: (exits: [ClientExit], problems: InputProblems)? = nil, replicas: ReplicaDigestInput = .absent) {
        let limit = parameters.evidenceLimit
        let index = HistoryIndex(history)
        let writes = Result { try LostWriteChecker.check(index, limit: limit) }
        lostWrite = .guarded("lost-write") { try writes.get().lost }
        unseen = .guarded("unseen") { try writes.get().unseen }
        lostRanges = (try? writes.get()).map { outcome in
            LostRange.build(outcome.allLost, survivingOffsets: outcome.survivingOffsets, timeline: timeline, limit: limit)
        } ?? []
        duplicate = .guarded("duplicate") { try OffsetValueCheckers.duplicates(index, replicas: replicas, limit: limit) }
        inconsistentOffsets = .guarded("inconsistent-offsets") {
            try OffsetValueCheckers.inconsistentOffsets(index, limit: limit)
        }
        abortedRead = .guarded("aborted-read") { try AbortedReadChecker.check(index, limit: limit) }
        nonmonotonicSend = .guarded("nonmonotonic-send") { OrderCheckers.nonmonotonicSends(index, limit: limit) }
        let polls = OrderCheckers.pollOrder(index, limit: limit)
        nonmonotonicPoll = .guarded("nonmonotonic-poll") { polls.nonmonotonic }
        pollSkip = .guarded("poll-skip") { polls.skip }
        let leadership = SingleLeaderChecker.check(timeline, limit: limit)
        singleLeader = .guarded("single-leader") { leadership.verdict }
        self.clients = ClientChecker.check(history: history, clients: clients, limit: limit)
        brokers = .guarded(BrokerExitChecker.name) { BrokerExitChecker.check(timeline, limit: limit) }
        // Each range of lost writes in words, where every report shows the checker's notes.
        let startNs = [history.ops.first?.timeNs, timeline.records.first?.timeNs].compactMap { $0 }.min() ?? 0
        lostWrite.notes += lostRanges.prefix(10).map { $0.words(startNs: startNs) }
        if lostRanges.count > 10 { lostWrite.notes.append("\(lostRanges.count - 10) more range(s) in report.json (lost_ranges)") }
        leadershipWindows = leadership.windows
        leadershipOverlaps = leadership.overlaps
        replicaAgreement = .guarded("replica-agreement") { ReplicaAgreementChecker.check(replicas, timeline: timeline, limit: limit) }
        staleLeader = .guarded("stale-leader") { StaleLeaderChecker.check(timeline, limit: limit) }
        hwMonotonic = .guarded("hw-monotonic") { HighWatermarkChecker.check(timeline, history: history, limit: limit) }
        let chain = PartitionStateChain(timeline)
        uncleanElection = .guarded("unclean-election") {
            LeaderElectionCheckers.uncleanElections(timeline, parameters: parameters, limit: limit)
        }
        leaderOutsideIsr = .guarded("leader-outside-isr") {
            LeaderElectionCheckers.leaderOutsideIsr(chain, timeline: timeline, parameters: parameters, limit: limit)
        }
        acksUnderMinIsr = .guarded("acks-under-min-isr") {
            AcksUnderMinIsrChecker.check(index, timeline: timeline, parameters: parameters, limit: limit)
        }
        stalledFollowerInIsr = .guarded("stalled-follower-in-isr") {
            StalledFollowerChecker.check(timeline, chain: chain, parameters: parameters, limit: limit)
        }
        pollAboveHw = .guarded("poll-above-hw") { PollAboveHighWatermarkChecker.check(history, timeline: timeline, limit: limit) }
        let transactions = TransactionCheckers.check(index, limit: limit)
        txnAbortedRead = transactions.abortedRead
        txnLostWrite = transactions.lostWrite
        tornTransaction = transactions.torn
        eosDuplicate = transactions.exactlyOnce
        txnG0 = transactions.g0
        txnG1c = transactions.g1c
        fencedCommit = .guarded(FencedCommitChecker.name) { FencedCommitChecker.check(history, limit: limit) }
        historyProblems = history.problems
        timelineProblems = timeline.problems
        valid = .valid
        valid = Verdict.combine(verdicts.map(\.verdict))
    }

    /// Pretty, key-sorted JSON for `report.json`.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }
}
