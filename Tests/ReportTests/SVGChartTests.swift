import Testing
@testable import Report

@Suite struct SVGChartTests {
    @Test func niceScaleCoversTheDataWithRoundSteps() {
        let scale = NiceScale(covering: 0, 87)
        #expect(scale.lower == 0)
        #expect(scale.step == 20)
        #expect(scale.upper == 100)
        #expect(scale.ticks == [0, 20, 40, 60, 80, 100])
        let small = NiceScale(covering: 0, 0.37)
        #expect(small.step == 0.1)
        #expect(NiceScale.label(0.30000000000000004, step: small.step) == "0.3")
        let flat = NiceScale(covering: 0, 0)
        #expect(flat.upper > flat.lower)
        let sizes = NiceScale(covering: 0, 3, integers: true)
        #expect(sizes.ticks == [0, 1, 2, 3])
        #expect(NiceScale.label(25_000, step: 5_000) == "25k")
    }

    @Test func timeTicksStayInsideTheRun() {
        let ticks = NiceScale.ticks(within: 0...4.5)
        #expect(ticks.ticks.first == 0)
        #expect(ticks.ticks.allSatisfy { $0 <= 4.5 })
        #expect(ticks.step == 0.5)
    }

    private func chart(_ series: [SVGChart.Series], bands: [SVGChart.Band] = []) -> SVGChart {
        SVGChart(id: "test chart!", title: "T", xLabel: "s", yLabel: "y", xDomain: 0...10, series: series, bands: bands, width: 1064, plotHeight: 200)
    }

    @Test func stepSeriesHoldEachValueAndBreakOnUnknown() {
        let series = SVGChart.Series(name: "t/0", points: [
            .init(x: 0, y: 3), .init(x: 2, y: 2), .init(x: 4, y: nil), .init(x: 6, y: 3),
        ], style: .step, holdsUntil: 10)
        let built = chart([series])
        let geometry = built.path(series, scale: built.yScale)
        // x: 64 + value * 98; y over a 0...3 scale on a 200-pixel plot from y = 56.
        #expect(geometry.d == "M64 56H260V122.7H456M652 56H1044")
        #expect(geometry.lonePoints.isEmpty)
    }

    @Test func lineSeriesBreakOnUnknownAndDotLonePoints() {
        let series = SVGChart.Series(name: "p99", points: [
            .init(x: 0, y: 1), .init(x: 1, y: 2), .init(x: 2, y: nil), .init(x: 3, y: 2), .init(x: 4, y: nil),
        ])
        let built = chart([series])
        let geometry = built.path(series, scale: built.yScale)
        #expect(geometry.d.filter { $0 == "M" }.count == 2)
        #expect(geometry.lonePoints.count == 1)
        #expect(abs((geometry.lonePoints.first?.x ?? 0) - (64 + 3 * 98)) < 0.01)
    }

    @Test func longSeriesAreDecimatedKeepingSpikes() {
        var points = (0..<100_000).map { SVGChart.Point(x: Double($0) / 10_000, y: 1) }
        points[55_555].y = 500
        let built = chart([SVGChart.Series(name: "acks", points: points)])
        let kept = built.decimated(points)
        #expect(kept.count <= 981 * 4)
        #expect(kept.contains { $0.y == 500 })
        #expect(built.render().contains("<path"))
    }

    @Test func bandsAreClippedToTheDomainAndLabelled() {
        let svg = chart([SVGChart.Series(name: "a", points: [.init(x: 0, y: 1), .init(x: 10, y: 2)])], bands: [
            SVGChart.Band(start: 2, end: 3, label: "crash broker-2", detail: "fault 1"),
            SVGChart.Band(start: 8, end: 50, label: "partition", detail: "never healed"),
            SVGChart.Band(start: 20, end: 30, label: "after the end"),
        ]).render()
        let xml = XMLCounter(svg)
        #expect(xml.error == nil)
        #expect(xml.classCounts["rect.fault-band"] == 2)
        #expect(svg.contains("x=\"848\" y=\"56\" width=\"196\""))
        #expect(svg.contains(">crash broker-2</text>"))
        #expect(svg.contains("id=\"test_chart_\""))
        #expect(svg.contains("clip-path=\"url(#test_chart_-clip)\""))
    }

    @Test func crowdedBandLabelsAreLeftOutRatherThanPrintedOverEachOther() {
        let crowded = (0..<10).map { SVGChart.Band(start: Double($0) * 0.1, end: Double($0) * 0.1 + 0.05, label: "partition broker-\($0)") }
        let spread = (0..<4).map { SVGChart.Band(start: Double($0) * 3, end: Double($0) * 3 + 1, label: "crash broker-\($0)") }
        let series = [SVGChart.Series(name: "a", points: [.init(x: 0, y: 1)])]
        let crowdedXML = XMLCounter(chart(series, bands: crowded).render())
        #expect(crowdedXML.classCounts["rect.fault-band"] == 10)
        #expect(crowdedXML.classCounts["text.band-label"] == 3)
        #expect(XMLCounter(chart(series, bands: spread).render()).classCounts["text.band-label"] == 4)
    }

    @Test func aChartWithNoDataSaysSo() {
        let svg = chart([SVGChart.Series(name: "a", points: [])]).render()
        #expect(XMLCounter(svg).error == nil)
        #expect(svg.contains(">no data</text>"))
    }

    @Test func seriesBeyondTheLimitAreCountedInTheLegend() {
        let many = (0..<20).map { SVGChart.Series(name: "t/\($0)", points: [.init(x: 0, y: Double($0))]) }
        let svg = chart(many).render()
        #expect(svg.components(separatedBy: "class=\"line\"").count - 1 == SVGChart.maxSeries)
        #expect(svg.contains("4 more not drawn"))
    }
}
