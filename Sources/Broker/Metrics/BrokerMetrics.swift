import NIOConcurrencyHelpers

/// A monotonically increasing count, safe from any thread.
public final class Counter: Sendable {
    private let box = NIOLockedValueBox<Int64>(0)
    public init() {}
    public func add(_ delta: Int64) { box.withLockedValue { $0 += delta } }
    public var value: Int64 { box.withLockedValue { $0 } }
}

/// Counters the broker keeps; gauges (UnderReplicatedPartitions, LeaderCount, ...) are computed from
/// the partitions when the endpoint is scraped, so they can never drift from the state they describe.
public final class BrokerMetrics: Sendable {
    public let isrShrinks = Counter()
    public let isrExpands = Counter()
    public let uncleanLeaderElections = Counter()
    public let requests = Counter()
    public let produceRequests = Counter()
    public let fetchRequests = Counter()
    public let bytesIn = Counter()
    public let bytesOut = Counter()
    /// Produced batches refused by validation (CORRUPT_MESSAGE, INVALID_RECORD, INVALID_TIMESTAMP, ...).
    public let rejectedProduceBatches = Counter()
    public init() {}
}
