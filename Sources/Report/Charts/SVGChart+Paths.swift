extension SVGChart {
    /// A series' path data, and the samples that stand alone (between two unknowns) and would be
    /// invisible as a path, drawn as dots instead.
    func path(_ series: Series, scale: NiceScale) -> (d: String, lonePoints: [(x: Double, y: Double)]) {
        let c = Self.coordinate
        var points = series.points.filter { $0.x.isFinite && ($0.y?.isFinite ?? true) }
        if zip(points, points.dropFirst()).contains(where: { $0.x > $1.x }) {
            points = points.enumerated().sorted { ($0.element.x, $0.offset) < ($1.element.x, $1.offset) }.map(\.element)
        }
        if series.style == .line { points = decimated(points) }
        var d = ""
        var lone: [(x: Double, y: Double)] = []
        var segmentStart: (x: Double, y: Double)?
        var segmentLength = 0
        func closeSegment() {
            if let start = segmentStart, segmentLength == 0 { lone.append(start) }
            segmentStart = nil
            segmentLength = 0
        }
        for (index, point) in points.enumerated() {
            let px = x(point.x)
            switch series.style {
            case .line:
                guard let value = point.y else {
                    closeSegment()
                    continue
                }
                let py = y(value, scale)
                if segmentStart == nil {
                    segmentStart = (px, py)
                    d += "M\(c(px)) \(c(py))"
                } else {
                    d += "L\(c(px)) \(c(py))"
                    segmentLength += 1
                }
            case .step:
                if segmentStart != nil {
                    // The previous value held until this sample.
                    d += "H\(c(px))"
                    segmentLength += 1
                }
                guard let value = point.y else {
                    closeSegment()
                    continue
                }
                let py = y(value, scale)
                if segmentStart == nil {
                    segmentStart = (px, py)
                    d += "M\(c(px)) \(c(py))"
                } else {
                    d += "V\(c(py))"
                }
                if index == points.count - 1, let end = series.holdsUntil, end > point.x {
                    d += "H\(c(x(end)))"
                    segmentLength += 1
                }
            }
        }
        closeSegment()
        return (d.isEmpty ? "M0 0" : d, lone)
    }

    /// At most `pointsPerColumn` points per pixel column: the first and last known values, the
    /// lowest and the highest, in their order; a column with an unknown sample ends with a break.
    func decimated(_ points: [Point]) -> [Point] {
        let columns = max(1, Int(plotRight - plotLeft))
        guard points.count > columns * Self.pointsPerColumn else { return points }
        var out: [Point] = []
        var start = 0
        while start < points.count {
            let column = Int(x(points[start].x).rounded(.down))
            var end = start
            while end < points.count, Int(x(points[end].x).rounded(.down)) == column { end += 1 }
            let slice = points[start..<end]
            let known = slice.indices.filter { slice[$0].y != nil }
            if let first = known.first, let last = known.last {
                let lowest = known.min { slice[$0].y! < slice[$1].y! }!
                let highest = known.max { slice[$0].y! < slice[$1].y! }!
                for position in Set([first, lowest, highest, last]).sorted() { out.append(slice[position]) }
            }
            if known.count < slice.count { out.append(Point(x: slice[end - 1].x, y: nil)) }
            start = end
        }
        return out
    }

    struct LegendItem {
        enum Swatch { case line(colour: String, dashed: Bool), band, none }
        var name: String
        var swatch: Swatch
        var x: Double
        var row: Int
    }

    /// Legend entries laid out left to right, wrapping at the plot's width. Widths are estimated
    /// from character counts: no font metrics are available, and a generous estimate only costs
    /// some space.
    func legendLayout() -> (items: [LegendItem], rows: Int) {
        var entries: [(String, LegendItem.Swatch)] = drawnSeries.enumerated().map { index, series in
            let name = series.name.count > Self.legendNameLength
                ? String(series.name.prefix(Self.legendNameLength - 1)) + "…" : series.name
            return (name, .line(colour: Self.palette[index % Self.palette.count], dashed: Self.dashes(series.stroke, index: index) != nil))
        }
        if !bands.isEmpty { entries.append(("fault", .band)) }
        if series.count > Self.maxSeries {
            entries.append(("\(series.count - Self.maxSeries) more not drawn (see the tables)", .none))
        }
        var items: [LegendItem] = []
        var cursor = plotLeft
        var row = 0
        for (name, swatch) in entries {
            let itemWidth = 30 + Double(name.count) * 6.5 + 14
            if cursor + itemWidth > plotRight, cursor > plotLeft {
                row += 1
                cursor = plotLeft
            }
            items.append(LegendItem(name: name, swatch: swatch, x: cursor, row: row))
            cursor += itemWidth
        }
        return (items, items.isEmpty ? 0 : row + 1)
    }

    func drawLegend(_ svg: inout MarkupWriter, layout: (items: [LegendItem], rows: Int)) {
        let c = Self.coordinate
        svg.within("g", [("class", "legend")]) { legend in
            for item in layout.items {
                let rowY = plotBottom + 52 + Double(item.row) * Self.legendRowHeight
                switch item.swatch {
                case .line(let colour, let dashed):
                    var attributes = [
                        ("x1", c(item.x)), ("x2", c(item.x + 24)), ("y1", c(rowY - 4)), ("y2", c(rowY - 4)),
                        ("stroke", colour), ("stroke-width", "2.5"),
                    ]
                    if dashed { attributes.append(("stroke-dasharray", "5 3")) }
                    legend.element("line", attributes)
                case .band:
                    legend.element("rect", [
                        ("x", c(item.x)), ("y", c(rowY - 10)), ("width", "24"), ("height", "12"), ("fill", "#e15759"),
                        ("fill-opacity", "0.25"),
                    ])
                case .none:
                    break
                }
                legend.element("text", [("x", c(item.x + 30)), ("y", c(rowY)), ("fill", "#333")], text: item.name)
            }
        }
    }
}
