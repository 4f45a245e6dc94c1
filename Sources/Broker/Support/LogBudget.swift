/// A bound on how many lines one kind of log message may write: at most `linesPerWindow` per
/// `windowMs`, the rest counted and reported by the first line of a later window. A client that
/// sends a flood of bad requests must not be able to fill the broker's disk with its log.
///
/// A value type with time passed in; its owner keeps it behind a lock.
struct LogBudget: Sendable, Equatable {
    enum Decision: Sendable, Equatable {
        /// Write the line; `suppressedBefore` lines were dropped since the last one written.
        case log(suppressedBefore: Int)
        case suppress
    }

    let linesPerWindow: Int
    let windowMs: Int64
    private var windowStartMs: Int64?
    private var linesInWindow = 0
    private var suppressed = 0

    init(linesPerWindow: Int, windowMs: Int64) {
        precondition(linesPerWindow > 0 && windowMs > 0, "a log budget of \(linesPerWindow) lines per \(windowMs) ms")
        self.linesPerWindow = linesPerWindow
        self.windowMs = windowMs
    }

    /// Whether a line may be written at `nowMs` (a monotonic clock).
    mutating func admit(nowMs: Int64) -> Decision {
        if let start = windowStartMs, nowMs - start < windowMs {
            guard linesInWindow < linesPerWindow else {
                suppressed += 1
                return .suppress
            }
            linesInWindow += 1
            return .log(suppressedBefore: 0)
        }
        windowStartMs = nowMs
        linesInWindow = 1
        defer { suppressed = 0 }
        return .log(suppressedBefore: suppressed)
    }
}
