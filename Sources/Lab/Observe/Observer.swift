import Foundation
import KafkaClient
import KafkaProtocol
import Logging
import NIOConcurrencyHelpers
import Verification

/// The lab's live view, sampled about every `intervalMs`: Metadata from the cluster (leader, epoch,
/// ISR per partition, controller), each leader's HW and LEO from its metrics endpoint, consumer-group
/// lag (every `lagIntervalMs`), and the brokers' own event logs, merged into `timeline.jsonl`. It
/// talks to the brokers' internal ports, around the proxies, so injected partitions do not blind it;
/// a broker that does not answer (crashed, paused) is recorded as unreachable, never as zero.
public final class Observer: Sendable {
    /// The latest view, for `cluster status` and the shell's `watch`.
    public struct Snapshot: Sendable, Codable, Equatable {
        public struct Partition: Sendable, Codable, Equatable {
            public var topic: String
            public var partition: Int32
            public var leader: Int32
            public var leaderEpoch: Int32
            public var replicas: [Int32]
            public var isr: [Int32]
            public var highWatermark: Int64?
            public var logEndOffset: Int64?
        }
        public struct Lag: Sendable, Codable, Equatable {
            public var group: String
            public var topic: String
            public var partition: Int32
            public var committed: Int64
            public var end: Int64
            public var lag: Int64
        }
        public var timeNs: Int64 = 0
        public var controller: Int32 = -1
        public var partitions: [Partition] = []
        public var lag: [Lag] = []
        public var unreachable: [String] = []
    }

    let cluster: LocalCluster
    let client: KafkaCluster
    let timeline: TimelineLog
    let logger: Logger
    let intervalMs: Int64
    let lagIntervalMs: Int64
    private let snapshotBox = NIOLockedValueBox(Snapshot())
    private let eventOffsets = NIOLockedValueBox<[Int32: UInt64]>([:])
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)
    /// The partitions several brokers claimed at the last scrape, as last recorded (nil before
    /// the first scrape, which is always recorded so the timeline shows the census ran).
    private let contested = NIOLockedValueBox<[TopicPartition: [Int32: Int32]]?>(nil)

    public init(cluster: LocalCluster, client: KafkaCluster, timeline: TimelineLog, intervalMs: Int64 = 200, lagIntervalMs: Int64 = 1000, logger: Logger) {
        self.cluster = cluster
        self.client = client
        self.timeline = timeline
        self.intervalMs = intervalMs
        self.lagIntervalMs = lagIntervalMs
        self.logger = logger
    }

    public var snapshot: Snapshot { snapshotBox.withLockedValue { $0 } }

    public func start() {
        task.withLockedValue { $0 = Task { await self.run() } }
    }

    public func stop() async {
        let running = task.withLockedValue { $0 }
        running?.cancel()
        _ = await running?.value
        // A broker that died since the last round is recorded before the lab stops the rest.
        cluster.reapExited()
        await Blocking.run { self.copyBrokerEvents() }
    }

    private func run() async {
        var lastLag: Int64 = 0
        while !Task.isCancelled {
            let started = TimelineLog.nowNs()
            cluster.reapExited()
            await sampleMetadata()
            if cluster.launcher.prometheus == nil {
                await sampleOffsetsByListOffsets()
            } else if (try? await Blocking.run { self.sampleOffsets() }) == true {
                // The endpoints export no high watermark (Apache Kafka's JMX exporter names).
                await sampleOffsetsByListOffsets()
            }
            if (started - lastLag) / 1_000_000 >= lagIntervalMs {
                lastLag = started
                await sampleLag()
            }
            await Blocking.run { self.copyBrokerEvents() }
            let elapsedMs = (TimelineLog.nowNs() - started) / 1_000_000
            try? await Task.sleep(for: .milliseconds(max(10, intervalMs - elapsedMs)))
        }
    }

    private func sampleMetadata() async {
        do {
            let metadata = try await client.refreshMetadata(topics: nil)
            let partitions = metadata.topics.values.flatMap(\.partitions).sorted { $0.topicPartition < $1.topicPartition }
            timeline.append(.metadata(MetadataSample(metadata, partitions: partitions)), observer: "metadata")
            snapshotBox.withLockedValue { snapshot in
                snapshot.timeNs = TimelineLog.nowNs()
                snapshot.controller = metadata.controllerId
                let figures = Dictionary(snapshot.partitions.map { (TopicPartition($0.topic, $0.partition), ($0.highWatermark, $0.logEndOffset)) },
                                         uniquingKeysWith: { a, _ in a })
                snapshot.partitions = partitions.map { p in
                    Snapshot.Partition(topic: p.topicPartition.topic, partition: p.topicPartition.partition, leader: p.leader, leaderEpoch: p.leaderEpoch,
                                       replicas: p.replicas, isr: p.isr, highWatermark: figures[p.topicPartition]?.0, logEndOffset: figures[p.topicPartition]?.1)
                }
            }
        } catch {
            timeline.append(.unreachable(UnreachableSample(target: "cluster", error: "\(error)")), observer: "metadata")
        }
    }

    /// A launcher without a metrics endpoint (Tansu): each partition's high watermark by ListOffsets
    /// at its leader, as `ExternalObserver` samples a cluster the lab did not start (no LEO, no
    /// leadership claims; leader ids are the Kafka node ids Metadata reports).
    private func sampleOffsetsByListOffsets() async {
        let led = snapshot.partitions.filter { $0.leader >= 0 }
        guard !led.isEmpty else { return }
        let watermarks = await KafkaAdmin(cluster: client).listOffsets(led.map { TopicPartition($0.topic, $0.partition) }, timestamp: -1)
        for p in led {
            guard let hw = watermarks[TopicPartition(p.topic, p.partition)] else {
                timeline.append(.unreachable(UnreachableSample(target: "broker-\(p.leader)", error: "ListOffsets for \(p.topic)/\(p.partition) did not answer")),
                                observer: "offsets")
                continue
            }
            timeline.append(.offsets(OffsetsSample(topic: p.topic, partition: p.partition, hw: hw, leader: p.leader, leaderEpoch: p.leaderEpoch)),
                            observer: "offsets")
        }
        snapshotBox.withLockedValue { snapshot in
            for index in snapshot.partitions.indices {
                snapshot.partitions[index].highWatermark = watermarks[TopicPartition(snapshot.partitions[index].topic, snapshot.partitions[index].partition)]
            }
        }
    }

    /// HW and LEO of each partition from its leader's metrics endpoint, with that leader's id and
    /// epoch (the gauges come from one snapshot of the partition, so HW and epoch belong together).
    /// When several brokers report themselves leader, the sample is the highest epoch's, and the
    /// claims go to the periodic leadership census. Returns true when the endpoints answered with
    /// partition figures but none carried a high watermark (Kafka's names export none): the
    /// caller then samples the high watermarks by ListOffsets, as without an endpoint.
    private func sampleOffsets() -> Bool {
        var unreachable: [String] = []
        var claims: [TopicPartition: [(broker: Int32, figures: MetricsScrape.PartitionFigures)]] = [:]
        var scraped = false
        var watermarks = false
        for id in cluster.brokerIds {
            // A launcher without a metrics endpoint: its offsets come from ListOffsets samples only.
            guard let endpoint = cluster.metricsEndpoint(id) else { continue }
            guard let body = MetricsScrape.fetch(port: endpoint.port, path: endpoint.path, timeoutMs: Int(min(2000, max(50, intervalMs / 2)))) else {
                unreachable.append("broker-\(id)")
                continue
            }
            for figures in MetricsScrape.partitions(body) {
                scraped = true
                if figures.highWatermark != nil { watermarks = true }
                guard figures.role == "leader" else { continue }
                claims[TopicPartition(figures.topic, figures.partition), default: []].append((id, figures))
            }
        }
        for name in unreachable {
            timeline.append(.unreachable(UnreachableSample(target: name, error: "metrics endpoint did not answer")), observer: "offsets")
        }
        var leaders: [TopicPartition: MetricsScrape.PartitionFigures] = [:]
        for (tp, claimants) in claims.sorted(by: { $0.key < $1.key }) {
            let newest = claimants.max { ($0.figures.leaderEpoch ?? -1, -$0.broker) < ($1.figures.leaderEpoch ?? -1, -$1.broker) }!
            let figures = newest.figures
            leaders[tp] = figures
            guard let hw = figures.highWatermark else { continue }
            timeline.append(.offsets(OffsetsSample(topic: tp.topic, partition: tp.partition, hw: hw, leo: figures.logEndOffset,
                                                   logStart: figures.logStartOffset, leader: newest.broker, leaderEpoch: figures.leaderEpoch)),
                            observer: "offsets")
        }
        recordContestedLeadership(claims)
        snapshotBox.withLockedValue { snapshot in
            snapshot.unreachable = unreachable
            for index in snapshot.partitions.indices {
                let tp = TopicPartition(snapshot.partitions[index].topic, snapshot.partitions[index].partition)
                if let figures = leaders[tp] {
                    snapshot.partitions[index].highWatermark = figures.highWatermark
                    snapshot.partitions[index].logEndOffset = figures.logEndOffset
                }
            }
        }
        return scraped && !watermarks
    }

    /// The periodic leadership census, from the same scrape: a `leadership_census` record (phase
    /// `periodic`, method `metrics`) listing every partition two or more brokers claim to lead,
    /// written only when that set changes (an empty list when it ends), so overlapping leadership
    /// is measured to the observer's interval at no extra request and almost no timeline space.
    private func recordContestedLeadership(_ claims: [TopicPartition: [(broker: Int32, figures: MetricsScrape.PartitionFigures)]]) {
        let now = claims.filter { $0.value.count > 1 }.mapValues { claimants in
            Dictionary(claimants.map { ($0.broker, $0.figures.leaderEpoch ?? -1) }, uniquingKeysWith: { a, _ in a })
        }
        let changed = contested.withLockedValue { last -> Bool in
            guard last != now else { return false }
            last = now
            return true
        }
        guard changed else { return }
        let partitions = now.keys.sorted().map { tp in
            PartitionCensus(topic: tp.topic, partition: tp.partition, answers: claims[tp]!.sorted { $0.broker < $1.broker }.map {
                CensusAnswer(broker: $0.broker, status: .leader, leaderEpoch: $0.figures.leaderEpoch, hw: $0.figures.highWatermark)
            })
        }
        timeline.append(TimelineRecord(timeNs: TimelineLog.nowNs(), observer: "offsets",
                                       .leadershipCensus(LeadershipCensus(phase: .periodic, method: "metrics", partitions: partitions))))
    }

    private func sampleLag() async {
        let admin = KafkaAdmin(cluster: client)
        guard let groups = try? await admin.listGroups() else { return }
        var lags: [Snapshot.Lag] = []
        for group in groups where group.protocolType == "consumer" || group.protocolType.isEmpty {
            guard let description = try? await admin.describeGroup(group.group) else {
                timeline.append(.unreachable(UnreachableSample(target: "group \(group.group)", error: "describe failed")), observer: "lag")
                continue
            }
            for partition in description.partitions {
                guard let committed = partition.currentOffset, let end = partition.logEndOffset, let lag = partition.lag else { continue }
                timeline.append(.lag(LagSample(group: group.group, topic: partition.topic, partition: partition.partition,
                                               committed: committed, end: end, lag: lag)), observer: "lag")
                lags.append(.init(group: group.group, topic: partition.topic, partition: partition.partition, committed: committed, end: end, lag: lag))
            }
        }
        snapshotBox.withLockedValue { $0.lag = lags }
    }

    /// Copies new lines of every broker's `events.jsonl` into the timeline as `broker_event` records.
    private func copyBrokerEvents() {
        for id in cluster.brokerIds {
            let path = cluster.brokerDirectory(id) + "/events.jsonl"
            guard let handle = FileHandle(forReadingAtPath: path) else { continue }
            defer { try? handle.close() }
            let start = eventOffsets.withLockedValue { $0[id] ?? 0 }
            try? handle.seek(toOffset: start)
            guard let data = try? handle.readToEnd(), !data.isEmpty else { continue }
            guard let lastNewline = data.lastIndex(of: 0x0A) else { continue }
            let complete = data[data.startIndex...lastNewline]
            for line in complete.split(separator: 0x0A) {
                timeline.appendBrokerEvent(line: Data(line), observer: "broker-\(id)")
            }
            eventOffsets.withLockedValue { $0[id] = start + UInt64(complete.count) }
        }
    }
}
