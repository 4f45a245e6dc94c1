/// Directions of a link: `forward` carries the bytes of the side that opened the connection to the
/// side that accepted it (requests), `backward` the bytes coming back (replies).
public struct LinkDirections: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let forward = LinkDirections(rawValue: 1)
    public static let backward = LinkDirections(rawValue: 2)
    public static let both: LinkDirections = [.forward, .backward]
}

/// How one direction of a link treats the bytes that enter it.
public struct DirectionCondition: Hashable, Sendable {
    /// Bytes (and closes) entering this direction are held, neither delivered nor discarded, until
    /// the direction is healed: what iptables DROP does to a TCP stream, whose retransmissions
    /// deliver everything once the rule is removed.
    public var blackholed: Bool = false
    /// One-way delay added to every byte; each chunk's delay is drawn uniformly from
    /// [max(0, latency - jitter), latency + jitter] and order is kept.
    public var latency: Duration = .zero
    public var jitter: Duration = .zero
    /// Cap on this direction's throughput, per connection; nil leaves it uncapped.
    public var bandwidthBytesPerSecond: Int? = nil

    public init(blackholed: Bool = false, latency: Duration = .zero, jitter: Duration = .zero, bandwidthBytesPerSecond: Int? = nil) {
        self.blackholed = blackholed
        self.latency = latency
        self.jitter = jitter
        self.bandwidthBytesPerSecond = bandwidthBytesPerSecond
    }

    var isDelayed: Bool { latency > .zero || jitter > .zero }

    /// Whole nanoseconds of `duration`, saturating far beyond any delay a lab would apply (292 years).
    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let (scaled, overflowed) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (total, overflowedAgain) = scaled.addingReportingOverflow(attoseconds / 1_000_000_000)
        if overflowed || overflowedAgain { return seconds < 0 ? .min : .max }
        return total
    }
}

/// The state of one link, applied by its proxy to the connections it carries, old and new, from the
/// moment it is set. Conditions combine: a link can be delayed, capped and lossy at once.
public struct LinkCondition: Hashable, Sendable, CustomStringConvertible {
    public var forward: DirectionCondition
    public var backward: DirectionCondition
    /// Probability, in [0, 1], that the proxy resets a connection (RST to both sides) each time it
    /// reads a chunk from either side, and that it resets a connection as soon as it is accepted. A
    /// chunk is what one read of the socket returns: about one Kafka request or response when the
    /// traffic is request/response, up to 64 KiB under bulk transfer.
    public var resetProbability: Double

    public init(forward: DirectionCondition = .init(), backward: DirectionCondition = .init(), resetProbability: Double = 0) {
        self.forward = forward
        self.backward = backward
        self.resetProbability = resetProbability
    }

    /// Every byte flows as fast as loopback allows: the state a healed link returns to.
    public static let connected = LinkCondition()

    /// Holds the given directions (both by default) until healed.
    public static func blackhole(_ directions: LinkDirections = .both) -> LinkCondition {
        var condition = LinkCondition()
        condition.forward.blackholed = directions.contains(.forward)
        condition.backward.blackholed = directions.contains(.backward)
        return condition
    }

    /// Adds one-way latency with jitter to the given directions (both by default, so a round trip
    /// grows by twice the latency, as with netem on both hosts).
    public static func delay(latency: Duration, jitter: Duration = .zero, directions: LinkDirections = .both) -> LinkCondition {
        var condition = LinkCondition()
        if directions.contains(.forward) { (condition.forward.latency, condition.forward.jitter) = (latency, jitter) }
        if directions.contains(.backward) { (condition.backward.latency, condition.backward.jitter) = (latency, jitter) }
        return condition
    }

    /// Caps each given direction of each connection at `bytesPerSecond`.
    public static func bandwidth(bytesPerSecond: Int, directions: LinkDirections = .both) -> LinkCondition {
        var condition = LinkCondition()
        if directions.contains(.forward) { condition.forward.bandwidthBytesPerSecond = bytesPerSecond }
        if directions.contains(.backward) { condition.backward.bandwidthBytesPerSecond = bytesPerSecond }
        return condition
    }

    /// Resets connections with the given probability per chunk and per new connection.
    public static func lossy(resetProbability: Double) -> LinkCondition {
        LinkCondition(resetProbability: resetProbability)
    }

    /// Both conditions at once: a direction is held if either holds it, the larger latency and jitter
    /// and the smaller bandwidth win, and so does the larger reset probability.
    public func combined(with other: LinkCondition) -> LinkCondition {
        LinkCondition(
            forward: Self.combine(forward, other.forward),
            backward: Self.combine(backward, other.backward),
            resetProbability: max(resetProbability, other.resetProbability)
        )
    }

    private static func combine(_ a: DirectionCondition, _ b: DirectionCondition) -> DirectionCondition {
        let rates = [a.bandwidthBytesPerSecond, b.bandwidthBytesPerSecond].compactMap { $0 }
        return DirectionCondition(
            blackholed: a.blackholed || b.blackholed,
            latency: max(a.latency, b.latency),
            jitter: max(a.jitter, b.jitter),
            bandwidthBytesPerSecond: rates.min()
        )
    }

    /// True when some direction is held. New connections then wait, accepted by the proxy but not
    /// opened upstream: a TCP handshake needs both directions, so under a one-way cut it cannot
    /// complete either.
    public var holdsNewConnections: Bool { forward.blackholed || backward.blackholed }

    /// The reasons this condition cannot be applied, empty when it can.
    public var problems: [String] {
        var problems: [String] = []
        if !(0...1).contains(resetProbability) { problems.append("reset probability \(resetProbability) is outside [0, 1]") }
        for (name, direction) in [("forward", forward), ("backward", backward)] {
            if direction.latency < .zero { problems.append("\(name) latency \(direction.latency) is negative") }
            if direction.jitter < .zero { problems.append("\(name) jitter \(direction.jitter) is negative") }
            if let rate = direction.bandwidthBytesPerSecond, rate <= 0 {
                problems.append("\(name) bandwidth \(rate) B/s is not positive")
            }
        }
        return problems
    }

    /// `connected`, or what each direction suffers, e.g. `forward: blackhole; backward: delay 50ms±10ms, 1000000 B/s`.
    public var description: String {
        if self == .connected { return "connected" }
        var parts: [String] = []
        if forward == backward {
            if let text = Self.describe(forward) { parts.append(text) }
        } else {
            if let text = Self.describe(forward) { parts.append("forward: " + text) }
            if let text = Self.describe(backward) { parts.append("backward: " + text) }
        }
        if resetProbability > 0 { parts.append("reset probability \(resetProbability)") }
        return parts.joined(separator: "; ")
    }

    private static func describe(_ direction: DirectionCondition) -> String? {
        var parts: [String] = []
        if direction.blackholed { parts.append("blackhole") }
        if direction.isDelayed {
            let jitter = direction.jitter > .zero ? "±\(milliseconds(direction.jitter))ms" : ""
            parts.append("delay \(milliseconds(direction.latency))ms\(jitter)")
        }
        if let rate = direction.bandwidthBytesPerSecond { parts.append("\(rate) B/s") }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    private static func milliseconds(_ duration: Duration) -> String {
        let ms = Double(DirectionCondition.nanoseconds(duration)) / 1_000_000
        return ms == ms.rounded() ? String(Int64(ms)) : String(ms)
    }
}
