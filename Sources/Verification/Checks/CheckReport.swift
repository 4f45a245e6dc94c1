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
    /// Event invariants, from the brokers' event logs and the timeline.
    public var uncleanElection: CheckResult<UncleanElection>
    public var leaderOutsideIsr: CheckResult<LeaderOutsideIsr>
    public var acksUnderMinIsr: CheckResult<AcksUnderMinIsr>
    public var stalledFollowerInIsr: CheckResult<StalledFollowerInIsr>
    public var pollAboveHw: CheckResult<PollAboveHighWatermark>
    /// Leadership windows and zombie-leader overlaps: figures, not verdicts.
    public var leadershipWindows: [LeadershipWindow]
    public var leadershipOverlaps: [LeadershipOverlap]
    /// What was wrong with the inputs, if anything.
    public var historyProblems: InputProblems
    public var timelineProblems: InputProblems

    enum CodingKeys: String, CodingKey {
        case valid, unseen, duplicate
        case lostWrite = "lost_write"
        case inconsistentOffsets = "inconsistent_offsets"
        case abortedRead = "aborted_read"
        case nonmonotonicSend = "nonmonotonic_send"
        case nonmonotonicPoll = "nonmonotonic_poll"
        case pollSkip = "poll_skip"
        case singleLeader = "single_leader"
        case uncleanElection = "unclean_election"
        case leaderOutsideIsr = "leader_outside_isr"
        case acksUnderMinIsr = "acks_under_min_isr"
        case stalledFollowerInIsr = "stalled_follower_in_isr"
        case pollAboveHw = "poll_above_hw"
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
            (uncleanElection.checker, uncleanElection.verdict), (leaderOutsideIsr.checker, leaderOutsideIsr.verdict),
            (acksUnderMinIsr.checker, acksUnderMinIsr.verdict), (stalledFollowerInIsr.checker, stalledFollowerInIsr.verdict),
            (pollAboveHw.checker, pollAboveHw.verdict),
        ]
    }

    /// Runs every checker. Each runs guarded: an error inside one makes that check `unknown`.
    public init(history: History, timeline: Timeline, parameters: RunParameters = RunParameters()) {
        let limit = parameters.evidenceLimit
        let index = HistoryIndex(history)
        let writes = Result { try LostWriteChecker.check(index, limit: limit) }
        lostWrite = .guarded("lost-write") { try writes.get().lost }
        unseen = .guarded("unseen") { try writes.get().unseen }
        duplicate = .guarded("duplicate") { try OffsetValueCheckers.duplicates(index, limit: limit) }
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
        leadershipWindows = leadership.windows
        leadershipOverlaps = leadership.overlaps
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
