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
        var out = "## Schedule steps\n\n"
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
            let classes = report.steps.map { step -> String in
                switch step.status {
                case .applied, .held: return ""
                default: return "outcome-unknown"
                }
            }
            HTMLReport.table(&section, headers, rows(report), rowClasses: classes)
        }
    }

    static func json(_ report: RunReport) -> JSONValue {
        JSONText.tree(report.steps)
    }
}
