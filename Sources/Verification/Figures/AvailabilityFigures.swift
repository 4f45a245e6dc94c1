import KafkaProtocol

/// A span during which a partition could not take writes.
public struct UnavailabilityWindow: Sendable, Hashable, Codable {
    public enum Cause: String, Sendable, Hashable, Codable {
        /// Metadata samples showed the partition without a leader.
        case noLeader = "no_leader"
        /// Every send to the partition that completed in the span failed or timed out.
        case produceFailing = "produce_failing"
    }

    public var topic: String
    /// Nil for a produce window of sends whose partition was never learned: the whole topic.
    public var partition: Int32?
    public var cause: Cause
    public var startNs: Int64
    public var endNs: Int64
    public var durationMs: Double
    /// Still unavailable when observation ended; `endNs` is then the last observation.
    public var ongoing: Bool
    /// Sends that failed or timed out in a produce window.
    public var failedSends: Int?

    enum CodingKeys: String, CodingKey {
        case topic, partition, cause, ongoing
        case startNs = "start_ns"
        case endNs = "end_ns"
        case durationMs = "duration_ms"
        case failedSends = "failed_sends"
    }
}

enum AvailabilityFigures {
    static func unavailability(_ history: History, sends: SendTable, samples: ClusterSamples) -> [UnavailabilityWindow] {
        (leaderless(samples) + produceFailing(history, sends: sends)).sorted {
            ($0.startNs, $0.topic, $0.partition ?? -1, $0.cause.rawValue) < ($1.startNs, $1.topic, $1.partition ?? -1, $1.cause.rawValue)
        }
    }

    /// Runs of samples that know the partition has no leader. The run ends at the first sample
    /// that does not say so (a leader, or no knowledge): only known unavailability is reported.
    static func leaderless(_ samples: ClusterSamples) -> [UnavailabilityWindow] {
        var windows: [UnavailabilityWindow] = []
        for partition in samples.partitions {
            var start: Int64?
            var lastTime: Int64 = 0
            for sample in samples.held(partition) {
                lastTime = sample.timeNs
                let noLeader = sample.state.map { !$0.hasLeader } ?? false
                if noLeader, start == nil { start = sample.timeNs }
                if !noLeader, let began = start {
                    windows.append(window(partition, .noLeader, began, sample.timeNs, ongoing: false))
                    start = nil
                }
            }
            if let began = start { windows.append(window(partition, .noLeader, began, lastTime, ongoing: true)) }
        }
        return windows
    }

    /// Per partition (or per topic, for sends whose partition is unknown), completions in time
    /// order: a window opens at the first failed or indeterminate send after an acknowledged one
    /// (at that send's invoke, but not before the previous acknowledgement) and closes at the next
    /// acknowledgement.
    static func produceFailing(_ history: History, sends: SendTable) -> [UnavailabilityWindow] {
        struct Attempt {
            var invokeNs: Int64
            var completionNs: Int64
            var ok: Bool
        }
        struct Key: Hashable {
            var topic: Int32
            /// A partition number of the send table, or -1 for sends whose partition is unknown.
            var partition: Int32
        }
        let partitionless = Set(sends.entries.lazy.filter { $0.partition < 0 }.map(\.topic))
        var attempts: [Key: [Attempt]] = [:]
        for entry in sends.entries where entry.completionPosition >= 0 {
            let firstPosition = entry.invokePosition >= 0 ? entry.invokePosition : entry.completionPosition
            let attempt = Attempt(
                invokeNs: history.timeNs(at: firstPosition), completionNs: history.timeNs(at: entry.completionPosition),
                ok: entry.outcome == .ok)
            attempts[Key(topic: entry.topic, partition: entry.partition), default: []].append(attempt)
            if attempt.ok, entry.partition >= 0, partitionless.contains(entry.topic) {
                // An acknowledgement anywhere in the topic also ends a window of partition-less failures.
                attempts[Key(topic: entry.topic, partition: -1), default: []].append(attempt)
            }
        }
        var windows: [UnavailabilityWindow] = []
        for (key, list) in attempts where list.contains(where: { !$0.ok }) {
            let partition = key.partition >= 0
                ? sends.partitions[Int(key.partition)] : TopicPartition(sends.topics[Int(key.topic)], -1)
            var lastOkNs: Int64?
            var open: (startNs: Int64, failures: Int)?
            for attempt in list.sorted(by: { $0.completionNs < $1.completionNs }) {
                if attempt.ok {
                    if let window = open {
                        var closed = self.window(partition, .produceFailing, window.startNs, attempt.completionNs, ongoing: false)
                        closed.partition = key.partition >= 0 ? partition.partition : nil
                        closed.failedSends = window.failures
                        windows.append(closed)
                        open = nil
                    }
                    lastOkNs = attempt.completionNs
                } else if var window = open {
                    window.failures += 1
                    open = window
                } else {
                    open = (max(attempt.invokeNs, lastOkNs ?? attempt.invokeNs), 1)
                }
            }
            if let window = open, let lastNs = list.map(\.completionNs).max() {
                var closed = self.window(partition, .produceFailing, window.startNs, lastNs, ongoing: true)
                closed.partition = key.partition >= 0 ? partition.partition : nil
                closed.failedSends = window.failures
                windows.append(closed)
            }
        }
        return windows
    }

    static func window(
        _ partition: TopicPartition, _ cause: UnavailabilityWindow.Cause, _ startNs: Int64, _ endNs: Int64, ongoing: Bool
    ) -> UnavailabilityWindow {
        UnavailabilityWindow(
            topic: partition.topic, partition: partition.partition, cause: cause, startNs: startNs, endNs: endNs,
            durationMs: Double(endNs - startNs) / 1e6, ongoing: ongoing)
    }
}
