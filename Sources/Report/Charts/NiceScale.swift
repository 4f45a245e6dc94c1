import Foundation

/// Axis ticks at "nice" numbers (1, 2 or 5 times a power of ten), after Heckbert's "Nice numbers
/// for graph labels" (Graphics Gems, 1990): readers can interpolate between 0, 20, 40 but not
/// between 0, 17.3, 34.6.
struct NiceScale: Sendable, Hashable {
    var lower: Double
    var upper: Double
    var step: Double

    /// A scale whose ends are ticks covering `minimum...maximum`, with about `tickCount` ticks.
    /// `integers` keeps the step whole (ISR sizes, counts). An empty range widens to one unit.
    init(covering minimum: Double, _ maximum: Double, tickCount: Int = 6, integers: Bool = false) {
        var low = minimum.isFinite ? minimum : 0
        var high = maximum.isFinite ? maximum : 1
        if high < low { swap(&low, &high) }
        if high == low {
            high = low + max(1, abs(low) * 0.1)
        }
        var step = Self.niceNumber((high - low) / Double(max(1, tickCount - 1)), round: true)
        if integers { step = max(1, step.rounded(.up)) }
        self.step = step
        lower = (low / step).rounded(.down) * step
        upper = (high / step).rounded(.up) * step
    }

    /// Ticks from `lower` to `upper`, `step` apart.
    var ticks: [Double] { Self.ticks(from: lower, to: upper, step: step) }

    /// Nice ticks inside `range` without widening it: for a time axis that must end where the
    /// run ended.
    static func ticks(within range: ClosedRange<Double>, tickCount: Int = 8) -> (ticks: [Double], step: Double) {
        let span = range.upperBound - range.lowerBound
        guard span > 0, span.isFinite else { return ([range.lowerBound], 1) }
        let step = niceNumber(span / Double(max(1, tickCount - 1)), round: true)
        let first = (range.lowerBound / step).rounded(.up) * step
        return (ticks(from: first, to: range.upperBound, step: step), step)
    }

    private static func ticks(from first: Double, to last: Double, step: Double) -> [Double] {
        guard step > 0 else { return [first] }
        // Bounded: a scale has at most a few dozen ticks, whatever the numbers.
        let count = min(100, Int(((last - first) / step + 1e-9).rounded(.down)) + 1)
        return (0..<max(count, 1)).map { first + Double($0) * step }
    }

    /// The nice number near `value`: rounded to the closest, or the smallest not below it.
    static func niceNumber(_ value: Double, round: Bool) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let exponent = (log10(value)).rounded(.down)
        let power = pow(10, exponent)
        let fraction = value / power
        let nice: Double
        if round {
            nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
        } else {
            nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10
        }
        return nice * power
    }

    /// A tick label with as many decimals as the step needs, and k/M beyond ten thousand.
    static func label(_ value: Double, step: Double) -> String {
        let magnitude = abs(value)
        var shown = value
        var stepShown = step
        var suffix = ""
        if magnitude >= 10_000_000 {
            (shown, stepShown, suffix) = (value / 1e6, step / 1e6, "M")
        } else if magnitude >= 10_000 {
            (shown, stepShown, suffix) = (value / 1e3, step / 1e3, "k")
        }
        let decimals = stepShown >= 1 ? 0 : min(6, Int((-log10(stepShown)).rounded(.up)))
        let text = String(format: "%.\(decimals)f", shown)
        return (text == "-0" ? "0" : text) + suffix
    }
}
