import Lab

/// A randomized fault schedule: a fault every `everyMs` (shifted by up to ±`jitterMs`), chosen from
/// `commands`, each healed after `healAfterMs`, from `startMs` until `untilMs` (a heal due after the workload
/// ends is covered by the final heal of every fault). The same seed gives
/// the same steps, so a run that found a problem can be replayed with `--seed`.
public struct RandomSchedule: Sendable, Equatable {
    public var startMs: Int64
    public var everyMs: Int64
    public var jitterMs: Int64
    public var healAfterMs: Int64?
    public var untilMs: Int64
    public var commands: [FaultCommand]

    public init(startMs: Int64, everyMs: Int64, jitterMs: Int64, healAfterMs: Int64?, untilMs: Int64, commands: [FaultCommand]) {
        self.startMs = startMs
        self.everyMs = everyMs
        self.jitterMs = jitterMs
        self.healAfterMs = healAfterMs
        self.untilMs = untilMs
        self.commands = commands
    }

    /// How many steps `steps(seed:)` gives, without drawing them.
    public var stepCount: Int {
        guard !commands.isEmpty, everyMs > 0, untilMs > startMs else { return 0 }
        return Int((untilMs - startMs + everyMs - 1) / everyMs)
    }

    public func steps(seed: UInt64) -> [RunPlan.Step] {
        guard !commands.isEmpty, everyMs > 0 else { return [] }
        var random = SeededRandom(seed: seed)
        var steps: [RunPlan.Step] = []
        var slot = startMs
        while slot < untilMs {
            let shift = jitterMs > 0 ? Int64(random.next() % UInt64(2 * jitterMs + 1)) - jitterMs : 0
            let at = min(max(slot + shift, 0), untilMs - 1)
            steps.append(RunPlan.Step(atMs: at, command: random.pick(commands), healAfterMs: healAfterMs))
            slot += everyMs
        }
        return steps
    }
}
