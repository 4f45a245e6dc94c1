import Verification

/// What `samsa run` and `samsa check` print when a run ends: the verdict line, each expectation
/// with ✓/✗/?, the checks that did not pass, and the key figures. Every user-supplied string is
/// stripped of control characters, so a hostile topic name cannot move the cursor or forge a
/// verdict line.
public enum TerminalSummary {
    /// Evidence lines shown per failed expectation; the files have the rest.
    public static let evidenceLines = 3

    /// Colour only on a terminal, and never when `NO_COLOR` is set to anything non-empty
    /// (no-color.org) or the terminal is `dumb`.
    public static func wantsColour(isTerminal: Bool, environment: [String: String]) -> Bool {
        guard isTerminal else { return false }
        if let noColour = environment["NO_COLOR"], !noColour.isEmpty { return false }
        return environment["TERM"] != "dumb"
    }

    public static func render(_ report: RunReport, colour: Bool) -> String {
        let paint = Paint(enabled: colour)
        let verdict = report.verdict
        var lines: [String] = []
        let word = paint.verdict(verdict, Format.verdictWord(verdict))
        lines.append("\(word)  \(clean(report.runName)) (playbook \(clean(report.playbook.name))): \(clean(Summary.verdictSentence(report)))")
        for expectation in report.expectations {
            let mark = paint.outcome(expectation.passed, Summary.mark(expectation.passed))
            lines.append("  \(mark) \(clean(expectation.name)): expected \(clean(expectation.expected)), observed \(clean(expectation.observed))")
            if expectation.passed != true {
                let evidence = expectation.evidence.split(separator: "\n", omittingEmptySubsequences: true)
                for line in evidence.prefix(evidenceLines) { lines.append("      " + paint.dim(clean(String(line)))) }
                if evidence.count > evidenceLines { lines.append("      " + paint.dim("(\(evidence.count - evidenceLines) more lines in report.md)")) }
            }
        }
        lines.append("  " + checksLine(report, paint))
        // What went wrong, in words: the lost ranges and the clients that failed.
        let ranges = report.checks.lostRanges
        for range in ranges.prefix(evidenceLines) { lines.append("    " + paint.dim(clean("lost: " + range.words(startNs: report.startNs)))) }
        if ranges.count > evidenceLines { lines.append("    " + paint.dim("(\(ranges.count - evidenceLines) more lost ranges in report.md)")) }
        for failure in report.checks.clients.anomalies.prefix(evidenceLines) {
            lines.append("    " + paint.dim(clean("client \(failure.process): \(failure.summary)")))
        }
        for exit in report.checks.brokers.anomalies.prefix(evidenceLines) {
            let how = exit.signal.map { "killed by signal \($0)" } ?? exit.exitCode.map { "exited with \($0)" } ?? "ended"
            let said = exit.lastOutput?.split(separator: "\n").last.map { ": " + String($0) } ?? ""
            lines.append("    " + paint.dim(clean("broker-\(exit.broker) \(how) on its own\(said)")))
        }
        lines.append(contentsOf: figureLines(report).map { "  " + $0 })
        return lines.joined(separator: "\n") + "\n"
    }

    static func clean(_ text: String) -> String { Escape.terminal(text) }

    private static func checksLine(_ report: RunReport, _ paint: Paint) -> String {
        let applicable = report.checks.verdicts.filter { $0.verdict != .notApplicable }
        let failing = applicable.filter { $0.verdict != .valid }
        guard !failing.isEmpty else { return "checks: all \(applicable.count) valid" }
        let counts = Dictionary(report.checkSections.map { ($0.checker, $0.count) }, uniquingKeysWith: { a, _ in a })
        return "checks: " + failing.map { check in
            let count = counts[check.checker].map { $0 > 0 ? " (\(Format.count($0)))" : "" } ?? ""
            return paint.verdict(check.verdict, "\(check.checker) \(check.verdict.rawValue)\(count)")
        }.joined(separator: ", ")
    }

    /// Sends by outcome. A transactional send's own completion says little (its record is visible
    /// only if its transaction commits), so those are counted by their transaction's outcome,
    /// apart from the plain sends.
    static func sendFigures(_ counts: OperationCounts) -> String {
        guard counts.transactionalSends > 0 else {
            return "\(Format.count(counts.sendsAttempted)) attempted, \(Format.count(counts.sendsAcknowledged)) acknowledged, "
                + "\(Format.count(counts.sendsFailed)) failed, \(Format.count(counts.sendsIndeterminate)) indeterminate; "
        }
        var text = "\(Format.count(counts.sendsAttempted)) attempted; "
        if counts.plainSends > 0 {
            text += "\(Format.count(counts.plainSends)) plain: \(Format.count(counts.plainAcknowledged)) acknowledged, "
                + "\(Format.count(counts.plainFailed)) failed, \(Format.count(counts.plainIndeterminate)) indeterminate; "
        }
        text += "\(Format.count(counts.transactionalSends)) in transactions: \(Format.count(counts.transactionalCommitted)) committed, "
            + "\(Format.count(counts.transactionalAborted)) aborted, \(Format.count(counts.transactionalUnknown)) unknown"
        if counts.transactionalFailed > 0 { text += ", \(Format.count(counts.transactionalFailed)) failed" }
        return text + "; "
    }

    private static func figureLines(_ report: RunReport) -> [String] {
        let figures = report.figures
        let counts = figures.counts
        var lines = [
            "sends: " + sendFigures(counts)
                + "lost \(Format.count(counts.lost)), unseen \(Format.count(counts.unseen)), duplicates \(Format.count(counts.duplicates))",
        ]
        if let latency = figures.produceLatency {
            lines.append("produce latency: p50 \(Format.duration(ms: latency.p50Ms)), p99 \(Format.duration(ms: latency.p99Ms)), max \(Format.duration(ms: latency.maxMs))")
        }
        var isr = "ISR: \(figures.isrShrinks) shrinks, \(figures.isrExpands) expands"
        if let worst = figures.isr.max(by: { $0.underMinIsrMs < $1.underMinIsrMs }), worst.underMinIsrMs > 0 {
            isr += "; longest under min ISR: \(clean(Format.partition(worst.topic, worst.partition))) \(Format.duration(ms: worst.underMinIsrMs))"
        }
        lines.append(isr)
        if !figures.failovers.isEmpty {
            let times = figures.failovers.compactMap(\.failoverMs)
            let slowest = times.max().map { ", slowest \(Format.duration(ms: $0))" } ?? ""
            let never = figures.failovers.count - times.count
            lines.append("failovers: \(figures.failovers.count)\(slowest)" + (never > 0 ? ", \(never) never acknowledged again" : ""))
        }
        if !figures.unavailability.isEmpty {
            let longest = figures.unavailability.map(\.durationMs).max() ?? 0
            let windows = figures.unavailability.count == 1 ? "1 window" : "\(figures.unavailability.count) windows"
            lines.append("unavailability: \(windows), longest \(Format.duration(ms: longest))")
        }
        for group in figures.lagByGroup {
            let recovery = group.recoveryMs.map { ", recovered \(Format.duration(ms: $0)) after the last fault" }
                ?? (group.unrecoveredPartitions > 0 ? ", \(group.unrecoveredPartitions) partition(s) never caught up" : "")
            lines.append("lag \(clean(group.group)): max \(Format.count(group.maxLag)), at end \(Format.count(group.lagAtEnd))\(recovery)")
        }
        if !report.faults.isEmpty {
            let shown = report.faults.prefix(5).map { window in
                "\(clean(Format.fault(window))) at \(Format.offset(window.startNs, from: report.startNs)) for \(Format.duration(ms: window.durationMs))"
            }
            let more = report.faults.count > 5 ? ", and \(report.faults.count - 5) more" : ""
            lines.append("faults: " + shown.joined(separator: "; ") + more)
        }
        if let steps = StepsSection.stepsLine(report) { lines.append(steps) }
        if let conditions = StepsSection.terminalLine(report) { lines.append(conditions) }
        return lines
    }
}

/// ANSI SGR colours, or nothing.
struct Paint {
    var enabled: Bool

    func wrap(_ code: String, _ text: String) -> String { enabled ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }

    func verdict(_ verdict: Verdict, _ text: String) -> String {
        switch verdict {
        case .valid: return wrap("1;32", text)
        case .invalid: return wrap("1;31", text)
        case .unknown: return wrap("1;33", text)
        case .notApplicable: return wrap("2", text)
        }
    }

    func outcome(_ passed: Bool?, _ text: String) -> String {
        verdict(passed.map { $0 ? .valid : .invalid } ?? .unknown, text)
    }

    func dim(_ text: String) -> String { wrap("2", text) }
}
