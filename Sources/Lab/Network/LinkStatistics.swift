/// Counters of one direction of a link, over all its connections since the proxy started.
public struct DirectionStatistics: Hashable, Sendable {
    /// Bytes the proxy read from senders.
    public var bytesReceived: Int = 0
    /// Bytes the receivers' sockets accepted.
    public var bytesDelivered: Int = 0
    /// Bytes read but not yet delivered right now: held by a cut, waiting out a delay or a cap.
    public var bytesQueued: Int = 0

    public init() {}
}

/// What a link's proxy has carried, for tests and for the lab's status display.
public struct LinkStatistics: Hashable, Sendable {
    /// Connections the proxy accepted from the link's `from` side.
    public var connectionsAccepted: Int = 0
    /// Connections the proxy opened to the target.
    public var connectionsEstablished: Int = 0
    /// Connections open right now, including those held.
    public var connectionsOpen: Int = 0
    /// Connections accepted while the link was cut and not yet opened upstream.
    public var connectionsHeld: Int = 0
    /// Connections the proxy reset because the link is lossy.
    public var connectionsReset: Int = 0
    /// Connections the proxy closed because a timeout toxic ran out (`timeout --after D`).
    public var connectionsTimedOut: Int = 0
    /// Connections closed because the target refused or did not answer.
    public var connectionsRefused: Int = 0
    /// Connections turned away because the proxy already carried `LinkProxy.maxConnections`.
    public var connectionsRejected: Int = 0
    public var forward = DirectionStatistics()
    public var backward = DirectionStatistics()

    public init() {}
}
