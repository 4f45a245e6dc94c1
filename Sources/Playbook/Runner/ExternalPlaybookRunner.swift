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
        let started = PlaybookRunner.StartedWorkloads()
        let stopped: PlaybookRunner.Stop?
        do {
            stopped = try await runPhases(session, started)
        } catch {
            if let workloads = started.value { await Blocking.run { workloads.stopAll(graceMs: 2000) } }
            if let problem = await session.stop() { progress.event("healing failed: \(problem)") }
            throw error
        }
        if let stopped { return try await interrupted(session, started.value, stopped) }
        progress.phase("checking the history and the timeline")
        return try RunChecker.check(directory: directory, plan: plan)
    }

    private func runPhases(_ session: ExternalSession, _ started: PlaybookRunner.StartedWorkloads) async throws -> PlaybookRunner.Stop? {
        func requested(_ phase: String) -> PlaybookRunner.Stop? { stopRequest.signal.map { PlaybookRunner.Stop(signal: $0, phase: phase) } }
        try JSONEncoder.pretty.encode(plan).write(to: URL(fileURLWithPath: directory + "/" + RunChecker.planFile))
        if let stop = requested("healing what an earlier run left") { return stop }
        try await createTopics(session)
        if let stop = requested("creating the topics") { return stop }
        let workloads = try Workloads(directory: directory, bootstrap: external.bootstrap, logger: logger)
        started.value = workloads
        stopRequest.register(workloads: workloads)
        try WorkloadStart.start(workloads, plan: plan)
        if let stop = try await runSchedule(session, workloads) { return stop }
        progress.phase("healing every fault and letting the cluster settle (up to \(plan.settleMs / 1000) s)")
        let healed = await session.apply(.heal(faultId: nil))
        if !healed.ok { progress.event("healing failed: \(healed.error ?? ""); the faults stay in the journal") }
        await WorkloadStart.waitForWorkloads(workloads, timeoutMs: 60_000, stopRequest: stopRequest)
        try Task.checkCancellation()
        if let stop = requested("waiting for the workload to end") { return stop }
        await settle(session)
        if let stop = requested("letting the cluster settle") { return stop }
        progress.phase("reading every partition from the start")
        let request = stopRequest
        let status = try await Blocking.run {
            try CheckPipeline.readBack(workloads, topics: self.plan.topics.map(\.name), timeoutSeconds: Double(max(30_000, self.plan.settleMs)) / 1000,
                                       shouldStop: { request.signal != nil })
        }
        if let stop = requested("reading every partition") { return stop }
        if status != 0 { logger.warning("the final read ended with status \(status); the checkers will treat missing reads as unknown") }
        try Task.checkCancellation()
        if let problem = await session.stop() { progress.event("healing failed: \(problem)") }
        try CheckPipeline.merge(workloads)
        return nil
    }

    private func createTopics(_ session: ExternalSession) async throws {
        let admin = KafkaAdmin(cluster: session.client)
        for topic in plan.topics {
            progress.phase("creating topic \(topic.name) (\(topic.partitions) partition(s), RF \(topic.replicationFactor)) on \(external.bootstrap)")
            do {
                try await admin.createTopic(topic.name, partitions: topic.partitions, replicationFactor: topic.replicationFactor, configs: topic.config)
            } catch {
                throw PlaybookRunner.Failure(description: "cannot create topic \(topic.name) on \(external.bootstrap): \(error) "
                                             + "(a run needs topics of its own: records already in a topic are not in its history)")
            }
        }
        let request = stopRequest
        let expected = Dictionary(plan.topics.map { ($0.name, $0.partitions) }, uniquingKeysWith: { first, _ in first })
        do {
            try await LeadershipWait.until(.leaders, client: session.client, topics: plan.topics.map(\.name), expected: expected,
                                           shouldStop: { request.signal != nil })
        } catch let timeout as LeadershipWait.Timeout {
            throw PlaybookRunner.Failure(description: "the topics did not get leaders: \(timeout)")
        }
    }

    private func runSchedule(_ session: ExternalSession, _ workloads: Workloads) async throws -> PlaybookRunner.Stop? {
        let start = ContinuousClock.now
        let elapsed = { () -> Int64 in
            let duration = ContinuousClock.now - start
            return duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        }
        let schedule = ScheduleExecution(steps: plan.steps, durationMs: plan.durationMs, session: session, progress: progress, elapsedMs: elapsed)
        while elapsed() < plan.durationMs {
            if let signal = stopRequest.signal {
                schedule.finish(interruptedBy: signal)
                return PlaybookRunner.Stop(signal: signal, phase: "running the workload", elapsedMs: elapsed())
            }
            await schedule.advance()
            await progress.tick(elapsedMs: elapsed(), durationMs: plan.durationMs, stepsDone: schedule.done, stepsTotal: schedule.total,
                                session: session, histories: workloads.directory + "/histories")
            try await Task.sleep(for: .milliseconds(100))
        }
        schedule.finish()
        return nil
    }

    private func settle(_ session: ExternalSession) async {
        let request = stopRequest
        do {
            try await LeadershipWait.until(.fullIsr, client: session.client, topics: plan.topics.map(\.name),
                                           timeoutMs: Int(plan.settleMs), shouldStop: { request.signal != nil })
        } catch let timeout as LeadershipWait.Timeout {
            progress.event("the cluster did not fully recover within \(plan.settleMs / 1000) s (\(timeout.unmet.prefix(3).joined(separator: ", "))); "
                           + "reading what is there")
        } catch {
            // Cancelled: the run's own cancellation check ends it.
        }
    }

    /// As the lab runner's: the interruption goes on the timeline, the workload stops, every fault
    /// is healed, and the checkers judge what was recorded.
    private func interrupted(_ session: ExternalSession, _ workloads: Workloads?, _ stop: PlaybookRunner.Stop) async throws -> RunOutcome {
        progress.phase("\(stop.signal): stopping the workload and healing every fault, then checking what was recorded")
        var fields: [String: Any] = ["signal": stop.signal, "phase": stop.phase]
        if let elapsedMs = stop.elapsedMs { fields["elapsed_ms"] = Int(elapsedMs) }
        session.timeline.append(kind: .interrupted, fields)
        if let workloads { await Blocking.run { workloads.stopAll(graceMs: self.stopRequest.isAborted ? 0 : 5_000) } }
        if let problem = await session.stop() { progress.event("healing failed: \(problem)") }
        if let workloads {
            try CheckPipeline.merge(workloads)
        } else {
            _ = FileManager.default.createFile(atPath: directory + "/" + CheckPipeline.historyFile, contents: Data())
        }
        progress.phase("checking the history and the timeline of the interrupted run")
        return try RunChecker.check(directory: directory, plan: plan)
    }
}
