import Foundation
import Testing
@testable import Report
@testable import Verification

/// The report shows the moments that matter of an unsafe run (`UnsafeRunFixture`): the leader
/// alone in the ISR when its event log says, lost writes in readable columns, one label per
/// fault, p99 above max, no pile of internal-topic lines, long tables in scroll boxes.
@Suite struct ReportMomentsTests {
    static let report = UnsafeRunFixture.report()
    static let ms = UnsafeRunFixture.ms

    @Test func isrChartTakesTheBrokersEventsOverLateSamples() throws {
        let partition = try #require(Self.report.figures.isr.first { $0.topic == "orders" })
        let sizes = ReportCharts.isrSizes(partition).map { [($0.timeNs - UnsafeRunFixture.startNs) / Self.ms, Int64($0.size ?? -1)] }
        // Three in sync; broker 2 alone at +8.20 s (its event log), though the samples said so only
        // at +12.46 s; broker 1 and 3 after the controller's election at +13 s; all three again at
        // +14.5 s (broker 1's expand event, before the samples at +14.75 s).
        #expect(sizes == [[0, 3], [8_200, 1], [13_000, 2], [14_500, 3]])
        let chart = try #require(ReportCharts.isr(Self.report).first)
        let series = try #require(chart.series.first)
        #expect(series.points.contains(SVGChart.Point(x: 8.2, y: 1)))
        #expect(series.marks.map(\.title) == [
            "orders/0: ISR [2] at +8.200 s (broker 2's event log)", "orders/0: ISR [1, 2, 3] at +14.500 s (broker 1's event log)",
        ])
        #expect(chart.render().contains("orders/0: ISR [2] at +8.200 s"))
    }

    @Test func aSampleStillShowingTheReplacedIsrIsNotDrawn() {
        func event(_ timeNs: Int64, _ kind: IsrChange.Kind, _ old: [Int32], _ new: [Int32]) -> IsrChange {
            IsrChange(timeNs: timeNs, kind: kind, source: .brokerEvent, broker: 1, oldIsr: old, newIsr: new)
        }
        // Shrink at 10 and expand at 20 logged; samples see the shrink only at 25, then the
        // expand at 30, and a change no broker logged (an election) at 40.
        let partition = PartitionIsrFigures(
            topic: "t", partition: 0, shrinks: 1, expands: 1,
            changes: [event(10, .shrink, [1, 2, 3], [1]), event(20, .expand, [1], [1, 2, 3])],
            sizes: [
                IsrSizePoint(timeNs: 0, isrSize: 3), IsrSizePoint(timeNs: 25, isrSize: 1), IsrSizePoint(timeNs: 30, isrSize: 3),
                IsrSizePoint(timeNs: 40, isrSize: 2), IsrSizePoint(timeNs: 50, isrSize: nil),
            ],
            underReplicatedMs: 0, underMinIsrMs: 0, observedMs: 0)
        let sizes = ReportCharts.isrSizes(partition).map { "\($0.timeNs):\($0.size.map(String.init) ?? "?")" }
        #expect(sizes == ["0:3", "10:1", "20:3", "40:2", "50:?"])
        // Without broker events, the samples are the ISR.
        var sampledOnly = partition
        sampledOnly.changes = []
        #expect(ReportCharts.isrSizes(sampledOnly).map(\.size) == [3, 1, 3, 2, nil])
    }

    @Test func lostWritesReadAsColumnsWithTimesFromTheStart() throws {
        let ranges = Self.report.checks.lostRanges
        #expect(ranges.reduce(0) { $0 + $1.count } == 110)
        let row = EvidenceRows.lostRange(try #require(ranges.first), startNs: UnsafeRunFixture.startNs)
        #expect(row.count == EvidenceRows.lostRangeHeaders.count)
        #expect(row[0] == "orders/0")
        #expect(row[3].hasPrefix("+7.5") && row[3].contains(" to +"))
        #expect(row[4].hasPrefix("broker 2, epoch 2 from +7.500 s"))
        #expect(row[5] == "broker 1, epoch 3 from +13.000 s")
        #expect(row[6].contains("broker 2, log end") && row[6].hasSuffix("at +13.100 s"))
        let html = HTMLReport.render(Self.report)
        #expect(html.contains("table-wrap long lost-writes") || html.contains("table-wrap lost-writes"))
        // No absolute nanosecond time and no JSON object anywhere in the page (the parsed text
        // runs cells together, so the markup is searched).
        #expect(html.range(of: #"\d{16,}"#, options: .regularExpression) == nil)
        #expect(!html.contains("{&quot;") && !html.contains("{\""))
    }

    @Test func evidenceCellsArePhrasesNotJSON() {
        let start: Int64 = 1_000_000_000_000
        let sighting: JSONValue = .object(["source": .string("poll"), "process": .string("consumer-1"), "index": .int(12),
                                           "time_ns": .int(start + 3_200_000_000)])
        #expect(EvidenceRows.cell("max_read", sighting, startNs: start) == "process: consumer-1, index: 12, source: poll, time: +3.200 s")
        #expect(EvidenceRows.cell("ack_time_ns", .int(start + 8_200_000_000), startNs: start) == "+8.200 s")
        #expect(EvidenceRows.cell("read_instead", .array([]), startNs: start) == "none")
        #expect(EvidenceRows.header("ack_time_ns") == "ack time")
        #expect(EvidenceRows.columns([["zeta": .null, "offset": .int(1), "topic": .string("t")]]) == ["topic", "offset", "zeta"])
    }

    @Test func twoFaultsWithTheSameWordsGetDifferentLabels() {
        let bands = ReportCharts.bands(Self.report)
        #expect(bands.map(\.label) == ["#1 +5.0s isolate the leader", "#2 +10.0s isolate the leader"])
        let cut = bands.map { String($0.label.prefix(SVGChart.bandLabelLength - 1)) }
        #expect(Set(cut).count == bands.count)
    }

    @Test func p99IsDrawnBoldOverADashedMax() throws {
        let chart = ReportCharts.latency(Self.report)
        #expect(chart.series.map(\.name) == ["p50", "p99", "max"])
        #expect(chart.series.map(\.stroke) == [.solid, .boldOver, .dashedUnder])
        // Twenty sends a second: each second's p99 is its max, so only the drawing tells them apart.
        let p99 = chart.series[1].points.compactMap(\.y)
        let max = chart.series[2].points.compactMap(\.y)
        #expect(!p99.isEmpty && p99 == max)
        let svg = chart.render()
        let maxPath = try #require(svg.range(of: "<title>max</title>"))
        let p99Path = try #require(svg.range(of: "<title>p99</title>"))
        #expect(maxPath.lowerBound < p99Path.lowerBound, "p99 must be drawn after (over) max")
        #expect(svg.contains("stroke-width=\"2.5\""))
        #expect(svg.contains("stroke-dasharray=\"6 3\""))
    }

    @Test func internalTopicsAreLeftOutOfTheChartsWithANote() {
        #expect(Self.report.figures.isr.filter { $0.topic == "__consumer_offsets" }.count == 10)
        #expect(ReportCharts.isr(Self.report).map(\.title) == ["ISR size per partition: topic orders"])
        let html = HTMLReport.render(Self.report)
        #expect(html.contains("Internal topics (__consumer_offsets, 10 partitions) are left out of the ISR charts"))
        #expect(XMLCounter(html).count("svg") == 3)
    }

    @Test func longTablesScrollInABoxOfTheirOwn() {
        let html = HTMLReport.render(Self.report)
        let xml = XMLCounter(html)
        #expect(xml.error == nil, "\(xml.error ?? "")")
        // The lost-write evidence: 100 rows (the evidence limit) in a scrolling box.
        #expect(html.contains("class=\"table-wrap long evidence\""))
        #expect(html.contains("class=\"table-wrap\""))
        #expect(HTMLStyle.css.contains(".table-wrap.long { max-height:"))
    }
}
