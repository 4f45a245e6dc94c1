import Foundation
import KafkaClient
import KafkaProtocol
import Logging
import NIOCore
import NIOPosix

/// A playbook's view of an external cluster: a Kafka client on its bootstrap, the timeline, the
/// protocol-only observer and the fault executor. Conditions (`when:`, `await`) are judged on
/// Metadata (leader, ISR, replicas); min.insync.replicas comes from the playbook's topic settings,
/// and a follower's log end offset, which only a broker's own metrics give, is not available.
public final class ExternalSession: Sendable {
    public let cluster: ExternalCluster
    public let client: KafkaCluster
    public let timeline: TimelineLog
    public let observer: ExternalObserver
    public let executor: ExternalFaultExecutor
    let minInSyncReplicas: [String: Int]
    let group: MultiThreadedEventLoopGroup
    let logger: Logger

    /// Opens the timeline in `directory`, connects to the cluster and heals what a previous run
    /// left in the executor's journal (`ExternalFaultExecutor.recover`), before anything else runs.
    /// `minInSyncReplicas` by topic, for conditions.
    public init(cluster: ExternalCluster, directory: String, seed: UInt64, minInSyncReplicas: [String: Int], logger: Logger,
                onCommand: @escaping @Sendable (String) -> Void) throws {
        self.cluster = cluster
        self.minInSyncReplicas = minInSyncReplicas
        self.logger = logger
        timeline = try TimelineLog(path: directory + "/timeline.jsonl")
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var options = KafkaCluster.Options()
        options.clientId = "samsa-external"
        options.connectTimeoutMs = 2000
        options.requestTimeoutMs = 5000
        do {
            client = try KafkaCluster(bootstrap: cluster.bootstrap, options: options, group: group)
        } catch {
            try? group.syncShutdownGracefully()
            throw error
        }
        let client = client
        let minIsr = minInSyncReplicas
        let resolver = TargetResolver(cluster: client, brokerIds: cluster.brokerIds, seed: seed,
                                      partitionState: { topic, partition in try await Self.facts(client, topic, partition, minIsr) },
                                      runningBrokers: { Set(cluster.brokerIds) })
        executor = ExternalFaultExecutor(cluster: cluster, resolver: resolver, timeline: timeline, runDirectory: directory, logger: logger,
                                         onCommand: onCommand)
        observer = ExternalObserver(client: client, timeline: timeline, logger: logger)
    }

    /// Applies a fault through the executor, waits for an `await`'s condition, or sends an admin
    /// request with the session's own client (it needs only the Kafka protocol).
    public func apply(_ command: FaultCommand) async -> ControlResponse {
        if command.isAdminRequest { return await AdminRequests.send(command, client: client, timeline: timeline, logger: logger) }
        if case .awaitCondition(let condition, let timeoutMs) = command {
            let outcome = await wait(for: condition, timeoutMs: timeoutMs)
            var response = outcome.held ? ControlResponse(ok: true, message: outcome.summary, error: nil, fault: nil, ended: nil, status: nil)
                                        : ControlResponse.failure(outcome.summary)
            response.condition = outcome
            return response
        }
        do {
            let outcome = try await executor.apply(command)
            return ControlResponse(ok: true, message: outcome.message, error: nil, fault: outcome.fault, ended: outcome.ended, status: nil)
        } catch {
            return .failure("\(error)")
        }
    }

    /// One evaluation of `condition` on a fresh Metadata answer.
    public func sample(_ condition: Condition) async -> ConditionSample {
        do {
            let facts = try await Self.facts(client, condition.topic, condition.partition, minInSyncReplicas)
            if case .followerLag = condition {
                return ConditionSample(holds: false, value: nil,
                                       observed: "follower lag is not available on an external cluster (it needs each replica's log end offset)")
            }
            return ConditionEvaluation.evaluate(condition, facts: facts)
        } catch {
            return ConditionSample(holds: false, value: nil, observed: "cannot read the cluster's state: \(error)")
        }
    }

    func wait(for condition: Condition, timeoutMs: Int) async -> ConditionOutcome {
        let start = ContinuousClock.now
        var evaluations = 0
        while true {
            let sample = await self.sample(condition)
            evaluations += 1
            let waited = (ContinuousClock.now - start).milliseconds
            if sample.holds || waited >= Int64(timeoutMs) || Task.isCancelled {
                return ConditionOutcome(condition: condition.description, held: sample.holds, waitedMs: waited, sample: sample, evaluations: evaluations)
            }
            try? await Task.sleep(for: .milliseconds(min(ConditionProbe.pollIntervalMs, Int64(timeoutMs) - waited)))
        }
    }

    static func facts(_ client: KafkaCluster, _ topic: String, _ partition: Int32, _ minIsr: [String: Int]) async throws -> PartitionFacts? {
        let metadata = try await client.refreshMetadata(topics: [topic])
        guard let info = metadata.partition(TopicPartition(topic, partition)) else { return nil }
        return PartitionFacts(leader: info.leader, isr: info.isr, replicas: info.replicas, minInSyncReplicas: minIsr[topic] ?? 1)
    }

    /// Heals every fault still applied, stops the observer and closes the client and timeline.
    /// Returns the heal's error, if any (its faults stay in the journal for the next run).
    @discardableResult
    public func stop() async -> String? {
        var problem: String?
        do { _ = try await executor.apply(.heal(faultId: nil)) } catch { problem = "\(error)" }
        await observer.stop()
        timeline.close()
        await client.close()
        try? await group.shutdownGracefully()
        return problem
    }
}
