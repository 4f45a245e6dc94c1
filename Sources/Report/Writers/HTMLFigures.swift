import Verification

/// The figures section of report.html: counts, latency, ISR, availability, failovers, lag and
/// leadership as tables. Long lists stop at the report's evidence limit and say so.
enum HTMLFigures {
    static func render(_ body: inout MarkupWriter, _ report: RunReport) {
        body.within("section", [("id", "figures")]) { section in
            section.element("h2", text: "Figures")
            section.element("h3", text: "Operations")
            HTMLReport.table(&section, ["Figure", "Value"], ReportRows.operations(report.figures.counts))
            section.element("h3", text: "Produce latency (acknowledged sends)")
            if let rows = ReportRows.latency(report.figures.produceLatency) {
                HTMLReport.table(&section, ["Percentile", "Latency"], rows)
            } else {
                section.element("p", text: "No send was acknowledged.")
            }
            isr(&section, report)
            list(&section, report, title: "Unavailability windows", empty: "No partition was seen unavailable.",
                 headers: ReportRows.unavailabilityHeaders, rows: report.figures.unavailability.map { ReportRows.unavailability($0, report) })
            list(&section, report, title: "Failovers", empty: "No fault hit a partition's leader.",
                 headers: ReportRows.failoverHeaders, rows: report.figures.failovers.map { ReportRows.failover($0, report) })
            lag(&section, report)
            list(&section, report, title: "Overlapping leadership", empty: "No two brokers led a partition at the same time.",
                 headers: ReportRows.overlapHeaders, rows: report.checks.leadershipOverlaps.map { ReportRows.overlap($0, report) })
            problems(&section, report)
        }
    }

    private static func isr(_ section: inout MarkupWriter, _ report: RunReport) {
        let figures = report.figures
        section.element("h3", text: "ISR: \(figures.isrShrinks) shrinks, \(figures.isrExpands) expands")
        guard !figures.isr.isEmpty else {
            section.element("p", text: "The observers sampled no partition.")
            return
        }
        HTMLReport.table(&section, ReportRows.isrHeaders, figures.isr.map(ReportRows.isr))
        let changes = figures.isr.flatMap { partition in partition.changes.map { (partition, $0) } }.sorted { $0.1.timeNs < $1.1.timeNs }
        list(&section, report, title: "ISR changes", empty: "The ISR never changed.", headers: ReportRows.isrChangeHeaders,
             rows: changes.map { ReportRows.isrChange($0.0, $0.1, report) })
    }

    private static func lag(_ section: inout MarkupWriter, _ report: RunReport) {
        section.element("h3", text: "Consumer lag")
        guard !report.figures.lag.isEmpty else {
            section.element("p", text: "No consumer lag was sampled.")
            return
        }
        HTMLReport.table(&section, ReportRows.groupLagHeaders, report.figures.lagByGroup.map(ReportRows.groupLag))
        HTMLReport.table(&section, ReportRows.partitionLagHeaders, report.figures.lag.map(ReportRows.partitionLag))
    }

    private static func problems(_ section: inout MarkupWriter, _ report: RunReport) {
        let problems = [("history", report.checks.historyProblems), ("timeline", report.checks.timelineProblems)]
        guard problems.contains(where: { !$0.1.isEmpty }) else { return }
        section.element("h3", text: "Input problems (they make verdicts unknown)")
        let rows = problems.flatMap { source, list in
            list.listed.map { [source, $0.description] }
        }
        HTMLReport.table(&section, ["Input", "Problem"], rows)
        for (source, list) in problems where list.total > list.listed.count {
            section.element("p", [("class", "note")], text: "\(list.total - list.listed.count) more \(source) problems not listed.")
        }
    }

    /// A titled table of at most `evidenceLimit` rows, with a note when rows were left out.
    private static func list(
        _ section: inout MarkupWriter, _ report: RunReport, title: String, empty: String, headers: [String], rows: [[String]]
    ) {
        section.element("h3", text: "\(title) (\(rows.count))")
        guard !rows.isEmpty else {
            section.element("p", text: empty)
            return
        }
        HTMLReport.table(&section, headers, Array(rows.prefix(report.evidenceLimit)))
        if rows.count > report.evidenceLimit {
            section.element("p", [("class", "note")], text: "First \(report.evidenceLimit) of \(rows.count) listed; report.json has the counts.")
        }
    }
}
