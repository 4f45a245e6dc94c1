/// A set of time spans `[start, end)` in nanoseconds, kept sorted and disjoint, with the few set
/// operations the event checkers need.
struct TimeSpans: Equatable {
    private(set) var spans: [(start: Int64, end: Int64)] = []

    init() {}

    init(_ list: [(start: Int64, end: Int64)]) {
        for span in list { insert(span.start, span.end) }
    }

    static func == (lhs: TimeSpans, rhs: TimeSpans) -> Bool {
        lhs.spans.count == rhs.spans.count && zip(lhs.spans, rhs.spans).allSatisfy { $0.start == $1.start && $0.end == $1.end }
    }

    var isEmpty: Bool { spans.isEmpty }

    /// Adds `[start, end)`, merging it with the spans it touches. Empty spans are ignored.
    mutating func insert(_ start: Int64, _ end: Int64) {
        guard end > start else { return }
        var merged = (start: start, end: end)
        var result: [(start: Int64, end: Int64)] = []
        result.reserveCapacity(spans.count + 1)
        var placed = false
        for span in spans {
            if span.end < merged.start {
                result.append(span)
            } else if span.start > merged.end {
                if !placed {
                    result.append(merged)
                    placed = true
                }
                result.append(span)
            } else {
                merged = (min(span.start, merged.start), max(span.end, merged.end))
            }
        }
        if !placed { result.append(merged) }
        spans = result
    }

    func union(_ other: TimeSpans) -> TimeSpans {
        var result = self
        for span in other.spans { result.insert(span.start, span.end) }
        return result
    }

    /// The parts of these spans inside `[start, end)`.
    func clipped(to start: Int64, _ end: Int64) -> TimeSpans {
        var result = TimeSpans()
        for span in spans where span.end > start && span.start < end {
            result.spans.append((max(span.start, start), min(span.end, end)))
        }
        return result
    }

    /// These spans with `other`'s removed.
    func subtracting(_ other: TimeSpans) -> TimeSpans {
        var result = TimeSpans()
        for span in spans {
            var cursor = span.start
            for cut in other.spans where cut.end > cursor && cut.start < span.end {
                if cut.start > cursor { result.spans.append((cursor, cut.start)) }
                cursor = max(cursor, cut.end)
            }
            if cursor < span.end { result.spans.append((cursor, span.end)) }
        }
        return result
    }

    func contains(_ time: Int64) -> Bool {
        spans.contains { $0.start <= time && time < $0.end }
    }
}
