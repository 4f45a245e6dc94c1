import Foundation

/// A time-series chart as one inline SVG element: line or step series, shaded bands (faults),
/// axes with nice ticks, a legend. It needs no script, stylesheet or font from anywhere: colours
/// and sizes are attributes, and hover text is SVG `<title>` elements, which browsers show as
/// tooltips by themselves.
public struct SVGChart: Sendable {
    /// One sample. A nil `y` means "unknown here": the series breaks instead of drawing a line
    /// through what nobody observed.
    public struct Point: Sendable, Hashable {
        public var x: Double
        public var y: Double?

        public init(x: Double, y: Double?) {
            self.x = x
            self.y = y
        }
    }

    public enum Style: Sendable, Hashable {
        /// Straight segments between samples (rates, latencies, lag).
        case line
        /// Each value holds until the next sample (ISR size): a step after every point.
        case step
    }

    /// How a series' line is drawn, so two series that often coincide stay told apart.
    public enum Stroke: Sendable, Hashable {
        case solid
        /// Thinner and dashed, drawn before every other series (an envelope, such as max).
        case dashedUnder
        /// Thicker, drawn after every other series (the figure that matters, such as p99).
        case boldOver
    }

    /// A moment of a series worth a dot of its own, with hover text (an ISR change a broker
    /// logged).
    public struct Mark: Sendable, Hashable {
        public var x: Double
        public var y: Double
        public var title: String

        public init(x: Double, y: Double, title: String) {
            self.x = x
            self.y = y
            self.title = title
        }
    }

    public struct Series: Sendable {
        public var name: String
        public var points: [Point]
        public var style: Style
        /// For a step series, how far the last value holds (the end of observation); without
        /// it the series stops at its last point.
        public var holdsUntil: Double?
        public var stroke: Stroke
        public var marks: [Mark]

        public init(
            name: String, points: [Point], style: Style = .line, holdsUntil: Double? = nil, stroke: Stroke = .solid,
            marks: [Mark] = []
        ) {
            self.name = name
            self.points = points
            self.style = style
            self.holdsUntil = holdsUntil
            self.stroke = stroke
            self.marks = marks
        }
    }

    /// A shaded span across the plot, labelled at its top (a fault window).
    public struct Band: Sendable, Hashable {
        public var start: Double
        public var end: Double
        /// Shown on the chart; keep it short.
        public var label: String
        /// Shown on hover.
        public var detail: String

        public init(start: Double, end: Double, label: String, detail: String = "") {
            self.start = start
            self.end = end
            self.label = label
            self.detail = detail
        }
    }

    /// Series drawn at most; more would be an unreadable tangle, and the tables list them all.
    public static let maxSeries = 16
    /// Points drawn per series at most, per pixel column two extremes and the ends: a long run's
    /// 86,400 one-second buckets collapse to what the plot can show, spikes kept.
    static let pointsPerColumn = 4
    /// Band labels longer than this are cut (the hover text has the whole).
    public static let bandLabelLength = 28
    /// Marks drawn per series at most; past that they would hide the line.
    static let maxMarks = 200
    /// Legend names longer than this are cut.
    static let legendNameLength = 40

    /// The SVG element's id, and the prefix of the ids inside it (its clip path): must be unique
    /// in the page. Anything but letters, digits, '-' and '_' is replaced.
    public var id: String
    public var title: String
    public var xLabel: String
    public var yLabel: String
    public var xDomain: ClosedRange<Double>
    public var series: [Series]
    public var bands: [Band]
    /// Y ticks at whole numbers (sizes, counts).
    public var integerTicks: Bool
    public var width: Double
    public var plotHeight: Double

    public init(
        id: String, title: String, xLabel: String, yLabel: String, xDomain: ClosedRange<Double>,
        series: [Series], bands: [Band] = [], integerTicks: Bool = false, width: Double = 960, plotHeight: Double = 240
    ) {
        self.id = String(String.UnicodeScalarView(id.unicodeScalars.map { scalar in
            scalar.properties.isAlphabetic && scalar.isASCII || ("0"..."9").contains(scalar) || scalar == "-" || scalar == "_"
                ? scalar : "_"
        }))
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.xDomain = xDomain
        self.series = series
        self.bands = bands
        self.integerTicks = integerTicks
        self.width = max(320, width)
        self.plotHeight = max(80, plotHeight)
    }

    /// Colours told apart by most forms of colour blindness (Tableau 10); series past the tenth
    /// repeat them dashed.
    static let palette = [
        "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac",
    ]

    static let marginLeft = 64.0
    static let marginRight = 20.0
    static let marginTop = 56.0
    static let legendRowHeight = 18.0

    var plotLeft: Double { Self.marginLeft }
    var plotRight: Double { width - Self.marginRight }
    var plotTop: Double { Self.marginTop }
    var plotBottom: Double { Self.marginTop + plotHeight }

    /// The series actually drawn.
    var drawnSeries: [Series] { Array(series.prefix(Self.maxSeries)) }

    /// The y scale: from zero (or the lowest value, if negative) to the highest value.
    var yScale: NiceScale {
        var low = 0.0
        var high = 0.0
        for series in drawnSeries {
            for point in series.points {
                guard let y = point.y, y.isFinite else { continue }
                low = min(low, y)
                high = max(high, y)
            }
        }
        return NiceScale(covering: low, high, tickCount: 6, integers: integerTicks)
    }

    func x(_ value: Double) -> Double {
        let span = xDomain.upperBound - xDomain.lowerBound
        guard span > 0 else { return plotLeft }
        return plotLeft + (value - xDomain.lowerBound) / span * (plotRight - plotLeft)
    }

    func y(_ value: Double, _ scale: NiceScale) -> Double {
        let span = scale.upper - scale.lower
        guard span > 0 else { return plotBottom }
        return plotBottom - (value - scale.lower) / span * plotHeight
    }

    /// One decimal is finer than a pixel; more only makes the file bigger.
    static func coordinate(_ value: Double) -> String {
        guard value.isFinite else { return "0" }
        let tenths = (value * 10).rounded()
        return tenths.truncatingRemainder(dividingBy: 10) == 0
            ? String(Int64(tenths / 10)) : String(format: "%.1f", tenths / 10)
    }
}
