import Foundation
import Testing
@testable import Report
import Verification

/// The reports of a long, busy run stay bounded and well-formed.
@Suite struct LongRunTests {
    static let report = LongRunFixture.report()

    @Test func htmlStaysSmallAndWellFormed() {
        let html = HTMLReport.render(Self.report)
        let xml = XMLCounter(html)
        #expect(xml.error == nil, "\(xml.error ?? "")")
        // Throughput, latency, one ISR chart for the one topic, three lag charts.
        #expect(xml.count("svg") == 6)
        #expect(xml.classCounts["rect.fault-band"] == 50 * 6)
        // 16 partitions drawn of 20 on each per-partition chart.
        #expect(xml.classCounts["path.line"] == 3 + 3 + 16 * 4)
        #expect(html.contains("4 more not drawn"))
        #expect(html.utf8.count < 4_000_000, "\(html.utf8.count) bytes")
        #expect(!html.contains("orders<&>"))
    }

    @Test func longSeriesAreDecimatedToThePlotWidth() {
        let throughput = ReportCharts.throughput(Self.report)
        #expect(throughput.series[0].points.count > 10_000)
        let geometry = throughput.path(throughput.series[0], scale: throughput.yScale)
        let segments = geometry.d.filter { $0 == "L" }.count
        #expect(segments > 100 && segments < 4 * 900)
    }

    @Test func isrGapsWhereTheObserversSawNothing() {
        let isr = ReportCharts.isr(Self.report)
        #expect(isr.count == 1)
        let chart = isr[0]
        let geometry = chart.path(chart.series[0], scale: chart.yScale)
        // The observers saw nothing at 500 s, 1500 s, … 10500 s: eleven breaks, twelve segments.
        #expect(geometry.d.filter { $0 == "M" }.count == 12)
    }

    @Test func jsonListsAreCapped() throws {
        let json = try #require(JSONSerialization.jsonObject(with: Data(JSONReport.render(Self.report).utf8)) as? [String: Any])
        #expect(json["valid"] as? Bool == true)
        let partitions = try #require((json["isr"] as? [String: Any])?["partitions"] as? [[String: Any]])
        #expect(partitions.count == 20)
        #expect(partitions.allSatisfy { ($0["changes"] as? [Any])?.count ?? 0 <= 100 })
        #expect((json["faults"] as? [Any])?.count == 50)
    }
}
