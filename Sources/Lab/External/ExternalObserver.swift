import Foundation
import KafkaClient
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import Verification

/// What Samsa can observe of a cluster it did not start, through Kafka's protocol only: Metadata
/// (leader, epoch, replicas, ISR and offline replicas per partition, the controller) and each
/// partition's high watermark by ListOffsets at its leader, written to the timeline in the same
/// records the lab's `Observer` writes (`metadata`, `offsets` without LEO, `unreachable`). What the
/// lab reads from its own brokers — their event logs, metrics endpoints and data directories — does
/// not exist here, and the checkers that need it say so (`ExternalEvidence`).
///
/// Owner: its one sampling task writes the snapshot under its lock.
public final class ExternalObserver: Sendable {
    let client: KafkaCluster
    let timeline: TimelineLog
    let intervalMs: Int64
    let logger: Logger
    private let snapshotBox = NIOLockedValueBox(Observer.Snapshot())
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    public init(client: KafkaCluster, timeline: TimelineLog, intervalMs: Int64 = 500, logger: Logger) {
        self.client = client
        self.timeline = timeline
        self.intervalMs = intervalMs
        self.logger = logger
    }

    public var snapshot: Observer.Snapshot { snapshotBox.withLockedValue { $0 } }

    public func start() {
        task.withLockedValue { $0 = Task { await self.run() } }
    }

    public func stop() async {
        let running = task.withLockedValue { $0 }
        running?.cancel()
        _ = await running?.value
    }

    private func run() async {
        while !Task.isCancelled {
            let started = TimelineLog.nowNs()
            await sample()
            let elapsedMs = (TimelineLog.nowNs() - started) / 1_000_000
            try? await Task.sleep(for: .milliseconds(max(10, intervalMs - elapsedMs)))
        }
    }

    /// One Metadata request and one ListOffsets per leader.
    func sample() async {
        let metadata: KafkaCluster.Metadata
        do {
            metadata = try await client.refreshMetadata(topics: nil)
        } catch {
            timeline.append(.unreachable(UnreachableSample(target: "cluster", error: "\(error)")), observer: "metadata")
            return
        }
        let partitions = metadata.topics.values.filter { !$0.isInternal }.flatMap(\.partitions).sorted { $0.topicPartition < $1.topicPartition }
        timeline.append(.metadata(MetadataSample(metadata, partitions: partitions)), observer: "metadata")
        let led = partitions.filter { $0.leader >= 0 }
        let watermarks = await KafkaAdmin(cluster: client).listOffsets(led.map(\.topicPartition), timestamp: -1)
        for p in led {
            guard let hw = watermarks[p.topicPartition] else {
                timeline.append(.unreachable(UnreachableSample(
                    target: "broker-\(p.leader)", error: "ListOffsets for \(p.topicPartition.topic)/\(p.topicPartition.partition) did not answer")),
                                observer: "offsets")
                continue
            }
            timeline.append(.offsets(OffsetsSample(topic: p.topicPartition.topic, partition: p.topicPartition.partition, hw: hw,
                                                   leader: p.leader, leaderEpoch: p.leaderEpoch)), observer: "offsets")
        }
        snapshotBox.withLockedValue { snapshot in
            snapshot.timeNs = TimelineLog.nowNs()
            snapshot.controller = metadata.controllerId
            snapshot.partitions = partitions.map { p in
                Observer.Snapshot.Partition(topic: p.topicPartition.topic, partition: p.topicPartition.partition, leader: p.leader,
                                            leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr,
                                            highWatermark: watermarks[p.topicPartition], logEndOffset: nil)
            }
        }
    }
}
