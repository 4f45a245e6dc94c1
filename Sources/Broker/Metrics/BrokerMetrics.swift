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
    /// From a request's arrival to its answer (or to the decision not to answer, acks=0).
    public let requestTotalTime = LatencyHistograms(name: "kafka_network_requestmetrics_totaltimems",
                                                    help: "Milliseconds from a request's arrival to its answer, per request (Kafka's RequestMetrics TotalTimeMs).")
    public init() {}
}

/// Request latencies per request name, as Prometheus histograms with Kafka's name for the figure
/// (`kafka.network:type=RequestMetrics,name=TotalTimeMs,request=Produce` becomes
/// `kafka_network_requestmetrics_totaltimems{request="Produce"}`). Fetches are split as Kafka splits
/// them: `FetchConsumer` and `FetchFollower` (replication). Safe from any thread.
public final class LatencyHistograms: Sendable {
    /// Upper bounds in milliseconds; the last bucket (+Inf) is implicit.
    public static let bucketsMs: [Double] = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000]

    struct Histogram {
        var counts = [Int64](repeating: 0, count: LatencyHistograms.bucketsMs.count)
        var count: Int64 = 0
        var sumMs: Double = 0
    }

    private let box = NIOLockedValueBox<[String: Histogram]>([:])
    public let name: String
    public let help: String

    public init(name: String, help: String) {
        self.name = name
        self.help = help
    }

    public func observe(_ request: String, milliseconds: Double) {
        box.withLockedValue { all in
            var histogram = all[request] ?? Histogram()
            if let index = Self.bucketsMs.firstIndex(where: { milliseconds <= $0 }) { histogram.counts[index] += 1 }
            histogram.count += 1
            histogram.sumMs += milliseconds
            all[request] = histogram
        }
    }

    /// The Prometheus text of every request seen so far: cumulative buckets, `_sum` and `_count`.
    public func render(brokerId: Int32) -> String {
        let all = box.withLockedValue { $0 }
        var text = "# HELP \(name) \(help)\n# TYPE \(name) histogram\n"
        for (request, histogram) in all.sorted(by: { $0.key < $1.key }) {
            let labels = "broker=\"\(brokerId)\",request=\"\(request)\""
            var cumulative: Int64 = 0
            for (bound, count) in zip(Self.bucketsMs, histogram.counts) {
                cumulative += count
                text += "\(name)_bucket{\(labels),le=\"\(Self.format(bound))\"} \(cumulative)\n"
            }
            text += "\(name)_bucket{\(labels),le=\"+Inf\"} \(histogram.count)\n"
            text += "\(name)_sum{\(labels)} \(histogram.sumMs)\n"
            text += "\(name)_count{\(labels)} \(histogram.count)\n"
        }
        return text
    }

    static func format(_ bound: Double) -> String { bound == bound.rounded() ? String(Int64(bound)) : String(bound) }
}
