import Verification

/// The fault schedule as it ran: one row per step with when it was due, its condition, and how it
/// ended — held at +t after waiting w ms, timed out (skipped, or applied anyway), refused, not
/// reached. Rendered into report.md, report.html and report.json (`steps`).
enum StepsSection {
    static func rows(_ report: RunReport) -> [[String]] {
        report.steps.map { step in
            [String(step.index), Format.duration(ms: Double(step.atMs)), step.command, step.condition ?? "", step.summary]
        }
    }

    static let headers = ["#", "Due", "Step", "Condition", "Outcome"]

    static func markdown(_ report: RunReport) -> String {
        guard !report.steps.isEmpty else { return "" }
        var out = "## Schedule steps\n\n" + (notRunSentence(report).map { $0 + "\n\n" } ?? "")
        let waited = report.steps.filter { $0.condition != nil }
        if !waited.isEmpty {
            let timedOut = waited.filter { $0.status == .timedOutSkipped || $0.status == .timedOutApplied }.count
            out += "\(waited.count) step(s) waited for a condition; \(timedOut) timed out.\n\n"
        }
        return out + MarkdownReport.table(headers, rows(report))
    }

    static func html(_ body: inout MarkupWriter, _ report: RunReport) {
        guard !report.steps.isEmpty else { return }
        body.within("section", [("id", "steps")]) { section in
            section.element("h2", text: "Schedule steps")
            if let sentence = notRunSentence(report) { section.element("p", text: sentence) }
            let classes = report.steps.map { step -> String in
                switch step.status {
                case .applied, .held: return ""
                default: return "outcome-unknown"
                }
            }
            HTMLReport.table(&section, headers, rows(report), rowClasses: classes)
        }
    }

    /// "steps: 3 of 5 ran; 2 did not run: 1 refused, 1 not reached (the workload ended first)";
    /// nil for a run without steps.
    static func stepsLine(_ report: RunReport) -> String? {
        guard !report.steps.isEmpty else { return nil }
        return "steps: " + (notRunSentence(report) ?? "all \(report.steps.count) ran")
    }

    /// "2 of 5 steps did not run: 1 refused, 1 not reached (the workload ended first)"; nil when
    /// every step ran.
    static func notRunSentence(_ report: RunReport) -> String? {
        let notRun = report.steps.filter { !$0.ran }
        guard !notRun.isEmpty else { return nil }
        let kinds: [(StepOutcome.Status, String)] = [
            (.refused, "refused by the lab"), (.timedOutSkipped, "skipped (condition timed out)"),
            (.notReached, "not reached (the workload ended first)"), (.interrupted, "not run (the run was interrupted)"),
            (.unfinished, "without an outcome"),
        ]
        let parts = kinds.compactMap { kind -> String? in
            let count = notRun.filter { $0.status == kind.0 }.count
            return count == 0 ? nil : "\(count) \(kind.1)"
        }
        return "\(notRun.count) of \(report.steps.count) steps did not run: " + parts.joined(separator: ", ")
    }

    /// "conditions: 2 held (waited 252-406 ms), 1 timed out (skipped)"; nil without condition steps.
    static func terminalLine(_ report: RunReport) -> String? {
        let waited = report.steps.filter { $0.condition != nil }
        guard !waited.isEmpty else { return nil }
        let held = waited.filter { $0.heldAtMs != nil }
        var parts: [String] = []
        if !held.isEmpty {
            let waits = held.compactMap(\.waitedMs)
            let range = waits.min() == waits.max() ? "\(waits.first ?? 0) ms" : "\(waits.min() ?? 0)-\(waits.max() ?? 0) ms"
            parts.append("\(held.count) held (waited \(range))")
        }
        let skipped = waited.filter { $0.status == .timedOutSkipped }.count
        let ran = waited.filter { $0.status == .timedOutApplied }.count
        if skipped > 0 { parts.append("\(skipped) timed out (skipped)") }
        if ran > 0 { parts.append("\(ran) timed out (applied anyway)") }
        let unreached = waited.filter { $0.status == .notReached || $0.status == .interrupted || $0.status == .unfinished }.count
        if unreached > 0 { parts.append("\(unreached) not reached") }
        return "conditions: " + parts.joined(separator: ", ")
    }

    static func json(_ report: RunReport) -> JSONValue {
        JSONText.tree(report.steps)
    }
}
