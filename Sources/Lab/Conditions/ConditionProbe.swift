import Coordination
import FaultModel
import Foundation
import Logging
import NIOConcurrencyHelpers

/// Reads the facts a condition needs, afresh at every call: the partition's state, assignment and
/// topic config from ZooKeeper (the lab's own session, straight to the server, not through the
/// proxies, so injected faults never hide it), and for lag each replica's log end offset from its
/// metrics endpoint. Every read is bounded: ZooKeeper calls by the session's timeouts, scrapes by
/// `scrapeTimeoutMs`.
///
/// Owner: `zookeeper` is used only under its lock, from blocking threads (`Blocking.run`).
public final class ConditionProbe: Sendable {
    /// A paused broker accepts the connection and never answers: its scrape ends after this.
    static let scrapeTimeoutMs = 500

    let cluster: LocalCluster
    let logger: Logger
    private let zookeeper = NIOLockedValueBox<ZooKeeperClient?>(nil)

    public init(cluster: LocalCluster, logger: Logger) {
        self.cluster = cluster
        self.logger = logger
    }

    /// One evaluation of `condition` on fresh facts.
    public func sample(_ condition: Condition) async -> ConditionSample {
        let needsOffsets: Bool
        if case .followerLag = condition { needsOffsets = true } else { needsOffsets = false }
        do {
            let facts = try await Blocking.run { try self.facts(topic: condition.topic, partition: condition.partition, offsets: needsOffsets) }
            return ConditionEvaluation.evaluate(condition, facts: facts)
        } catch {
            return ConditionSample(holds: false, value: nil, observed: "cannot read the cluster's state: \(error)")
        }
    }

    /// The partition's state now, or nil when ZooKeeper has none for it.
    public func facts(topic: String, partition: Int32, offsets: Bool) throws -> PartitionFacts? {
        guard var facts = try zookeeperFacts(topic: topic, partition: partition) else { return nil }
        if offsets {
            for broker in facts.replicas {
                guard let endpoint = cluster.metricsEndpoint(broker),
                      let body = MetricsScrape.fetch(port: endpoint.port, path: endpoint.path, timeoutMs: Self.scrapeTimeoutMs) else { continue }
                if let figures = MetricsScrape.partitions(body).first(where: { $0.topic == topic && $0.partition == partition }),
                   let end = figures.logEndOffset {
                    facts.logEndOffsets[broker] = end
                }
            }
        }
        return facts
    }

    /// Leader, ISR and replicas of a partition as ZooKeeper has them (for `in_sync_follower_of`).
    public func state(topic: String, partition: Int32) async throws -> PartitionFacts? {
        try await Blocking.run { try self.zookeeperFacts(topic: topic, partition: partition) }
    }

    private func zookeeperFacts(topic: String, partition: Int32) throws -> PartitionFacts? {
        try zookeeper.withLockedValue { client in
            if client == nil {
                guard let connect = cluster.zookeeperConnect else { throw ProbeFailure(description: "ZooKeeper is not running") }
                client = try ZooKeeperClient.connect(connectString: connect, sessionTimeoutMs: 10_000, connectTimeoutMs: 5_000, logger: logger)
            }
            guard let zk = client else { return nil }
            do {
                guard let state = try Self.object(zk, "/brokers/topics/\(topic)/partitions/\(partition)/state"),
                      let leader = (state["leader"] as? NSNumber)?.int32Value,
                      let isr = (state["isr"] as? [NSNumber])?.map(\.int32Value) else { return nil }
                let assignment = try Self.object(zk, "/brokers/topics/\(topic)")
                let replicas = ((assignment?["partitions"] as? [String: Any])?[String(partition)] as? [NSNumber])?.map(\.int32Value) ?? isr
                let overrides = try Self.object(zk, "/config/topics/\(topic)")?["config"] as? [String: Any]
                let minIsr = (overrides?["min.insync.replicas"] as? String).flatMap(Int.init) ?? brokerMinInSyncReplicas
                return PartitionFacts(leader: leader, isr: isr, replicas: replicas, minInSyncReplicas: minIsr)
            } catch {
                // A lost or expired session is rebuilt on the next call.
                client = nil
                throw error
            }
        }
    }

    /// The broker-level min.insync.replicas the lab starts brokers with (Kafka's default is 1).
    var brokerMinInSyncReplicas: Int {
        cluster.properties().last { $0.0 == "min.insync.replicas" }.flatMap { Int($0.1) } ?? 1
    }

    /// A node's JSON object, nil when the node does not exist.
    static func object(_ zk: ZooKeeperClient, _ path: String) throws -> [String: Any]? {
        do {
            let (data, _) = try zk.get(path, watch: false)
            return (try? JSONSerialization.jsonObject(with: Data(data))) as? [String: Any]
        } catch CoordinationError.noNode {
            return nil
        }
    }

    public func close() {
        zookeeper.withLockedValue { client in
            client?.close()
            client = nil
        }
    }

    struct ProbeFailure: Error, CustomStringConvertible {
        let description: String
    }
}

/// How a wait for a condition ended.
public struct ConditionOutcome: Sendable, Equatable, Codable {
    public var condition: String
    public var held: Bool
    public var waitedMs: Int64
    /// The last evaluation: the value that made it hold, or what was seen when time ran out.
    public var sample: ConditionSample
    public var evaluations: Int

    public init(condition: String, held: Bool, waitedMs: Int64, sample: ConditionSample, evaluations: Int) {
        self.condition = condition
        self.held = held
        self.waitedMs = waitedMs
        self.sample = sample
        self.evaluations = evaluations
    }

    public var summary: String {
        held ? "\(condition) held after \(waitedMs) ms: \(sample.observed)"
             : "\(condition) did not hold within \(waitedMs) ms: \(sample.observed)"
    }
}

extension ConditionProbe {
    /// Time between evaluations while waiting.
    public static let pollIntervalMs: Int64 = 100

    /// Evaluates `condition` every `pollIntervalMs` (each time on fresh reads) until it holds or
    /// `timeoutMs` has passed; always evaluates at least once.
    public func wait(for condition: Condition, timeoutMs: Int) async -> ConditionOutcome {
        let start = ContinuousClock.now
        var evaluations = 0
        while true {
            let sample = await self.sample(condition)
            evaluations += 1
            let waited = (ContinuousClock.now - start).milliseconds
            if sample.holds || waited >= Int64(timeoutMs) || Task.isCancelled {
                return ConditionOutcome(condition: condition.description, held: sample.holds, waitedMs: waited, sample: sample, evaluations: evaluations)
            }
            try? await Task.sleep(for: .milliseconds(min(Self.pollIntervalMs, Int64(timeoutMs) - waited)))
        }
    }
}

extension Duration {
    /// Whole milliseconds.
    var milliseconds: Int64 { components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000 }
}
