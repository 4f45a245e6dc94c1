import Lab
import Report
import Verification

/// The checkers whose evidence only a lab of Samsa's own brokers records — each broker's event log
/// (leadership changes, ISR changes, high watermarks with their epochs), its metrics endpoint and
/// its data directory. On an external cluster that evidence does not exist, and finding no anomaly
/// in evidence that does not exist is no pass: these checks are `unknown`, with a note saying why,
/// and an expectation resting on one (`single_leader`) is unknown too. The history checkers (lost
/// writes, duplicates, order, offsets, clients) need only the clients' own records and keep their
/// verdicts; the run's `checks` expectation judges those (`ExpectationEvaluation.everyCheck`).
/// The shell's `check` judges a session the same way (`judge`).
public enum ExternalEvidence {
    public static let note = "not available on an external cluster"

    static let events = "it needs Samsa's broker event logs"

    /// Checker names with why each cannot judge an external cluster.
    static let unavailable: [(checker: String, why: String)] = [
        ("single-leader", "\(events) and metrics (each broker's own leadership claims); Metadata shows one leader per answer"),
        ("replica-agreement", "it reads every replica's log from the brokers' data directories"),
        ("stale-leader", events),
        ("hw-monotonic", "\(events) (leader epochs with each high watermark); ListOffsets samples are on the timeline"),
        ("unclean-election", events),
        ("leader-outside-isr", events),
        ("acks-under-min-isr", events),
        ("stalled-follower-in-isr", events),
        ("poll-above-hw", events),
        ("brokers", "the lab does not start or watch an external cluster's broker processes"),
    ]

    static var unavailableCheckers: [String] { unavailable.map(\.checker) }

    /// The checks a run cannot judge, with the note they get and the words of the `checks`
    /// expectation: an external cluster's, or a launcher's whose brokers leave no Samsa evidence.
    static func missing(_ plan: RunPlan) -> (note: String, place: String, unavailable: [(checker: String, why: String)])? {
        missing(external: plan.external != nil, launcher: plan.launcher)
    }

    /// The same for a cluster that is `external`, or a lab whose brokers `launcher` launched.
    static func missing(external: Bool, launcher: BrokerLauncher?) -> (note: String, place: String, unavailable: [(checker: String, why: String)])? {
        if external { return (note, "on an external cluster", unavailable) }
        guard let launcher, !launcher.missingEvidence.isEmpty else { return nil }
        return ("not available from a \(launcher.name) broker", "from a \(launcher.name) broker", launcher.missingEvidence)
    }

    /// Judges `checks` as `samsa run` does on such a cluster: the checks it cannot support are
    /// marked unknown with their reason, and the returned `checks` expectation asks every other
    /// check to be valid (naming those left out). Nil, and `checks` untouched, when the cluster
    /// leaves all of Samsa's evidence.
    public static func judge(_ checks: inout CheckReport, external: Bool, launcher: BrokerLauncher?) -> Expectation? {
        guard let missing = missing(external: external, launcher: launcher) else { return nil }
        mark(&checks, note: missing.note, unavailable: missing.unavailable)
        let result = ExpectationEvaluation.everyCheck(Expectations(), checks, unavailable: missing.unavailable.map(\.checker), place: missing.place)
        return Expectation(name: result.name, expected: result.expected, observed: result.observed, passed: result.passed, evidence: result.evidence)
    }

    /// Marks the checks that need the lab's own evidence unknown, and recomputes the overall verdict.
    static func mark(_ checks: inout CheckReport, note: String = note, unavailable: [(checker: String, why: String)] = unavailable) {
        func mark<A>(_ result: inout CheckResult<A>) {
            guard let why = unavailable.first(where: { $0.checker == result.checker })?.why else { return }
            result.verdict = .unknown
            result.notes.append("\(note): \(why)")
        }
        mark(&checks.singleLeader)
        mark(&checks.replicaAgreement)
        mark(&checks.staleLeader)
        mark(&checks.hwMonotonic)
        mark(&checks.uncleanElection)
        mark(&checks.leaderOutsideIsr)
        mark(&checks.acksUnderMinIsr)
        mark(&checks.stalledFollowerInIsr)
        mark(&checks.pollAboveHw)
        mark(&checks.brokers)
        checks.valid = Verdict.combine(checks.verdicts.map(\.verdict))
    }
}
