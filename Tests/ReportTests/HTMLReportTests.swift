import Foundation
import Testing
import Report
import Verification

@Suite struct HTMLReportTests {
    @Test func pageIsWellFormedWithOneSVGPerChartAndAFaultBandInEach() throws {
        let html = HTMLReport.render(RunFixture().report())
        let xml = XMLCounter(html)
        #expect(xml.error == nil, "\(xml.error ?? "")")
        // Throughput, latency, ISR of topic t, lag of group g.
        #expect(xml.count("svg") == 4)
        #expect(html.components(separatedBy: "<svg").count - 1 == 4)
        #expect(xml.classCounts["rect.fault-band"] == 4)
        #expect(xml.classCounts["text.band-label"] == 4)
        // One line per throughput outcome, per latency percentile, per partition's ISR and lag.
        #expect(xml.classCounts["path.line"] == 3 + 3 + 2 + 2)
        #expect(xml.count("script") == 0)
        #expect(xml.count("link") == 0)
        // Nothing to fetch: the only URLs are the XHTML and SVG namespace names.
        let urls = html.replacingOccurrences(of: "http://www.w3.org/", with: "")
        #expect(!urls.contains("http://") && !urls.contains("https://") && !urls.contains("src="))
        #expect(html.contains("Content-Security-Policy"))
    }

    @Test func verdictAndExpectationsComeFirst() throws {
        let html = HTMLReport.render(RunFixture(lose: ["producer-1-10"]).report())
        let badge = try #require(html.range(of: "<span class=\"badge\">FAIL</span>"))
        let expectations = try #require(html.range(of: "id=\"expectations\""))
        let charts = try #require(html.range(of: "id=\"charts\""))
        #expect(badge.lowerBound < expectations.lowerBound && expectations.lowerBound < charts.lowerBound)
        #expect(html.contains("<header class=\"verdict fail\">"))
        #expect(html.contains("no_lost_writes"))
        #expect(html.contains("isr_shrinks"))
    }

    @Test func lostWriteEvidenceIsTabulated() {
        let html = HTMLReport.render(RunFixture(lose: ["producer-1-10"]).report())
        let xml = XMLCounter(html)
        #expect(xml.error == nil)
        #expect(xml.classCounts["details.evidence"] == 1)
        #expect(xml.text.contains("producer-1-10"))
    }

    @Test func hostileStringsAppearOnlyEscaped() throws {
        let fixture = RunFixture(lose: [hostile], hostileValue: true)
        let report = fixture.report(
            runName: hostile, description: hostile,
            expectations: [Expectation(name: hostile, expected: hostile, observed: hostile, passed: false, evidence: hostile)])
        let html = HTMLReport.render(report)
        let xml = XMLCounter(html)
        #expect(xml.error == nil, "\(xml.error ?? "")")
        #expect(xml.count("script") == 0)
        #expect(!html.contains("<script>"))
        #expect(!html.contains("\u{1B}"))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;&amp;"))
        // The parsed text holds the value as the user wrote it (minus the control character).
        #expect(xml.text.contains("<script>alert(1)</script>&\"'"))
    }

    @Test func aRunWithoutFaultsOrLagStillRendersEveryChart() {
        var fixture = RunFixture()
        fixture.records.removeAll { record in
            if case .fault = record.body { return true }
            if case .lag = record.body { return true }
            return false
        }
        let html = HTMLReport.render(fixture.report())
        let xml = XMLCounter(html)
        #expect(xml.error == nil)
        #expect(xml.count("svg") == 3)
        #expect(xml.classCounts["rect.fault-band"] == nil)
        #expect(html.contains("No faults were injected."))
    }
}
