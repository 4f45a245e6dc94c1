import Verification

/// One expectation's outcome, with the evidence that decided it.
public struct ExpectationResult: Sendable, Codable, Equatable {
    public var name: String
    public var expected: String
    public var observed: String
    /// Nil when it could not be decided (a checker answered unknown).
    public var passed: Bool?
    public var evidence: String
}

/// Decides each expectation from the check report and the figures.
public enum ExpectationEvaluation {
    public static func evaluate(_ expectations: Expectations, history: History, report: CheckReport, figures: Figures,
                                steps: [StepOutcome] = [], plannedSteps: Int = 0) -> [ExpectationResult] {
        var results: [ExpectationResult] = []
        func verdict(_ name: String, _ expected: Bool?, _ verdict: Verdict, count: Int, what: String) {
            guard let expected else { return }
            let passed: Bool? = verdict == .unknown ? nil : (verdict == .valid) == expected
            results.append(ExpectationResult(name: name, expected: expected ? "none" : "some", observed: verdict == .unknown ? "unknown" : "\(count) \(what)",
                                             passed: passed, evidence: "checker verdict: \(verdict)"))
        }
        // Unseen writes are where the final read could not decide: no loss is proven, none ruled out.
        verdict("no_lost_writes", expectations.noLostWrites, Verdict.combine([report.lostWrite.verdict, report.unseen.verdict]),
                count: report.lostWrite.count, what: "lost")
        verdict("no_duplicates", expectations.noDuplicates, Verdict.combine([report.duplicate.verdict, report.inconsistentOffsets.verdict]),
                count: report.duplicate.count + report.inconsistentOffsets.count, what: "duplicate or inconsistent")
        verdict("order", expectations.order, Verdict.combine([report.nonmonotonicSend.verdict, report.nonmonotonicPoll.verdict, report.pollSkip.verdict]),
                count: report.nonmonotonicSend.count + report.nonmonotonicPoll.count + report.pollSkip.count, what: "order anomalies")
        verdict("single_leader", expectations.singleLeader, report.singleLeader.verdict, count: report.singleLeader.count, what: "leadership violations")
        if let detected = expectations.lostWritesDetected {
            // Loss found is loss found; no loss found only counts when nothing went unseen.
            let verdict = report.lostWrite.verdict == .invalid ? .invalid : Verdict.combine([report.lostWrite.verdict, report.unseen.verdict])
            let sawLoss = verdict == .invalid
            results.append(ExpectationResult(name: "lost_writes_detected", expected: detected ? "loss detected" : "no loss",
                                             observed: verdict == .unknown ? "unknown" : "\(report.lostWrite.count) lost",
                                             passed: verdict == .unknown ? nil : sawLoss == detected,
                                             evidence: "lost-write checker verdict: \(report.lostWrite.verdict), unseen: \(report.unseen.verdict)"))
        }
        let shrinks = figures.isr.reduce(0) { $0 + $1.shrinks }
        if let minimum = expectations.isrShrinksMin {
            results.append(ExpectationResult(name: "isr_shrinks.min", expected: ">= \(minimum)", observed: "\(shrinks)", passed: shrinks >= minimum,
                                             evidence: isrEvidence(figures)))
        }
        if let maximum = expectations.isrShrinksMax {
            results.append(ExpectationResult(name: "isr_shrinks.max", expected: "<= \(maximum)", observed: "\(shrinks)", passed: shrinks <= maximum,
                                             evidence: isrEvidence(figures)))
        }
        if let limit = expectations.maxConsumerLag {
            let maxLag = figures.lag.map(\.maxLag).max()
            results.append(ExpectationResult(name: "max_consumer_lag", expected: "<= \(limit)", observed: maxLag.map(String.init) ?? "no lag samples",
                                             passed: maxLag.map { $0 <= limit }, evidence: lagEvidence(figures)))
        }
        if let within = expectations.lagRecoversWithinMs {
            let slowest = figures.lag.map { $0.recoveryMs }
            let observed: String
            let passed: Bool?
            if slowest.isEmpty {
                observed = "no lag samples"
                passed = nil
            } else if slowest.contains(where: { $0 == nil }) {
                observed = "never recovered"
                passed = false
            } else {
                let worst = slowest.compactMap { $0 }.max() ?? 0
                observed = "\(Int(worst)) ms"
                passed = worst <= Double(within)
            }
            results.append(ExpectationResult(name: "lag_recovers_within", expected: "<= \(within) ms after the last fault", observed: observed,
                                             passed: passed, evidence: lagEvidence(figures)))
        }
        if let minimum = expectations.minAcknowledged {
            let acked = figures.counts.sendsAcknowledged
            results.append(ExpectationResult(name: "min_acknowledged", expected: ">= \(minimum)", observed: "\(acked)", passed: acked >= minimum,
                                             evidence: "\(figures.counts.sendsAttempted) sends attempted"))
        }
        if let limit = expectations.maxUnavailableMs {
            let longest = figures.unavailability.map(\.durationMs).max() ?? 0
            results.append(ExpectationResult(name: "availability.max_unavailable", expected: "<= \(limit) ms", observed: "\(Int(longest)) ms",
                                             passed: longest <= Double(limit), evidence: "\(figures.unavailability.count) unavailability window(s)"))
        }
        if !expectations.errorsSeen.isEmpty {
            var seen: [String: Int] = [:]
            for op in history.ops where op.f == .send && (op.type == .fail || op.type == .info) {
                if let error = op.error { seen[error, default: 0] += 1 }
            }
            for name in expectations.errorsSeen {
                let count = seen[name] ?? 0
                let others = seen.filter { $0.key != name }.sorted { $0.value > $1.value }.prefix(5).map { "\($0.key) ×\($0.value)" }
                results.append(ExpectationResult(name: "errors_seen.\(name)", expected: ">= 1 send failed with \(name)", observed: "\(count)",
                                                 passed: count > 0, evidence: others.isEmpty ? "no other send errors" : "other send errors: " + others.joined(separator: ", ")))
            }
        }
        results.append(everyCheck(expectations, report))
        if let stepsRun = stepsRun(steps, plannedSteps: plannedSteps, maxNotRun: expectations.maxStepsNotRun ?? 0) { results.append(stepsRun) }
        return results
    }

    /// Every scheduled step must run, or the run did not test what its playbook describes: a step
    /// that was refused, skipped after its condition timed out, not reached before the workload
    /// ended or cut off by an interruption makes this unknown (never failed: nothing was shown to
    /// be wrong, and never passed: what was asked for did not happen), unless the playbook allows
    /// that many (`max_steps_not_run`). A planned step without any record counts as not run. Nil
    /// for a run without steps.
    public static func stepsRun(_ steps: [StepOutcome], plannedSteps: Int, maxNotRun: Int) -> ExpectationResult? {
        let total = max(plannedSteps, steps.count)
        guard total > 0 else { return nil }
        let notRun = steps.filter { !$0.ran }
        let unrecorded = total - steps.count
        let count = notRun.count + unrecorded
        let expected = maxNotRun == 0 ? "every step runs" : "at most \(maxNotRun) step(s) not run"
        var evidence = notRun.prefix(10).map { "step \($0.index) (\($0.command) at \(Double($0.atMs) / 1000) s): \($0.summary)" }
        if notRun.count > 10 { evidence.append("and \(notRun.count - 10) more") }
        if unrecorded > 0 { evidence.append("\(unrecorded) planned step(s) have no record on the timeline") }
        return ExpectationResult(name: "steps_run", expected: expected,
                                 observed: count == 0 ? "all \(total) ran" : "\(count) of \(total) did not run",
                                 passed: count <= maxNotRun ? true : nil,
                                 evidence: evidence.isEmpty ? "every step ran" : evidence.joined(separator: "\n"))
    }

    /// Every checker must be valid, except those the playbook expects to fire: a run never passes
    /// with a checker that found something or could not judge, whichever expectations it states.
    /// `unavailable`: checkers (their own names) the run cannot support at all (an external
    /// cluster's), left out of this expectation and named in it; the report keeps them unknown.
    static func everyCheck(_ expectations: Expectations, _ report: CheckReport, unavailable: [String] = [],
                           place: String = "on an external cluster") -> ExpectationResult {
        var allowed = Set(expectations.allowedAnomalies ?? [])
        if expectations.lostWritesDetected == true { allowed.insert("lost_write") }
        // A check with nothing to judge in this run (no transactions) is left out: not a pass, not a failure.
        let judged = report.verdicts.filter {
            !allowed.contains(CheckNames.key($0.checker)) && !unavailable.contains($0.checker) && $0.verdict != .notApplicable
        }
        let invalid = judged.filter { $0.verdict == .invalid }.map(\.checker)
        let unknown = judged.filter { $0.verdict == .unknown }.map(\.checker)
        var expected = "every check valid" + (allowed.isEmpty ? "" : " (findings allowed: \(allowed.sorted().joined(separator: ", ")))")
        if !unavailable.isEmpty { expected += " except those not available \(place) (\(unavailable.joined(separator: ", ")))" }
        var observed: [String] = []
        if !invalid.isEmpty { observed.append("invalid: " + invalid.joined(separator: ", ")) }
        if !unknown.isEmpty { observed.append("unknown: " + unknown.joined(separator: ", ")) }
        let notes = report.verdicts.filter { !$0.verdict.isValid && $0.verdict != .notApplicable }.map { "\($0.checker) \($0.verdict)" }
        return ExpectationResult(
            name: "checks", expected: expected, observed: observed.isEmpty ? "all \(judged.count) valid" : observed.joined(separator: "; "),
            passed: !invalid.isEmpty ? false : (unknown.isEmpty ? true : nil),
            evidence: notes.isEmpty ? "every checker valid" : notes.joined(separator: ", "))
    }

    static func isrEvidence(_ figures: Figures) -> String {
        figures.isr.filter { $0.shrinks > 0 || $0.expands > 0 }
            .map { "\($0.topic)/\($0.partition): \($0.shrinks) shrink(s), \($0.expands) expand(s)" }.joined(separator: "; ")
    }

    static func lagEvidence(_ figures: Figures) -> String {
        figures.lag.map { "\($0.group) \($0.topic)/\($0.partition): max \($0.maxLag), end \($0.lagAtEnd)" + ($0.recoveryMs.map { ", recovered in \(Int($0)) ms" } ?? "") }
            .joined(separator: "; ")
    }

    /// Every expectation passed: true; one failed: false; otherwise (some unknown) nil.
    public static func overall(_ results: [ExpectationResult]) -> Bool? {
        if results.contains(where: { $0.passed == false }) { return false }
        if results.contains(where: { $0.passed == nil }) { return nil }
        return true
    }
}
