import Foundation
import KafkaClient
import KafkaProtocol
import Verification

extension LabSession {
    /// Takes the end-of-run leadership census of `topics` (after the faults healed and the cluster
    /// settled) and appends it to the timeline as a `leadership_census` record with phase `end`.
    /// While it is unsettled (two leaders, a stale epoch, a silent broker) it is retaken, at most
    /// `attempts` times `retryDelayMs` apart, each attempt recorded, so that a leader change still
    /// in flight can finish; the stale-leader checker judges the last one. Returns that one.
    @discardableResult
    public func recordLeadershipCensus(topics: [String], attempts: Int = 3, retryDelayMs: Int = 1000) async -> LeadershipCensus {
        let metadata = try? await client.refreshMetadata(topics: topics)
        var partitions = topics.flatMap { topic in (metadata?.topics[topic]?.partitions ?? []).map(\.topicPartition) }
        if partitions.isEmpty {
            let wanted = Set(topics)
            partitions = observer.snapshot.partitions.filter { wanted.contains($0.topic) }.map { TopicPartition($0.topic, $0.partition) }
        }
        var census = LeadershipCensus(phase: .end, partitions: [])
        for attempt in 1...max(1, attempts) {
            let targets = cluster.brokerIds.map { id -> LeadershipCensusTaker.Target in
                let state = cluster.brokers.first { $0.id == id }?.state
                let serving = state == .running || state == .stopping
                return LeadershipCensusTaker.Target(broker: id, port: cluster.internalPort(id),
                                                    notRunning: serving ? nil : "the broker is \(state?.rawValue ?? "not started")")
            }
            let answers = await LeadershipCensusTaker.take(targets: targets, partitions: partitions, group: group)
            census = LeadershipCensus(phase: .end, attempt: attempt, method: "list_offsets", partitions: answers)
            timeline.append(TimelineRecord(timeNs: TimelineLog.nowNs(), observer: "census", .leadershipCensus(census)))
            let fresh = try? await client.refreshMetadata(topics: topics)
            let epochs = Dictionary(topics.flatMap { fresh?.topics[$0]?.partitions ?? [] }.map { ($0.topicPartition, $0.leaderEpoch) },
                                    uniquingKeysWith: { a, _ in a })
            guard attempt < attempts, let why = LeadershipCensusTaker.unsettled(answers, metadataEpochs: epochs) else { break }
            logger.info("leadership census attempt \(attempt) is unsettled (\(why)); taking it again in \(retryDelayMs) ms")
            try? await Task.sleep(for: .milliseconds(retryDelayMs))
        }
        return census
    }
}
