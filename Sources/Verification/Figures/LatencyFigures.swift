import Histogram

/// Produce latency percentiles, in milliseconds.
public struct LatencySummary: Sendable, Hashable, Codable {
    public var count: Int
    public var p50Ms: Double
    public var p90Ms: Double
    public var p99Ms: Double
    public var p999Ms: Double
    public var maxMs: Double
    public var meanMs: Double

    enum CodingKeys: String, CodingKey {
        case count
        case p50Ms = "p50_ms"
        case p90Ms = "p90_ms"
        case p99Ms = "p99_ms"
        case p999Ms = "p999_ms"
        case maxMs = "max_ms"
        case meanMs = "mean_ms"
    }
}

/// Sends completed in one time bucket, for throughput charts.
public struct ThroughputBucket: Sendable, Hashable, Codable {
    public var startNs: Int64
    public var acknowledged: Int
    public var failed: Int
    public var indeterminate: Int

    enum CodingKeys: String, CodingKey {
        case acknowledged, failed, indeterminate
        case startNs = "start_ns"
    }
}

enum LatencyFigures {
    /// The histogram's range: 1 µs to one hour, at 3 significant digits. A send slower than an
    /// hour is recorded as an hour.
    static let highestLatencyMicros: UInt64 = 3_600_000_000
    /// Throughput buckets are one second wide, widened (by whole seconds) when a run is so long
    /// that one-second buckets would exceed this many.
    static let maxBuckets: Int64 = 86_400

    static func produceLatency(_ history: History, sends: SendTable) -> LatencySummary? {
        var histogram = Histogram<UInt64>(
            lowestDiscernibleValue: 1, highestTrackableValue: highestLatencyMicros, numberOfSignificantValueDigits: .three)
        for entry in sends.entries where entry.outcome == .ok && entry.invokePosition >= 0 {
            let elapsedNs = history.timeNs(at: entry.completionPosition) - history.timeNs(at: entry.invokePosition)
            let micros = UInt64(max(0, elapsedNs) / 1000)
            histogram.record(min(max(micros, 1), highestLatencyMicros))
        }
        guard histogram.totalCount > 0 else { return nil }
        func ms(_ micros: UInt64) -> Double { Double(micros) / 1000 }
        return LatencySummary(
            count: Int(histogram.totalCount), p50Ms: ms(histogram.valueAtPercentile(50)),
            p90Ms: ms(histogram.valueAtPercentile(90)), p99Ms: ms(histogram.valueAtPercentile(99)),
            p999Ms: ms(histogram.valueAtPercentile(99.9)), maxMs: ms(histogram.max), meanMs: histogram.mean / 1000)
    }

    /// Send completions per bucket, from the first completion's second to the last's, empty
    /// buckets included so charts show the gaps.
    static func throughput(_ history: History, sends: SendTable) -> [ThroughputBucket] {
        let completions = sends.entries.lazy.filter { $0.completionPosition >= 0 }
            .map { (timeNs: history.timeNs(at: $0.completionPosition), type: $0.outcome) }
        guard let buckets = SendBuckets(completionTimesNs: completions.map(\.timeNs)) else { return [] }
        var throughput = (0..<buckets.count).map {
            ThroughputBucket(startNs: buckets.startNs(of: $0), acknowledged: 0, failed: 0, indeterminate: 0)
        }
        for completion in completions {
            let bucket = buckets.bucket(of: completion.timeNs)
            switch completion.type {
            case .ok: throughput[bucket].acknowledged += 1
            case .fail: throughput[bucket].failed += 1
            case .info, .invoke: throughput[bucket].indeterminate += 1
            }
        }
        return throughput
    }
}

/// The time buckets of a run's send completions: one second wide, from the first completion's
/// second to the last's, widened (by whole seconds) when there would be more than `maxBuckets`.
/// Throughput and latency over time share them, so their charts line up.
struct SendBuckets {
    let originNs: Int64
    let widthNs: Int64
    let count: Int

    init?(completionTimesNs times: some Sequence<Int64>) {
        var first: Int64?
        var last: Int64?
        for time in times {
            first = min(first ?? time, time)
            last = max(last ?? time, time)
        }
        guard let first, let last else { return nil }
        let second: Int64 = 1_000_000_000
        // Floor division, so a (malformed) negative time still lands in a bucket.
        func floorSeconds(_ ns: Int64) -> Int64 { ns >= 0 ? ns / second : -((-ns + second - 1) / second) }
        let firstSecond = floorSeconds(first)
        let seconds = floorSeconds(last) - firstSecond + 1
        widthNs = second * ((seconds + LatencyFigures.maxBuckets - 1) / LatencyFigures.maxBuckets)
        originNs = firstSecond * second
        count = Int((last - originNs) / widthNs + 1)
    }

    func startNs(of bucket: Int) -> Int64 { originNs + Int64(bucket) * widthNs }

    func bucket(of timeNs: Int64) -> Int { Int((timeNs - originNs) / widthNs) }
}
