import Lab
import Verification

/// A run's fault schedule, stepped by the runner's loop. Steps fire in order, each no earlier than
/// its `at` and only while the workload runs (`durationMs`): a step still queued when the workload
/// ends, however late the steps before it made it, is recorded as not reached and never fired. A
/// step with a condition (`when:`) waits from `at` — evaluating it on fresh reads at every turn of
/// the loop, about every 100 ms — until it holds (the step fires) or its timeout
/// passes (`on_timeout: skip`, the default, drops the step; `run` fires it anyway); the steps
/// after it wait with it, so a schedule reads as a sequence. `do: await CONDITION` is a wait with
/// nothing to fire. Timed heals (`heal_after`) count from when their step fired and go on while a
/// later step waits.
///
/// Every step's fate is on the timeline as Verification's `StepRecord` (`kind: "step"`): its `index`
/// (1-based, in schedule order), `at_ms`, `command` (as a value, with its text as `description`),
/// `condition` and `event`: `wait` (began waiting), `held` (with `waited_ms`, `value`, `observed`),
/// `timeout` (the same, and `action`: skipped|ran), `applied` (with `message`, `fault_id`,
/// `fired_ms`: when the lab was asked), `refused` (with `error`, `fired_ms`), `not_reached` (the
/// workload ended first), `interrupted` (the run was stopped by a signal first, with `signal`).
/// `elapsed_ms` is the time since the workload started when the record was written. Reports read
/// the same type back (`Timeline.stepOutcomes`).
///
/// Owner: the runner's schedule task; never shared.
final class ScheduleExecution {
    struct Pending {
        var index: Int
        var step: RunPlan.Step
        var condition: Condition?
        var timeoutMs: Int64
        var onTimeout: RunPlan.Step.TimeoutAction
        /// false for `await`: it only waits.
        var fires: Bool
    }

    private var queue: [Pending]
    private var waitStartedMs: Int64?
    private var heals: [(atMs: Int64, faultId: Int, command: FaultCommand)] = []
    let total: Int
    /// The workload's length: no step fires at or after it.
    let durationMs: Int64
    let session: any ScheduleSession
    let progress: ProgressReporter
    /// Milliseconds since the workload started.
    let elapsedMs: () -> Int64

    var done: Int { total - queue.count }

    init(steps: [RunPlan.Step], durationMs: Int64, session: any ScheduleSession, progress: ProgressReporter, elapsedMs: @escaping () -> Int64) {
        let ordered = steps.enumerated().sorted { ($0.element.atMs, $0.offset) < ($1.element.atMs, $1.offset) }.map(\.element)
        queue = ordered.enumerated().map { offset, step in
            var pending = Pending(index: offset + 1, step: step, condition: step.condition, timeoutMs: step.timeoutMs ?? RunPlan.Step.defaultTimeoutMs,
                                  onTimeout: step.onTimeout ?? .skip, fires: true)
            if case .awaitCondition(let condition, let timeoutMs) = step.command {
                pending.condition = condition
                pending.timeoutMs = Int64(timeoutMs)
                pending.fires = false
            }
            return pending
        }
        total = queue.count
        self.durationMs = durationMs
        self.session = session
        self.progress = progress
        self.elapsedMs = elapsedMs
    }

    /// Fires every step that is due, evaluates the waiting one once, and applies due heals.
    func advance() async {
        while let head = queue.first, head.step.atMs <= elapsedMs(), elapsedMs() < durationMs {
            guard let condition = head.condition else {
                queue.removeFirst()
                await fire(head)
                continue
            }
            let started = waitStartedMs ?? elapsedMs()
            if waitStartedMs == nil {
                waitStartedMs = started
                record(head, .wait) {
                    $0.timeoutMs = head.timeoutMs
                    $0.onTimeout = head.fires ? head.onTimeout.rawValue : "none"
                }
            }
            let sample = await session.sampleCondition(condition)
            let waited = elapsedMs() - started
            if sample.holds {
                queue.removeFirst()
                waitStartedMs = nil
                record(head, .held) { Self.measured(sample, waited: waited, into: &$0) }
                progress.event("step \(head.index)/\(total): \(condition) held after \(waited) ms (\(sample.observed))")
                if head.fires { await fire(head) }
                continue
            }
            guard waited >= head.timeoutMs else { break }
            queue.removeFirst()
            waitStartedMs = nil
            let runs = head.fires && head.onTimeout == .run
            record(head, .timeout) {
                Self.measured(sample, waited: waited, into: &$0)
                $0.action = runs ? "ran" : "skipped"
            }
            progress.event("step \(head.index)/\(total): \(condition) did not hold within \(head.timeoutMs) ms (\(sample.observed))"
                + (head.fires ? (runs ? "; firing it anyway (on_timeout: run)" : "; step skipped") : ""))
            if runs { await fire(head) }
        }
        let now = elapsedMs()
        for heal in heals where heal.atMs <= now {
            let response = await session.apply(.heal(faultId: heal.faultId))
            progress.event("healed fault \(heal.faultId) (\(heal.command))" + (response.ok ? "" : ": \(response.error ?? "")"))
        }
        heals.removeAll { $0.atMs <= now }
    }

    /// The workload ended (`interruptedBy` nil) or a signal stopped the run: steps still queued
    /// never ran. Each is recorded; the terminal gets one line per step for a few, then a count.
    func finish(interruptedBy signal: String? = nil) {
        let shownMax = 5
        for (position, pending) in queue.enumerated() {
            let waitedMs = pending.index == queue.first?.index ? waitStartedMs.map { elapsedMs() - $0 } : nil
            record(pending, signal == nil ? .notReached : .interrupted) {
                $0.waitedMs = waitedMs
                $0.signal = signal
            }
            let why = signal.map { "not run: the run was interrupted by \($0)" } ?? "not run: the workload ended first"
            if position < shownMax { progress.event("step \(pending.index)/\(total): \(pending.step.command) — \(why)") }
        }
        if queue.count > shownMax {
            progress.event("\(queue.count - shownMax) more step(s) not run (\(signal.map { "interrupted by \($0)" } ?? "the workload ended first"))")
        }
        queue.removeAll()
    }

    private func fire(_ pending: Pending) async {
        let firedMs = elapsedMs()
        let response = await session.apply(pending.step.command)
        let at = "at \(Double(firedMs) / 1000)s"
        if response.ok {
            record(pending, .applied) {
                $0.message = response.message ?? ""
                $0.firedMs = firedMs
                $0.faultId = response.fault.map { String($0.id) }
            }
            progress.event("step \(pending.index)/\(total) \(at): \(pending.step.command) — \(response.message ?? "")")
            if let healAfter = pending.step.healAfterMs, let id = response.fault?.id {
                heals.append((firedMs + healAfter, id, pending.step.command))
            }
        } else {
            // A step that cannot apply now (a target that no longer exists) is reported, not fatal.
            record(pending, .refused) {
                $0.error = response.error ?? ""
                $0.firedMs = firedMs
            }
            progress.event("step \(pending.index)/\(total) \(at): \(pending.step.command) — refused: \(response.error ?? "")")
            session.timeline.append(.faultRefused(FaultRefusedRecord(command: pending.step.command, error: response.error ?? "")))
        }
    }

    private static func measured(_ sample: ConditionSample, waited: Int64, into record: inout StepRecord) {
        record.waitedMs = waited
        record.observed = sample.observed
        record.value = sample.value
    }

    /// Writes the step's `event`, with the fields `details` sets for it.
    private func record(_ pending: Pending, _ event: StepRecord.Event, _ details: (inout StepRecord) -> Void = { _ in }) {
        var record = StepRecord(index: pending.index, atMs: pending.step.atMs, command: pending.step.command,
                                condition: pending.condition?.description, event: event, elapsedMs: elapsedMs())
        details(&record)
        session.timeline.append(.step(record))
    }
}

extension RunPlan {
    /// Whether a step uses `power-loss`: the cluster must then start with durability tracking.
    public var usesPowerLoss: Bool {
        steps.contains { step in
            if case .powerLoss = step.command { return true }
            return false
        }
    }
}
