import Foundation
import Testing
import Report
import Verification

@Suite struct ReportFilesTests {
    @Test func writeCreatesTheFourFilesInTheRunDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("samsa-report-\(UUID().uuidString)/run")
        defer { try? FileManager.default.removeItem(at: directory.deletingLastPathComponent()) }
        let report = RunFixture().report()
        let written = try report.write(to: directory)
        #expect(written.map(\.lastPathComponent) == ["report.json", "report.md", "report.html", "junit.xml"])
        for url in written {
            let text = try String(contentsOf: url, encoding: .utf8)
            #expect(!text.isEmpty)
        }
        #expect(try String(contentsOf: directory.appendingPathComponent("report.json"), encoding: .utf8) == JSONReport.render(report))
        // Writing again replaces the files whole.
        try RunFixture(lose: ["producer-1-10"]).report().write(to: directory)
        let json = try String(contentsOf: directory.appendingPathComponent("report.json"), encoding: .utf8)
        #expect(json.contains("\"valid\": false"))
    }
}

/// Writes a sample report for the headless-browser test (Tests/Interop/test_report_html.py): into
/// `$SAMSA_REPORT_SAMPLE_DIR` when set, else into a temporary directory it removes. The sample
/// has everything the charts draw: a fault band, an ISR shrink, lag, latency and a lost write;
/// `long-run/` beside it holds a three-hour run with more of everything than a chart shows, and
/// `unsafe-run/` an unsafe run's moments (`UnsafeRunFixture`).
@Suite struct ReportSampleWriter {
    @Test func writesASampleReportForTheBrowserCheck() throws {
        let configured = ProcessInfo.processInfo.environment["SAMSA_REPORT_SAMPLE_DIR"].flatMap { $0.isEmpty ? nil : $0 }
        let directory = configured.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("samsa-report-sample-\(UUID().uuidString)")
        defer { if configured == nil { try? FileManager.default.removeItem(at: directory) } }
        let report = RunFixture(lose: ["producer-1-10"]).report(runName: "sample-run")
        let written = try report.write(to: directory)
        #expect(written.count == 4)
        let html = try String(contentsOf: directory.appendingPathComponent(HTMLReport.fileName), encoding: .utf8)
        #expect(XMLCounter(html).count("svg") == 4)
        // A long, busy run: decimated series, capped series per chart, many fault bands.
        let long = try LongRunTests.report.write(to: directory.appendingPathComponent("long-run"))
        #expect(long.count == 4)
        // An unsafe run: the leader alone in the ISR, 110 lost writes, two faults with the same words.
        let unsafe = try UnsafeRunFixture.report().write(to: directory.appendingPathComponent("unsafe-run"))
        #expect(unsafe.count == 4)
    }
}
