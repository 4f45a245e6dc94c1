import Foundation
import KafkaClient
import Lab
import Logging
import Verification

/// Runs a `RunPlan` against an existing cluster (`plan.external`): no broker or ZooKeeper is
/// started. It heals what an earlier run left in the executor's journal, creates the topics on the
/// cluster, starts the same workload processes as a lab run (on the cluster's bootstrap), observes
/// the cluster through Kafka's protocol (`ExternalObserver`), fires the schedule through the fault
/// executor, heals every fault, lets the cluster settle, reads every partition back and checks
/// the run; checkers that need Samsa's own broker evidence say unknown (`ExternalEvidence`).
///
/// Faults are healed at the end, when a stop is requested (Ctrl-C, SIGTERM) and when a phase
/// fails; a run that dies without healing leaves its faults in the journal, and the next run with
/// the same state directory heals them before it starts. Every phase is bounded.
public final class ExternalPlaybookRunner: Sendable {
    let plan: RunPlan
    let external: ExternalCluster
    let directory: String
    let logger: Logger
    let progress: ProgressReporter
    let stopRequest: RunStopRequest

    public init(plan: RunPlan, directory: String, logger: Logger, progress: ProgressReporter, stopRequest: RunStopRequest = RunStopRequest()) throws {
        guard let external = plan.external else { throw PlaybookRunner.Failure(description: "the plan names no external cluster") }
        self.plan = plan
        self.external = external
        self.directory = directory
        self.logger = logger
        self.progress = progress
        self.stopRequest = stopRequest
    }

    public func run() async throws -> RunOutcome {
        let progress = progress
        let minIsr = Dictionary(plan.topics.map { topic in
            (topic.name, Int(topic.config["min.insync.replicas"] ?? plan.brokerConfig["min.insync.replicas"] ?? "1") ?? 1)
        }, uniquingKeysWith: { first, _ in first })
        let session = try ExternalSession(cluster: external, directory: directory, seed: plan.seed, minInSyncReplicas: minIsr, logger: logger,
                                          onCommand: { progress.event($0) })
        progress.phase("external cluster \(external.bootstrap): brokers \(external.brokerIds.map(String.init).joined(separator: ", ")); "
                       + "fault journal in \(external.executor.stateDirectory)")
        do {
            try await session.executor.recover()
        } catch {
            await session.stop()
            throw PlaybookRunner.Failure(description: "\(error)")
        }
        session.observer.start()
        return try await RunPhases(plan: plan, directory: directory, logger: logger, progress: progress, stopRequest: stopRequest, target: session).run()
    }
}

extension ExternalSession: RunTarget {
    var workloadBootstrap: String { cluster.bootstrap }

    var words: RunWords {
        RunWords(firstPhase: "healing what an earlier run left", place: " on \(cluster.bootstrap)",
                 topicFailureNote: " (a run needs topics of its own: records already in a topic are not in its history)",
                 endPhase: nil, interruptedPhase: "stopping the workload and healing every fault")
    }

    func settled(topics: [String]) async {}

    /// Heals every fault (a failed heal stays in the journal for the next run) and closes the session.
    func end() async -> String? { await stop() }
}
