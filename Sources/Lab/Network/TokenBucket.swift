import NIOCore

/// Paces one direction of one connection at a fixed byte rate. The bucket holds at most `burstBytes`
/// tokens, refilled continuously at the rate; a write spends one token per byte. A small bucket
/// keeps the cap honest over short windows, as `tc tbf` with a small burst does.
struct TokenBucket: Equatable {
    let rateBytesPerSecond: Int
    /// 10 ms worth of traffic, at least one byte: large enough that pacing costs about one timer
    /// per 10 ms, small enough that a burst hardly shows in any measurement of the rate.
    let burstBytes: Int
    private(set) var tokens: Double
    private var refilledAt: NIODeadline

    init(rateBytesPerSecond: Int, now: NIODeadline) {
        precondition(rateBytesPerSecond > 0, "bandwidth must be positive, got \(rateBytesPerSecond)")
        self.rateBytesPerSecond = rateBytesPerSecond
        self.burstBytes = max(1, rateBytesPerSecond / 100)
        self.tokens = Double(burstBytes)
        self.refilledAt = now
    }

    /// Spends up to `wanted` tokens and returns how many bytes may be written now. Grants nothing
    /// until `min(wanted, burstBytes)` tokens are there: granting the few tokens that trickle in
    /// between two calls would turn pacing into a busy loop of tiny writes.
    mutating func take(upTo wanted: Int, now: NIODeadline) -> Int {
        refill(now: now)
        // The epsilon absorbs rounding in the refill, so a wake-up at `availableAt` finds its tokens.
        let available = Int(tokens + 1e-6)
        guard available >= min(wanted, burstBytes) else { return 0 }
        let granted = min(wanted, available)
        tokens -= Double(granted)
        return granted
    }

    /// When `bytes` tokens (capped at the burst) will be available, if nothing else spends them.
    func availableAt(bytes: Int, now: NIODeadline) -> NIODeadline {
        var refilled = self
        refilled.refill(now: now)
        let missing = Double(min(bytes, burstBytes)) - refilled.tokens
        guard missing > 0 else { return now }
        let nanoseconds = (missing * 1_000_000_000 / Double(rateBytesPerSecond)).rounded(.up)
        return now + .nanoseconds(Int64(nanoseconds))
    }

    private mutating func refill(now: NIODeadline) {
        guard now > refilledAt else { return }
        let elapsedSeconds = Double((now - refilledAt).nanoseconds) / 1_000_000_000
        tokens = min(Double(burstBytes), tokens + elapsedSeconds * Double(rateBytesPerSecond))
        refilledAt = now
    }
}
