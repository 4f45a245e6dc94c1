import Foundation
import KafkaClient
import Lab
import Logging
import Verification

/// Runs a `RunPlan` against a real lab: starts the cluster, creates the topics, starts the
/// workload processes, injects the scheduled faults at their times (healing timed ones), then heals
/// everything, lets the cluster settle, reads every partition from the start, stops the cluster and
/// checks the history and timeline. Every phase is bounded.
///
/// A stop request (`RunStopRequest`, the first Ctrl-C) is honoured at the next check of whatever
/// phase is running: the workload processes are stopped, the remaining steps recorded as
/// interrupted, a `kind: "interrupted"` record written on the timeline, the cluster stopped, and
/// the checkers run on what was recorded, so the reports exist and say the run was interrupted
/// (verdict unknown). Task cancellation still stops everything, without reports.
public final class PlaybookRunner: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    let plan: RunPlan
    let directory: String
    let samsaBinary: String
    let logger: Logger
    let progress: ProgressReporter
    let stopRequest: RunStopRequest

    public init(plan: RunPlan, directory: String, samsaBinary: String, logger: Logger, progress: ProgressReporter,
                stopRequest: RunStopRequest = RunStopRequest()) {
        self.stopRequest = stopRequest
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
        stopRequest.register(cluster: session.cluster)
        let started = StartedWorkloads()
        let stopped: Stop?
        do {
            stopped = try await runPhases(session, started)
        } catch {
            // Failed, or cancelled: the workload processes and the cluster go first, always.
            if let workloads = started.value { await Blocking.run { workloads.stopAll(graceMs: 2000) } }
            await session.stop()
            throw error
        }
        if let stopped { return try await interrupted(session, started.value, stopped) }
        progress.phase("checking the history and the timeline")
        return try RunChecker.check(directory: directory, plan: plan)
    }

    /// Why and when a run stopped early.
    struct Stop {
        var signal: String
        var phase: String
        var elapsedMs: Int64?
    }

    /// The workload processes once they exist (for the cleanup of a failed run).
    final class StartedWorkloads: @unchecked Sendable {
        // Written once by the runner's task before any read from the same task.
        var value: Workloads?
    }

    /// Every phase from the topics to the stopped cluster; returns early, with the stop, when a
    /// stop is requested (checked between phases and inside every waiting one).
    private func runPhases(_ session: LabSession, _ started: StartedWorkloads) async throws -> Stop? {
        func requested(_ phase: String) -> Stop? { stopRequest.signal.map { Stop(signal: $0, phase: phase) } }
        try JSONEncoder.pretty.encode(plan).write(to: URL(fileURLWithPath: directory + "/" + RunChecker.planFile))
        if let stop = requested("starting the cluster") { return stop }
        try await createTopics(session)
        if let stop = requested("creating the topics") { return stop }
        let workloads = try Workloads(directory: directory, bootstrap: session.cluster.bootstrap, logger: logger)
        started.value = workloads
        stopRequest.register(workloads: workloads)
        try WorkloadStart.start(workloads, plan: plan)
        if let stop = try await runSchedule(session, workloads) { return stop }
        progress.phase("healing every fault and letting the cluster settle (up to \(plan.settleMs / 1000) s)")
        _ = try? await session.faults.apply(.heal(faultId: nil))
        await WorkloadStart.waitForWorkloads(workloads, timeoutMs: 60_000, stopRequest: stopRequest)
        try Task.checkCancellation()
        if let stop = requested("waiting for the workload to end") { return stop }
        await settle(session)
        await session.recordLeadershipCensus(topics: plan.topics.map(\.name))
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
        progress.phase("stopping the cluster")
        await session.stop()
        try CheckPipeline.merge(workloads)
        return nil
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
        let request = stopRequest
        let expected = Dictionary(plan.topics.map { ($0.name, $0.partitions) }, uniquingKeysWith: { first, _ in first })
        do {
            try await LeadershipWait.until(.leaders, client: session.client, topics: plan.topics.map(\.name), expected: expected,
                                           shouldStop: { request.signal != nil })
        } catch let timeout as LeadershipWait.Timeout {
            throw Failure(description: "the topics did not get leaders: \(timeout)")
        }
    }

    /// The end of an interrupted run: the workload processes stop (SIGTERM, then SIGKILL after 5
    /// s; at once after an abort), the interruption goes on the timeline, the cluster stops (healed
    /// first), the histories are merged and the checkers judge what was recorded. Every wait in it
    /// is bounded, and an abort has already killed the processes it waits for.
    private func interrupted(_ session: LabSession, _ workloads: Workloads?, _ stop: Stop) async throws -> RunOutcome {
        progress.phase("\(stop.signal): stopping the workload and the cluster, then checking what was recorded")
        var fields: [String: Any] = ["signal": stop.signal, "phase": stop.phase]
        if let elapsedMs = stop.elapsedMs { fields["elapsed_ms"] = Int(elapsedMs) }
        session.timeline.append(kind: .interrupted, fields)
        if let workloads { await Blocking.run { workloads.stopAll(graceMs: self.stopRequest.isAborted ? 0 : 5_000) } }
        await session.stop()
        if let workloads {
            try CheckPipeline.merge(workloads)
        } else {
            _ = FileManager.default.createFile(atPath: directory + "/" + CheckPipeline.historyFile, contents: Data())
        }
        progress.phase("checking the history and the timeline of the interrupted run")
        return try RunChecker.check(directory: directory, plan: plan)
    }

    /// Injects each step at its time (after its condition, if it has one: `ScheduleExecution`);
    /// heals timed faults when their time is up. Returns the signal and the workload's elapsed
    /// time when a stop was requested before the workload's end; nil when it ran to its end.
    private func runSchedule(_ session: LabSession, _ workloads: Workloads) async throws -> Stop? {
        let start = ContinuousClock.now
        let elapsed = { () -> Int64 in
            let duration = ContinuousClock.now - start
            return duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        }
        let schedule = ScheduleExecution(steps: plan.steps, durationMs: plan.durationMs, session: session, progress: progress, elapsedMs: elapsed)
        while elapsed() < plan.durationMs {
            if let signal = stopRequest.signal {
                schedule.finish(interruptedBy: signal)
                return Stop(signal: signal, phase: "running the workload", elapsedMs: elapsed())
            }
            await schedule.advance()
            await progress.tick(elapsedMs: elapsed(), durationMs: plan.durationMs, stepsDone: schedule.done, stepsTotal: schedule.total,
                                session: session, histories: workloads.directory + "/histories")
            try await Task.sleep(for: .milliseconds(100))
        }
        schedule.finish()
        return nil
    }

    /// Waits until every partition has a leader and a full ISR, bounded by the settle time.
    private func settle(_ session: LabSession) async {
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

}
