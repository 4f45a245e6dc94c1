import Foundation
import Lab

/// The limits a fault schedule must fit before a run starts, so that every step it validates can
/// really run while the workload does.
///
/// The runner applies steps one at a time, each when its `at` has come and the step before it has
/// been applied, and applying one takes real time: measured on a 2-core machine under load (3,000
/// steps through the lab, `fired_ms` to the `applied` record), network faults and heals took 0-25
/// ms (p90), pause/resume under 25 ms, crash 24 ms median and 48 ms p90, restart 40 ms median and
/// 83 ms p90 (185 ms worst); a controlled `stop` waits for the broker to hand over leadership,
/// about 1 s. Each step is therefore counted at a budget above those figures (`costMs`), and the
/// schedule is replayed with them: a step that would start after the end of the workload, or more
/// than `maxLateMs` after its own `at`, is refused. That bounds density (on average at most 4
/// steps per second, bursts of at most 9 steps at one instant) without a separate rule.
///
/// Conditions (`when:`, `await`) are counted as holding at once: the best case. Steps that still
/// cannot run in a real run (a condition that waits, a slow lab) are recorded as not run and make
/// the run's verdict unknown (`steps_run`).
public enum StepBudget {
    /// Steps per playbook, after schedule files and `random:` blocks are expanded. A report lists
    /// every step; 1,000 is one fault every 3.6 s over the longest workload (1 h).
    public static let maxSteps = 1_000
    /// How far behind its `at` a step may start when the steps before it take their budget.
    public static let maxLateMs: Int64 = 2_000

    /// The time a step is counted at.
    public static func costMs(_ command: FaultCommand) -> Int64 {
        switch command {
        case .stop: return 2_000
        case .powerLoss: return 500
        case .awaitCondition: return 100
        default: return 250
        }
    }

    /// A step that does not fit, with why.
    public struct Problem: Equatable, Sendable {
        /// Position in `steps` (0-based).
        public var index: Int
        public var message: String
    }

    /// The first step that cannot start in time, or nil when every step fits. `steps` must be in
    /// the order they run (by `at`, then file order).
    public static func check(_ steps: [RunPlan.Step], durationMs: Int64) -> Problem? {
        var freeAtMs: Int64 = 0
        for (index, step) in steps.enumerated() {
            let startMs = max(step.atMs, freeAtMs)
            if startMs >= durationMs {
                return Problem(index: index, message: "step \(index + 1) ('\(step.command)' at \(format(step.atMs))) cannot start before the workload ends "
                    + "(\(format(durationMs))): the steps before it need until \(format(startMs)) to apply (\(budgetText))")
            }
            if startMs - step.atMs > maxLateMs {
                return Problem(index: index, message: "step \(index + 1) ('\(step.command)' at \(format(step.atMs))) would start \(format(startMs - step.atMs)) late: "
                    + "too many steps too close together (\(budgetText); at most \(format(maxLateMs)) late)")
            }
            freeAtMs = startMs + costMs(step.command)
        }
        return nil
    }

    static let budgetText = "each step is counted at 250 ms, stop at 2 s, power-loss at 500 ms, await at 100 ms"

    static func format(_ ms: Int64) -> String {
        ms % 1000 == 0 ? "\(ms / 1000)s" : String(format: "%.2fs", Double(ms) / 1000)
    }
}
