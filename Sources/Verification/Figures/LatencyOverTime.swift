/// Produce latency of the sends acknowledged in one time bucket, for latency charts. The buckets
/// are the throughput buckets (same start and width), so the two charts line up; a bucket with no
/// acknowledgement has no percentiles, and charts show the gap instead of bridging it.
public struct LatencyBucket: Sendable, Hashable, Codable {
    public var startNs: Int64
    /// Acknowledged sends completed in the bucket.
    public var count: Int
    public var p50Ms: Double?
    public var p99Ms: Double?
    public var maxMs: Double?

    public init(startNs: Int64, count: Int, p50Ms: Double? = nil, p99Ms: Double? = nil, maxMs: Double? = nil) {
        self.startNs = startNs
        self.count = count
        self.p50Ms = p50Ms
        self.p99Ms = p99Ms
        self.maxMs = maxMs
    }

    enum CodingKeys: String, CodingKey {
        case count
        case startNs = "start_ns"
        case p50Ms = "p50_ms"
        case p99Ms = "p99_ms"
        case maxMs = "max_ms"
    }
}

extension LatencyFigures {
    /// Exact nearest-rank percentiles per bucket. Unlike the run's summary this keeps no
    /// histogram per bucket (a long run has tens of thousands of buckets); it holds each
    /// acknowledged send's latency once, which the history already costs.
    static func latencyOverTime(_ history: History, sends table: SendTable) -> [LatencyBucket] {
        var sends: [(completionNs: Int64, latencyNs: Int64)] = []
        var completionTimes: [Int64] = []
        for entry in table.entries where entry.completionPosition >= 0 {
            let completionNs = history.timeNs(at: entry.completionPosition)
            completionTimes.append(completionNs)
            guard entry.outcome == .ok, entry.invokePosition >= 0 else { continue }
            sends.append((completionNs, max(0, completionNs - history.timeNs(at: entry.invokePosition))))
        }
        guard let buckets = SendBuckets(completionTimesNs: completionTimes) else { return [] }
        var latencies = [[Int64]](repeating: [], count: buckets.count)
        for send in sends { latencies[buckets.bucket(of: send.completionNs)].append(send.latencyNs) }
        return latencies.enumerated().map { bucket, values in
            let sorted = values.sorted()
            func percentile(_ p: Double) -> Double? {
                guard !sorted.isEmpty else { return nil }
                let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
                return Double(sorted[min(max(rank, 1), sorted.count) - 1]) / 1e6
            }
            return LatencyBucket(
                startNs: buckets.startNs(of: bucket), count: sorted.count, p50Ms: percentile(50), p99Ms: percentile(99),
                maxMs: sorted.last.map { Double($0) / 1e6 })
        }
    }
}
