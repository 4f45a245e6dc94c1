extension SVGChart {
    /// The chart as an `<svg>` element, ready to inline in a page.
    public func render() -> String {
        var svg = MarkupWriter()
        write(into: &svg)
        return svg.finished
    }

    /// Writes the `<svg>` element into a page being built.
    func write(into svg: inout MarkupWriter) {
        let scale = yScale
        let legend = legendLayout()
        let height = plotBottom + 52 + Double(legend.rows) * Self.legendRowHeight + 8
        let c = Self.coordinate
        let wasSelfClosing = svg.selfClosing
        svg.selfClosing = true
        defer { svg.selfClosing = wasSelfClosing }
        svg.start("svg", [
            ("xmlns", "http://www.w3.org/2000/svg"), ("id", id), ("class", "chart"), ("role", "img"),
            ("width", c(width)), ("height", c(height)), ("viewBox", "0 0 \(c(width)) \(c(height))"),
            ("font-family", "system-ui, -apple-system, 'Segoe UI', sans-serif"), ("font-size", "11"),
        ])
        svg.element("title", text: title)
        svg.within("defs") { defs in
            defs.within("clipPath", [("id", "\(id)-clip")]) { clip in
                clip.element("rect", [
                    ("x", c(plotLeft)), ("y", c(plotTop)), ("width", c(plotRight - plotLeft)), ("height", c(plotHeight)),
                ])
            }
        }
        svg.element("text", [("x", c(plotLeft)), ("y", "18"), ("font-size", "14"), ("font-weight", "600"), ("fill", "#222")], text: title)
        svg.element("rect", [
            ("x", c(plotLeft)), ("y", c(plotTop)), ("width", c(plotRight - plotLeft)), ("height", c(plotHeight)),
            ("fill", "#ffffff"), ("stroke", "#d0d0d0"),
        ])
        drawBands(&svg)
        drawAxes(&svg, scale: scale)
        drawSeries(&svg, scale: scale)
        drawBandLabels(&svg)
        drawLegend(&svg, layout: legend)
        svg.end("svg")
    }

    private func visibleBands() -> [(band: Band, left: Double, right: Double)] {
        bands.compactMap { band in
            guard band.end >= xDomain.lowerBound, band.start <= xDomain.upperBound else { return nil }
            let left = x(max(band.start, xDomain.lowerBound))
            let right = max(x(min(band.end, xDomain.upperBound)), left + 2)
            return (band, left, right)
        }
    }

    private func drawBands(_ svg: inout MarkupWriter) {
        let c = Self.coordinate
        svg.within("g", [("class", "fault-bands"), ("clip-path", "url(#\(id)-clip)")]) { group in
            for (band, left, right) in visibleBands() {
                group.within("rect", [
                    ("class", "fault-band"), ("x", c(left)), ("y", c(plotTop)), ("width", c(right - left)),
                    ("height", c(plotHeight)), ("fill", "#e15759"), ("fill-opacity", "0.13"),
                ]) { rect in
                    rect.element("title", text: band.detail.isEmpty ? band.label : band.label + ": " + band.detail)
                }
            }
        }
    }

    /// Labels go above the plot on the first of three rows where they do not print over an
    /// earlier label; a label that fits on none is left out (its band keeps its hover text, and
    /// the faults table lists every fault).
    private func drawBandLabels(_ svg: inout MarkupWriter) {
        let c = Self.coordinate
        var rowEnds = [Double](repeating: -.infinity, count: 3)
        for entry in visibleBands() {
            let label = entry.band.label.count > Self.bandLabelLength
                ? String(entry.band.label.prefix(Self.bandLabelLength - 1)) + "…" : entry.band.label
            let left = entry.left + 2
            // About 5.5 pixels per character at this size; an estimate, without font metrics.
            let right = left + Double(label.count) * 5.5
            guard right <= width, let row = rowEnds.firstIndex(where: { $0 + 6 <= left }) else { continue }
            rowEnds[row] = right
            svg.element("text", [
                ("class", "band-label"), ("x", c(left)), ("y", c(plotTop - 26 + Double(row) * 10)),
                ("font-size", "9"), ("fill", "#a23b3d"),
            ], text: label)
        }
    }

    private func drawAxes(_ svg: inout MarkupWriter, scale: NiceScale) {
        let c = Self.coordinate
        svg.within("g", [("class", "axes"), ("stroke", "#888"), ("fill", "#444")]) { axes in
            for tick in scale.ticks {
                let position = y(tick, scale)
                axes.element("line", [
                    ("x1", c(plotLeft)), ("x2", c(plotRight)), ("y1", c(position)), ("y2", c(position)),
                    ("stroke", "#ececec"),
                ])
                axes.element("text", [
                    ("x", c(plotLeft - 6)), ("y", c(position + 4)), ("text-anchor", "end"), ("stroke", "none"),
                ], text: NiceScale.label(tick, step: scale.step))
            }
            let xTicks = NiceScale.ticks(within: xDomain)
            for tick in xTicks.ticks {
                let position = x(tick)
                axes.element("line", [
                    ("x1", c(position)), ("x2", c(position)), ("y1", c(plotBottom)), ("y2", c(plotBottom + 5)),
                ])
                axes.element("text", [
                    ("x", c(position)), ("y", c(plotBottom + 17)), ("text-anchor", "middle"), ("stroke", "none"),
                ], text: NiceScale.label(tick, step: xTicks.step))
            }
            axes.element("line", [("x1", c(plotLeft)), ("x2", c(plotLeft)), ("y1", c(plotTop)), ("y2", c(plotBottom))])
            axes.element("line", [("x1", c(plotLeft)), ("x2", c(plotRight)), ("y1", c(plotBottom)), ("y2", c(plotBottom))])
            axes.element("text", [
                ("x", c((plotLeft + plotRight) / 2)), ("y", c(plotBottom + 34)), ("text-anchor", "middle"),
                ("stroke", "none"), ("class", "axis-label"),
            ], text: xLabel)
            let middle = c((plotTop + plotBottom) / 2)
            axes.element("text", [
                ("x", "14"), ("y", middle), ("text-anchor", "middle"), ("transform", "rotate(-90 14 \(middle))"),
                ("stroke", "none"), ("class", "axis-label"),
            ], text: yLabel)
        }
    }

    private func drawSeries(_ svg: inout MarkupWriter, scale: NiceScale) {
        let c = Self.coordinate
        svg.within("g", [("class", "series"), ("clip-path", "url(#\(id)-clip)"), ("fill", "none")]) { group in
            if drawnSeries.allSatisfy({ $0.points.allSatisfy { $0.y == nil } }) {
                group.element("text", [
                    ("x", c((plotLeft + plotRight) / 2)), ("y", c((plotTop + plotBottom) / 2)), ("text-anchor", "middle"),
                    ("fill", "#888"),
                ], text: "no data")
                return
            }
            // Dashed envelopes first, bold series last: a bold series is never hidden under another.
            let layered = drawnSeries.enumerated().sorted {
                (Self.layer($0.element.stroke), $0.offset) < (Self.layer($1.element.stroke), $1.offset)
            }
            for (index, series) in layered {
                let colour = Self.palette[index % Self.palette.count]
                let geometry = path(series, scale: scale)
                var attributes = [
                    ("class", "line"), ("d", geometry.d), ("stroke", colour), ("stroke-width", Self.strokeWidth(series.stroke)),
                    ("stroke-linejoin", "round"),
                ]
                if let dashes = Self.dashes(series.stroke, index: index) { attributes.append(("stroke-dasharray", dashes)) }
                group.within("path", attributes) { path in path.element("title", text: series.name) }
                for dot in geometry.lonePoints {
                    group.within("circle", [("cx", c(dot.x)), ("cy", c(dot.y)), ("r", "2.5"), ("fill", colour)]) { circle in
                        circle.element("title", text: series.name)
                    }
                }
                for mark in series.marks.prefix(Self.maxMarks) where mark.y.isFinite {
                    group.within("circle", [
                        ("class", "mark"), ("cx", c(x(mark.x))), ("cy", c(y(mark.y, scale))), ("r", "4"), ("fill", "#ffffff"),
                        ("stroke", colour), ("stroke-width", "2"),
                    ]) { circle in
                        circle.element("title", text: mark.title)
                    }
                }
            }
        }
    }

    static func layer(_ stroke: Stroke) -> Int {
        switch stroke {
        case .dashedUnder: return 0
        case .solid: return 1
        case .boldOver: return 2
        }
    }

    static func strokeWidth(_ stroke: Stroke) -> String {
        switch stroke {
        case .dashedUnder: return "1.25"
        case .solid: return "1.75"
        case .boldOver: return "2.5"
        }
    }

    /// Dashes of a series' line: its own, else those of a series past the palette's colours.
    static func dashes(_ stroke: Stroke, index: Int) -> String? {
        if stroke == .dashedUnder { return "6 3" }
        return index >= palette.count ? "5 3" : nil
    }
}
