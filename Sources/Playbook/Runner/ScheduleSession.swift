import Lab

/// What a fault schedule runs against: the lab (`LabSession`) or an external cluster
/// (`ExternalSession`). Steps are applied, conditions sampled and step records written the same
/// way on both, so a playbook's schedule means the same thing wherever it runs.
protocol ScheduleSession: Sendable {
    var timeline: TimelineLog { get }
    /// Applies a fault (or waits for an `await`), answering as the lab's control socket does.
    func apply(_ command: FaultCommand) async -> ControlResponse
    /// One evaluation of a step's `when:` condition on fresh reads.
    func sampleCondition(_ condition: Condition) async -> ConditionSample
    /// The faults applied and not yet healed, and the latest observed state, for progress lines.
    func progressView() async -> (faults: [ActiveFault], snapshot: Observer.Snapshot)
}

extension LabSession: ScheduleSession {
    func sampleCondition(_ condition: Condition) async -> ConditionSample { await conditions.sample(condition) }

    func progressView() async -> (faults: [ActiveFault], snapshot: Observer.Snapshot) { (await faults.active, observer.snapshot) }
}

extension ExternalSession: ScheduleSession {
    func sampleCondition(_ condition: Condition) async -> ConditionSample { await sample(condition) }

    func progressView() async -> (faults: [ActiveFault], snapshot: Observer.Snapshot) { (await executor.active, observer.snapshot) }
}
