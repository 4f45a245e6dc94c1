import Foundation

/// What became of one step of a run's fault schedule, from the runner's `kind: "step"` timeline
/// records: when it was due, whether it waited for a condition and how that ended, and whether
/// its fault was applied. A step whose condition timed out is never `applied` unless the record
/// says it ran anyway (`on_timeout: run`).
public struct StepOutcome: Sendable, Hashable, Codable {
    public enum Status: String, Sendable, Hashable, Codable {
        /// The fault was applied (after its condition held, when it had one).
        case applied
        /// `await` step whose condition held: nothing to apply.
        case held
        /// The lab refused the fault (e.g. a target that did not exist at that moment).
        case refused
        /// The condition did not hold in time and the step was dropped.
        case timedOutSkipped = "timed_out_skipped"
        /// The condition did not hold in time and the step fired anyway (`on_timeout: run`).
        case timedOutApplied = "timed_out_applied"
        /// The workload ended before the step's time (or while it waited).
        case notReached = "not_reached"
        /// A signal (SIGINT, SIGTERM) stopped the run before the step ran.
        case interrupted
        /// The records stop without an ending (the run was killed).
        case unfinished
    }

    /// Whether the step ran as the schedule says: its fault was applied (after its condition held,
    /// or anyway when its condition timed out and it says `on_timeout: run`), or, for `await`, its
    /// condition held. A refused step, one skipped because its condition timed out, a step the
    /// workload or an interruption ended first, and one without an ending did not run.
    public var ran: Bool { status == .applied || status == .held || status == .timedOutApplied }

    /// 1-based, in schedule order.
    public var index: Int
    /// When the step was due, from the start of the workload.
    public var atMs: Int64
    public var command: String
    public var condition: String?
    public var status: Status
    /// When the wait began and when it ended (held or timed out), from the start of the workload.
    public var waitStartedMs: Int64?
    public var waitedMs: Int64?
    /// When the condition held, from the start of the workload.
    public var heldAtMs: Int64?
    /// The condition's measured value at the end of the wait, and what was seen.
    public var value: Int64?
    public var observed: String?
    /// When the fault was applied (or refused), from the start of the workload.
    public var firedAtMs: Int64?
    /// The lab's answer (applied) or its refusal.
    public var message: String?

    public init(index: Int, atMs: Int64, command: String, condition: String? = nil, status: Status) {
        self.index = index
        self.atMs = atMs
        self.command = command
        self.condition = condition
        self.status = status
    }

    enum CodingKeys: String, CodingKey {
        case index, command, condition, status, value, observed, message
        case atMs = "at_ms"
        case waitStartedMs = "wait_started_ms"
        case waitedMs = "waited_ms"
        case heldAtMs = "held_at_ms"
        case firedAtMs = "fired_at_ms"
    }

    /// One line: "held at +6.1 s after waiting 1200 ms (ISR [2] (1)); applied: crash broker(s) 2".
    public var summary: String {
        func seconds(_ ms: Int64) -> String { String(format: "+%.1f s", Double(ms) / 1000) }
        var parts: [String] = []
        if condition != nil {
            switch status {
            case .applied, .held, .refused:
                if let heldAtMs, let waitedMs { parts.append("held at \(seconds(heldAtMs)) after waiting \(waitedMs) ms") }
            case .timedOutSkipped, .timedOutApplied:
                parts.append("timed out after \(waitedMs ?? 0) ms")
            case .notReached, .interrupted, .unfinished:
                if let waitedMs { parts.append("still waiting after \(waitedMs) ms") }
            }
            if let observed { parts.append("(\(observed))") }
        }
        switch status {
        case .applied: parts.append("applied" + (firedAtMs.map { " at \(seconds($0))" } ?? ""))
        case .held: break
        case .refused: parts.append("refused: \(message ?? "")")
        case .timedOutSkipped: parts.append("step skipped")
        case .timedOutApplied: parts.append("applied anyway" + (firedAtMs.map { " at \(seconds($0))" } ?? ""))
        case .notReached: parts.append("not run: the workload ended first")
        case .interrupted: parts.append("not run: the run was interrupted")
        case .unfinished: parts.append("no outcome recorded")
        }
        return parts.joined(separator: " ")
    }
}

extension Timeline {
    /// Every schedule step the runner recorded, by index. Empty for runs recorded before step
    /// records existed, or started outside `samsa run`.
    public var stepOutcomes: [StepOutcome] {
        var outcomes: [Int: StepOutcome] = [:]
        for record in records {
            guard case .step(let step) = record.body else { continue }
            var outcome = outcomes[step.index] ?? StepOutcome(
                index: step.index, atMs: step.atMs, command: step.description, condition: step.condition, status: .unfinished)
            switch step.event {
            case .wait:
                outcome.waitStartedMs = step.elapsedMs
            case .held:
                outcome.waitedMs = step.waitedMs
                outcome.heldAtMs = step.elapsedMs
                outcome.value = step.value
                outcome.observed = step.observed
                outcome.status = .held
            case .timeout:
                outcome.waitedMs = step.waitedMs
                outcome.value = step.value
                outcome.observed = step.observed
                outcome.status = step.action == "ran" ? .timedOutApplied : .timedOutSkipped
            case .applied:
                outcome.firedAtMs = step.firedMs ?? step.elapsedMs
                outcome.message = step.message
                if outcome.status != .timedOutApplied { outcome.status = .applied }
            case .refused:
                outcome.firedAtMs = step.firedMs ?? step.elapsedMs
                outcome.message = step.error
                outcome.status = .refused
            case .notReached, .interrupted:
                if let waited = step.waitedMs { outcome.waitedMs = waited }
                outcome.status = step.event == .interrupted ? .interrupted : .notReached
            }
            outcomes[step.index] = outcome
        }
        return outcomes.keys.sorted().compactMap { outcomes[$0] }
    }
}
