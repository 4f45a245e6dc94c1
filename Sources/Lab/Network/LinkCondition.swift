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

    /// Toxiproxy's limit_data: once this many bytes have passed this direction of a connection
    /// (counted from the moment the limit reached it), the proxy closes the connection.
    public var limitBytes: Int? = nil
    /// Toxiproxy's slicer: bytes go out in pieces of `averageSize` ± `sizeVariation` bytes, each
    /// piece `delay` after the previous one.
    public var slicing: Slicing? = nil
    /// Toxiproxy's timeout: no byte passes (they are held, as under a blackhole, and flow again once
    /// healed), though new connections are still opened upstream.
    public var stalled: Bool = false
    /// With `stalled`: the proxy closes each connection this long after the stall reached it; nil
    /// keeps it open and silent.
    public var closeAfter: Duration? = nil

    public struct Slicing: Hashable, Sendable {
        public var averageSize: Int
        public var sizeVariation: Int
        public var delay: Duration

        public init(averageSize: Int, sizeVariation: Int = 0, delay: Duration = .zero) {
            self.averageSize = averageSize
            self.sizeVariation = sizeVariation
            self.delay = delay
        }

        /// The size of the next piece, uniform in [average - variation, average + variation], at least 1.
        func sampleSize(using random: inout some RandomNumberGenerator) -> Int {
            guard sizeVariation > 0 else { return max(1, averageSize) }
            return max(1, Int.random(in: (averageSize - sizeVariation)...(averageSize + sizeVariation), using: &random))
        }
    }

    public init(blackholed: Bool = false, latency: Duration = .zero, jitter: Duration = .zero, bandwidthBytesPerSecond: Int? = nil,
                limitBytes: Int? = nil, slicing: Slicing? = nil, stalled: Bool = false, closeAfter: Duration? = nil) {
        self.blackholed = blackholed
        self.latency = latency
        self.jitter = jitter
        self.bandwidthBytesPerSecond = bandwidthBytesPerSecond
        self.limitBytes = limitBytes
        self.slicing = slicing
        self.stalled = stalled
        self.closeAfter = closeAfter
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

    /// Closes each connection once `bytes` have passed one of the given directions (Toxiproxy limit_data).
    public static func limitData(bytes: Int, directions: LinkDirections = .both) -> LinkCondition {
        var condition = LinkCondition()
        if directions.contains(.forward) { condition.forward.limitBytes = bytes }
        if directions.contains(.backward) { condition.backward.limitBytes = bytes }
        return condition
    }

    /// Sends the given directions in small pieces with a delay between them (Toxiproxy slicer).
    public static func slice(_ slicing: DirectionCondition.Slicing, directions: LinkDirections = .both) -> LinkCondition {
        var condition = LinkCondition()
        if directions.contains(.forward) { condition.forward.slicing = slicing }
        if directions.contains(.backward) { condition.backward.slicing = slicing }
        return condition
    }

    /// Stops the given directions and closes each connection after `closeAfter` (never when nil)
    /// (Toxiproxy timeout).
    public static func timeout(closeAfter: Duration?, directions: LinkDirections = .both) -> LinkCondition {
        var condition = LinkCondition()
        if directions.contains(.forward) { (condition.forward.stalled, condition.forward.closeAfter) = (true, closeAfter) }
        if directions.contains(.backward) { (condition.backward.stalled, condition.backward.closeAfter) = (true, closeAfter) }
        return condition
    }

    /// Resets connections with the given probability per chunk and per new connection.
    public static func lossy(resetProbability: Double) -> LinkCondition {
        LinkCondition(resetProbability: resetProbability)
    }

    /// Both conditions at once: a direction is held (or stalled) if either holds it, the larger latency
    /// and jitter, the smaller bandwidth, byte limit, slice and close delay win, and so does the larger
    /// reset probability.
    public func combined(with other: LinkCondition) -> LinkCondition {
        LinkCondition(
            forward: Self.combine(forward, other.forward),
            backward: Self.combine(backward, other.backward),
            resetProbability: max(resetProbability, other.resetProbability)
        )
    }

    private static func combine(_ a: DirectionCondition, _ b: DirectionCondition) -> DirectionCondition {
        let rates = [a.bandwidthBytesPerSecond, b.bandwidthBytesPerSecond].compactMap { $0 }
        let limits = [a.limitBytes, b.limitBytes].compactMap { $0 }
        let slicings = [a.slicing, b.slicing].compactMap { $0 }
        let closes = [a.closeAfter, b.closeAfter].compactMap { $0 }
        return DirectionCondition(
            blackholed: a.blackholed || b.blackholed,
            latency: max(a.latency, b.latency),
            jitter: max(a.jitter, b.jitter),
            bandwidthBytesPerSecond: rates.min(),
            limitBytes: limits.min(),
            slicing: slicings.min { ($0.averageSize, $1.delay) < ($1.averageSize, $0.delay) },
            stalled: a.stalled || b.stalled,
            closeAfter: closes.min()
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
            if let limit = direction.limitBytes, limit <= 0 { problems.append("\(name) byte limit \(limit) is not positive") }
            if let slicing = direction.slicing {
                if slicing.averageSize <= 0 { problems.append("\(name) slice size \(slicing.averageSize) is not positive") }
                if slicing.sizeVariation < 0 || slicing.sizeVariation >= max(1, slicing.averageSize) {
                    problems.append("\(name) slice size variation \(slicing.sizeVariation) is not in [0, \(slicing.averageSize))")
                }
                if slicing.delay < .zero { problems.append("\(name) slice delay \(slicing.delay) is negative") }
            }
            if let close = direction.closeAfter {
                if !direction.stalled { problems.append("\(name) closes connections after a timeout without stalling them") }
                if close <= .zero { problems.append("\(name) timeout \(close) is not positive") }
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
        if let limit = direction.limitBytes { parts.append("limit \(limit) B") }
        if let slicing = direction.slicing {
            let variation = slicing.sizeVariation > 0 ? "±\(slicing.sizeVariation)" : ""
            parts.append("slices of \(slicing.averageSize)\(variation) B every \(milliseconds(slicing.delay))ms")
        }
        if direction.stalled { parts.append("timeout" + (direction.closeAfter.map { ", close after \(milliseconds($0))ms" } ?? "")) }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    private static func milliseconds(_ duration: Duration) -> String {
        let ms = Double(DirectionCondition.nanoseconds(duration)) / 1_000_000
        return ms == ms.rounded() ? String(Int64(ms)) : String(ms)
    }
}
