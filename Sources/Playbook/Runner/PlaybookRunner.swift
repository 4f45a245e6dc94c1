import Foundation
import KafkaClient
import Lab
import Logging
import Verification

/// Runs a `RunPlan` against a real lab: starts the cluster, creates the topics, starts the
/// workload processes, injects the scheduled faults at their times (healing timed ones), then heals
/// everything, lets the cluster settle, reads every partition from the start, stops the cluster and
/// checks the history and timeline. Every phase is bounded.
public final class PlaybookRunner: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    let plan: RunPlan
    let directory: String
    let samsaBinary: String
    let logger: Logger
    let progress: ProgressReporter

    public init(plan: RunPlan, directory: String, samsaBinary: String, logger: Logger, progress: ProgressReporter) {
        self.plan = plan
        self.directory = directory
        self.samsaBinary = samsaBinary
        self.logger = logger
        self.progress = progress
    }

    public func run() async throws -> RunOutcome {
        let basePort = try LocalCluster.freeBasePort(brokers: plan.brokers)
        var spec = LocalCluster.Spec(brokers: plan.brokers, basePort: basePort, directory: directory,
                                     brokerProperties: plan.brokerConfig.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }, samsaBinary: samsaBinary)
        spec.readyTimeoutMs = 60_000
        if plan.usesPowerLoss { spec.durabilityLibrary = try DurabilityTracking.locateLibrary(samsaBinary: samsaBinary) }
        spec.brokerEnvironment = plan.brokerEnvironment ?? [:]
        var options = LabSession.Options()
        options.seed = plan.seed
        progress.phase("starting \(plan.brokers) broker(s) and ZooKeeper in \(directory)")
        let session = try await LabSession.start(spec: spec, options: options, logger: logger)
        var started: Workloads?
        do {
            try JSONEncoder.pretty.encode(plan).write(to: URL(fileURLWithPath: directory + "/" + RunChecker.planFile))
            try await createTopics(session)
            let workloads = try Workloads(directory: directory, bootstrap: session.cluster.bootstrap, logger: logger)
            started = workloads
            try startWorkloads(workloads)
            try await runSchedule(session, workloads)
            progress.phase("healing every fault and letting the cluster settle (up to \(plan.settleMs / 1000) s)")
            _ = try? await session.faults.apply(.heal(faultId: nil))
            await Blocking.run { workloads.waitAll(timeoutMs: 60_000) }
            try Task.checkCancellation()
            await settle(session)
            await session.recordLeadershipCensus(topics: plan.topics.map(\.name))
            progress.phase("reading every partition from the start")
            let status = try await Blocking.run {
                try workloads.finalRead(topics: self.plan.topics.map(\.name), timeoutSeconds: Double(max(30_000, self.plan.settleMs)) / 1000)
            }
            if status != 0 { logger.warning("the final read ended with status \(status); the checkers will treat missing reads as unknown") }
            try Task.checkCancellation()
            progress.phase("stopping the cluster")
            await session.stop()
            try HistoryMerge.merge(directory: workloads.directory + "/histories", into: directory + "/history.jsonl")
        } catch {
            // Interrupted or failed: the workload processes and the cluster go first, always.
            if let started { await Blocking.run { started.stopAll(graceMs: 2000) } }
            await session.stop()
            throw error
        }
        progress.phase("checking the history and the timeline")
        return try RunChecker.check(directory: directory, plan: plan)
    }

    private func createTopics(_ session: LabSession) async throws {
        let admin = KafkaAdmin(cluster: session.client)
        for topic in plan.topics {
            progress.phase("creating topic \(topic.name) (\(topic.partitions) partition(s), RF \(topic.replicationFactor))")
            do {
                try await admin.createTopic(topic.name, partitions: topic.partitions, replicationFactor: topic.replicationFactor, configs: topic.config)
            } catch {
                throw Failure(description: "cannot create topic \(topic.name): \(error)")
            }
        }
        let deadline = Date(timeIntervalSinceNow: 30)
        while Date() < deadline {
            let metadata = try? await session.client.refreshMetadata(topics: plan.topics.map(\.name))
            let ready = plan.topics.allSatisfy { topic in
                let partitions = metadata?.topics[topic.name]?.partitions ?? []
                return partitions.count == Int(topic.partitions) && partitions.allSatisfy { $0.leader >= 0 }
            }
            if ready { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure(description: "the topics did not get leaders within 30 s")
    }

    private func startWorkloads(_ workloads: Workloads) throws {
        let seconds = Double(plan.durationMs) / 1000
        for (index, producer) in plan.producers.enumerated() {
            for instance in 1...max(1, producer.instances) {
                var spec = ProducerSpec(topic: producer.topic)
                spec.acks = producer.acks
                spec.idempotence = producer.idempotence
                spec.maxInFlight = producer.maxInFlight
                spec.retries = producer.retries
                spec.deliveryTimeoutMs = producer.deliveryTimeoutMs
                spec.requestTimeoutMs = producer.requestTimeoutMs
                spec.rate = producer.rate
                spec.count = producer.count
                spec.keys = producer.keys
                spec.valueSize = producer.valueSize
                spec.partition = producer.partition
                try workloads.startProducer("producer-\(index + 1)-\(instance)", spec, durationSeconds: seconds)
            }
        }
        for (index, consumer) in plan.consumers.enumerated() {
            for instance in 1...max(1, consumer.instances) {
                var spec = ConsumerSpec(topic: consumer.topic, group: consumer.group)
                spec.assign = consumer.assign
                spec.commit = consumer.commit
                spec.drainSeconds = Double(min(plan.settleMs, 30_000)) / 1000
                try workloads.startConsumer("consumer-\(index + 1)-\(instance)", spec, durationSeconds: seconds)
            }
        }
    }

    /// Injects each step at its time (after its condition, if it has one: `ScheduleExecution`);
    /// heals timed faults when their time is up.
    private func runSchedule(_ session: LabSession, _ workloads: Workloads) async throws {
        let start = ContinuousClock.now
        let elapsed = { () -> Int64 in
            let duration = ContinuousClock.now - start
            return duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        }
        let schedule = ScheduleExecution(steps: plan.steps, session: session, progress: progress, elapsedMs: elapsed)
        while elapsed() < plan.durationMs {
            await schedule.advance()
            await progress.tick(elapsedMs: elapsed(), durationMs: plan.durationMs, stepsDone: schedule.done, stepsTotal: schedule.total,
                                session: session, histories: workloads.directory + "/histories")
            try await Task.sleep(for: .milliseconds(100))
        }
        schedule.finish()
    }

    /// Waits until every partition has a leader and a full ISR, bounded by the settle time.
    private func settle(_ session: LabSession) async {
        let deadline = Date(timeIntervalSinceNow: Double(plan.settleMs) / 1000)
        while Date() < deadline {
            if let metadata = try? await session.client.refreshMetadata(topics: plan.topics.map(\.name)) {
                let healthy = plan.topics.allSatisfy { topic in
                    (metadata.topics[topic.name]?.partitions ?? []).allSatisfy { $0.leader >= 0 && Set($0.isr) == Set($0.replicas) }
                }
                if healthy { return }
            }
            try? await Task.sleep(for: .milliseconds(200))
        }
        progress.event("the cluster did not fully recover within \(plan.settleMs / 1000) s; reading what is there")
    }

}
