import Lab

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
/// Every step's fate is on the timeline as `kind: "step"` records with its `index` (1-based, in
/// schedule order), `at_ms`, `command`, `condition` and `event`: `wait` (began waiting), `held`
/// (with `waited_ms`, `value`, `observed`), `timeout` (the same, and `action`: skipped|ran),
/// `applied` (with `message`, `fault_id`, `fired_ms`: when the lab was asked), `refused` (with
/// `error`, `fired_ms`), `not_reached` (the workload ended first), `interrupted` (the run was
/// stopped by a signal first, with `signal`). `elapsed_ms` is the time since
/// the workload started when the record was written. Reports read them back
/// (`Timeline.stepOutcomes`).
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
                record(head, "wait", ["timeout_ms": Int(head.timeoutMs), "on_timeout": head.fires ? head.onTimeout.rawValue : "none"])
            }
            let sample = await session.sampleCondition(condition)
            let waited = elapsedMs() - started
            if sample.holds {
                queue.removeFirst()
                waitStartedMs = nil
                record(head, "held", measured(sample, waited: waited))
                progress.event("step \(head.index)/\(total): \(condition) held after \(waited) ms (\(sample.observed))")
                if head.fires { await fire(head) }
                continue
            }
            guard waited >= head.timeoutMs else { break }
            queue.removeFirst()
            waitStartedMs = nil
            let runs = head.fires && head.onTimeout == .run
            var fields = measured(sample, waited: waited)
            fields["action"] = runs ? "ran" : "skipped"
            record(head, "timeout", fields)
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
            var fields: [String: Any] = [:]
            if pending.index == queue.first?.index, let started = waitStartedMs { fields["waited_ms"] = Int(elapsedMs() - started) }
            if let signal { fields["signal"] = signal }
            record(pending, signal == nil ? "not_reached" : "interrupted", fields)
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
            var fields: [String: Any] = ["message": response.message ?? "", "fired_ms": Int(firedMs)]
            if let id = response.fault?.id { fields["fault_id"] = String(id) }
            record(pending, "applied", fields)
            progress.event("step \(pending.index)/\(total) \(at): \(pending.step.command) — \(response.message ?? "")")
            if let healAfter = pending.step.healAfterMs, let id = response.fault?.id {
                heals.append((firedMs + healAfter, id, pending.step.command))
            }
        } else {
            // A step that cannot apply now (a target that no longer exists) is reported, not fatal.
            record(pending, "refused", ["error": response.error ?? "", "fired_ms": Int(firedMs)])
            progress.event("step \(pending.index)/\(total) \(at): \(pending.step.command) — refused: \(response.error ?? "")")
            session.timeline.append(kind: .faultRefused, ["command": pending.step.command.description, "error": response.error ?? ""])
        }
    }

    private func measured(_ sample: ConditionSample, waited: Int64) -> [String: Any] {
        var fields: [String: Any] = ["waited_ms": Int(waited), "observed": sample.observed]
        if let value = sample.value { fields["value"] = Int(value) }
        return fields
    }

    private func record(_ pending: Pending, _ event: String, _ extra: [String: Any]) {
        var fields = extra
        fields["index"] = pending.index
        fields["at_ms"] = Int(pending.step.atMs)
        fields["command"] = pending.step.command.description
        if let condition = pending.condition { fields["condition"] = condition.description }
        fields["event"] = event
        fields["elapsed_ms"] = Int(elapsedMs())
        session.timeline.append(kind: .step, fields)
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
