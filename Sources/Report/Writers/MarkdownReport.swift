import Verification

/// `report.md`: the run for a person reading a pull request or a terminal pager. Verdict first,
/// then expectations, each check with its first evidence, figures and the faults. Evidence goes in
/// fenced code blocks, everything else through `Escape.markdownInline`, so user data can neither
/// break a table nor inject HTML.
public enum MarkdownReport {
    public static let fileName = "report.md"
    /// Anomalies shown per failing check; report.json and report.html list more.
    public static let evidenceShown = 5

    public static func render(_ report: RunReport) -> String {
        var out = ""
        let verdict = report.verdict
        out += "# samsa report: \(inline(report.runName))\n\n"
        out += "**Verdict: \(Format.verdictWord(verdict))**: \(inline(Summary.verdictSentence(report))).\n\n"
        var facts = ["Playbook: \(inline(report.playbook.name))"]
        if let description = report.playbook.description, !description.isEmpty { facts.append("Description: \(inline(description))") }
        if let seed = report.seed { facts.append("Seed: \(seed)") }
        facts.append("Duration: \(Format.duration(ms: report.durationMs))")
        facts.append("Brokers: \(report.cluster.brokers.map(String.init).joined(separator: ", "))")
        facts.append("Topics: \(inline(Summary.topics(report.cluster)))")
        out += facts.map { "- \($0)\n" }.joined() + "\n"
        out += expectations(report)
        out += checks(report)
        out += figures(report)
        out += faults(report)
        out += StepsSection.markdown(report)
        return out
    }

    static func inline(_ text: String) -> String { Escape.markdownInline(text) }

    static func table(_ headers: [String], _ rows: [[String]]) -> String {
        var out = "| " + headers.map(inline).joined(separator: " | ") + " |\n"
        out += "|" + headers.map { _ in " --- |" }.joined() + "\n"
        for row in rows { out += "| " + row.map(inline).joined(separator: " | ") + " |\n" }
        return out + "\n"
    }

    private static func expectations(_ report: RunReport) -> String {
        var out = "## Expectations\n\n"
        guard !report.expectations.isEmpty else {
            return out + "The playbook stated no expectations; the verdict is the checkers'.\n\n"
        }
        out += table(["", "Expectation", "Expected", "Observed", "Outcome"], report.expectations.map { expectation in
            [Summary.mark(expectation.passed), expectation.name, expectation.expected, expectation.observed,
             Format.outcomeWord(expectation.passed)]
        })
        for expectation in report.expectations where expectation.passed != true && !expectation.evidence.isEmpty {
            out += "**\(inline(expectation.name))** (\(Format.outcomeWord(expectation.passed))):\n\n"
            out += Escape.markdownCodeBlock(expectation.evidence) + "\n"
        }
        return out
    }

    private static func checks(_ report: RunReport) -> String {
        let sections = report.checkSections
        var out = "## Checks\n\n"
        out += table(["", "Checker", "Verdict", "Anomalies"], sections.map { check in
            [Summary.mark(check.verdict), check.checker, check.verdict.rawValue, Format.count(check.count)]
        })
        // Valid checks too when they have notes: what they judged, and what they set aside (a client's
        // own duplicates, say) is part of the evidence.
        for check in sections where check.verdict != .valid || !check.notes.isEmpty {
            out += "### \(inline(check.checker)): \(check.verdict.rawValue)\n\n"
            for note in check.notes { out += "- \(inline(note))\n" }
            if !check.notes.isEmpty { out += "\n" }
            guard !check.evidence.isEmpty else { continue }
            let shown = check.evidence.prefix(evidenceShown)
            out += "First \(shown.count) of \(Format.count(check.count)) anomalies:\n\n"
            out += Escape.markdownCodeBlock(shown.map(JSONText.compact).joined(separator: "\n"), language: "json") + "\n"
        }
        return out
    }

    private static func figures(_ report: RunReport) -> String {
        let figures = report.figures
        var out = "## Figures\n\n### Operations\n\n"
        out += table(["Figure", "Value"], ReportRows.operations(figures.counts))
        out += "### Produce latency\n\n"
        out += ReportRows.latency(figures.produceLatency).map { table(["Percentile", "Latency"], $0) } ?? "No send was acknowledged.\n\n"
        out += "### ISR: \(figures.isrShrinks) shrinks, \(figures.isrExpands) expands\n\n"
        out += figures.isr.isEmpty ? "The observers sampled no partition.\n\n" : table(ReportRows.isrHeaders, figures.isr.map(ReportRows.isr))
        out += list(report, "Unavailability windows", ReportRows.unavailabilityHeaders,
                    figures.unavailability.map { ReportRows.unavailability($0, report) }, empty: "No partition was seen unavailable.")
        out += list(report, "Failovers", ReportRows.failoverHeaders, figures.failovers.map { ReportRows.failover($0, report) },
                    empty: "No fault hit a partition's leader.")
        out += "### Consumer lag\n\n"
        out += figures.lag.isEmpty
            ? "No consumer lag was sampled.\n\n" : table(ReportRows.groupLagHeaders, figures.lagByGroup.map(ReportRows.groupLag))
        out += list(report, "Overlapping leadership", ReportRows.overlapHeaders,
                    report.checks.leadershipOverlaps.map { ReportRows.overlap($0, report) },
                    empty: "No two brokers led a partition at the same time.")
        return out
    }

    private static func list(_ report: RunReport, _ title: String, _ headers: [String], _ rows: [[String]], empty: String) -> String {
        var out = "### \(title) (\(rows.count))\n\n"
        guard !rows.isEmpty else { return out + empty + "\n\n" }
        out += table(headers, Array(rows.prefix(report.evidenceLimit)))
        if rows.count > report.evidenceLimit { out += "First \(report.evidenceLimit) of \(rows.count) listed.\n\n" }
        return out
    }

    private static func faults(_ report: RunReport) -> String {
        var out = "## Faults\n\n"
        guard !report.faults.isEmpty else { return out + "No faults were injected.\n" }
        out += table(["Start", "End", "Duration", "Fault", "Targets", "Command"], report.faults.map { window in
            [
                Format.offset(window.startNs, from: report.startNs),
                window.ongoing ? "never healed" : Format.offset(window.endNs, from: report.startNs),
                Format.duration(ms: window.durationMs), window.fault.rawValue, window.targets.joined(separator: ", "),
                window.command?.description ?? window.description ?? "",
            ]
        })
        return out
    }
}
