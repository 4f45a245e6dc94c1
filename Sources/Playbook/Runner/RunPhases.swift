import Foundation
import KafkaClient
import Lab
import Logging
import Verification

/// What a playbook run needs of the cluster it runs against, beyond its schedule: the lab's
/// session (`PlaybookRunner`) or an existing cluster's (`ExternalPlaybookRunner`). Both runners
/// run the same phases (`RunPhases`); they differ only in how the cluster is reached before the
/// run and in what its end does.
protocol RunTarget: ScheduleSession {
    var client: KafkaCluster { get }
    /// Where the workload processes connect.
    var workloadBootstrap: String { get }
    /// How progress lines and errors name this cluster.
    var words: RunWords { get }
    /// After the cluster settled, before the final read (the lab records its leadership census).
    func settled(topics: [String]) async
    /// Heals every fault and lets the cluster go (the lab stops it); the heal's problem, if any.
    func end() async -> String?
}

/// The words that tell a lab run's progress from an existing cluster's.
struct RunWords {
    /// The phase a stop requested before the topics were created interrupts.
    var firstPhase: String
    /// Appended to the topic creation line ("" or " on HOST:PORT").
    var place: String
    /// Appended to a topic creation failure.
    var topicFailureNote: String
    /// The progress line of the end, or nil when the end needs none.
    var endPhase: String?
    /// What an interrupted run does before it checks.
    var interruptedPhase: String
}

/// The phases every playbook run goes through once its cluster is reachable: the topics, the
/// workload processes, the schedule (timed heals included), healing everything, the workload's
/// end, settling, reading every partition from the start, the cluster's end and the checks.
///
/// A stop request (`RunStopRequest`, the first Ctrl-C) is honoured at the next check of whatever
/// phase is running: the workload processes are stopped, the remaining steps recorded as
/// interrupted, a `kind: "interrupted"` record written on the timeline, the cluster's end run
/// (faults healed), and the checkers judge what was recorded, so the reports exist and say the run
/// was interrupted (verdict unknown). Task cancellation still stops everything, without reports.
/// Every phase is bounded.
struct RunPhases<Target: RunTarget> {
    let plan: RunPlan
    let directory: String
    let logger: Logger
    let progress: ProgressReporter
    let stopRequest: RunStopRequest
    let target: Target

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

    func run() async throws -> RunOutcome {
        let started = StartedWorkloads()
        let stopped: Stop?
        do {
            stopped = try await runPhases(started)
        } catch {
            // Failed, or cancelled: the workload processes and the cluster go first, always.
            if let workloads = started.value { await Blocking.run { workloads.stopAll(graceMs: 2000) } }
            await end()
            throw error
        }
        if let stopped { return try await interrupted(started.value, stopped) }
        progress.phase("checking the history and the timeline")
        return try RunChecker.check(directory: directory, plan: plan)
    }

    /// Every phase from the topics to the cluster's end; returns early, with the stop, when a
    /// stop is requested (checked between phases and inside every waiting one).
    private func runPhases(_ started: StartedWorkloads) async throws -> Stop? {
        func requested(_ phase: String) -> Stop? { stopRequest.signal.map { Stop(signal: $0, phase: phase) } }
        try JSONEncoder.pretty.encode(plan).write(to: URL(fileURLWithPath: directory + "/" + RunChecker.planFile))
        if let stop = requested(target.words.firstPhase) { return stop }
        try await createTopics()
        if let stop = requested("creating the topics") { return stop }
        let workloads = try Workloads(directory: directory, bootstrap: target.workloadBootstrap, logger: logger)
        started.value = workloads
        stopRequest.register(workloads: workloads)
        try WorkloadStart.start(workloads, plan: plan)
        if let stop = try await runSchedule(workloads) { return stop }
        progress.phase("healing every fault and letting the cluster settle (up to \(plan.settleMs / 1000) s)")
        let healed = await target.apply(.heal(faultId: nil))
        if !healed.ok { progress.event("healing failed: \(healed.error ?? "")") }
        await WorkloadStart.waitForWorkloads(workloads, timeoutMs: 60_000, stopRequest: stopRequest)
        try Task.checkCancellation()
        if let stop = requested("waiting for the workload to end") { return stop }
        await settle()
        await target.settled(topics: plan.topics.map(\.name))
        if let stop = requested("letting the cluster settle") { return stop }
        progress.phase("reading every partition from the start")
        let request = stopRequest
        let (topics, timeoutSeconds) = (plan.topics.map(\.name), Double(max(30_000, plan.settleMs)) / 1000)
        let status = try await Blocking.run {
            try CheckPipeline.readBack(workloads, topics: topics, timeoutSeconds: timeoutSeconds, shouldStop: { request.signal != nil })
        }
        if let stop = requested("reading every partition") { return stop }
        if status != 0 { logger.warning("the final read ended with status \(status); the checkers will treat missing reads as unknown") }
        try Task.checkCancellation()
        await end()
        try CheckPipeline.merge(workloads)
        return nil
    }

    private func end() async {
        if let phase = target.words.endPhase { progress.phase(phase) }
        if let problem = await target.end() { progress.event("healing failed: \(problem)") }
    }

    private func createTopics() async throws {
        let admin = KafkaAdmin(cluster: target.client)
        for topic in plan.topics {
            progress.phase("creating topic \(topic.name) (\(topic.partitions) partition(s), RF \(topic.replicationFactor))\(target.words.place)")
            do {
                try await admin.createTopic(topic.name, partitions: topic.partitions, replicationFactor: topic.replicationFactor, configs: topic.config)
            } catch {
                throw PlaybookRunner.Failure(description: "cannot create topic \(topic.name)\(target.words.place): \(error)\(target.words.topicFailureNote)")
            }
        }
        let request = stopRequest
        let expected = Dictionary(plan.topics.map { ($0.name, $0.partitions) }, uniquingKeysWith: { first, _ in first })
        do {
            try await LeadershipWait.until(.leaders, client: target.client, topics: plan.topics.map(\.name), expected: expected,
                                           shouldStop: { request.signal != nil })
        } catch let timeout as LeadershipWait.Timeout {
            throw PlaybookRunner.Failure(description: "the topics did not get leaders: \(timeout)")
        }
    }

    /// Injects each step at its time (after its condition, if it has one: `ScheduleExecution`);
    /// heals timed faults when their time is up. Returns the signal and the workload's elapsed
    /// time when a stop was requested before the workload's end; nil when it ran to its end.
    private func runSchedule(_ workloads: Workloads) async throws -> Stop? {
        let start = ContinuousClock.now
        let elapsed = { () -> Int64 in
            let duration = ContinuousClock.now - start
            return duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        }
        let schedule = ScheduleExecution(steps: plan.steps, durationMs: plan.durationMs, session: target, progress: progress, elapsedMs: elapsed)
        while elapsed() < plan.durationMs {
            if let signal = stopRequest.signal {
                schedule.finish(interruptedBy: signal)
                return Stop(signal: signal, phase: "running the workload", elapsedMs: elapsed())
            }
            await schedule.advance()
            await progress.tick(elapsedMs: elapsed(), durationMs: plan.durationMs, stepsDone: schedule.done, stepsTotal: schedule.total,
                                session: target, histories: workloads.directory + "/histories")
            try await Task.sleep(for: .milliseconds(100))
        }
        schedule.finish()
        return nil
    }

    /// Waits until every partition has a leader and a full ISR, bounded by the settle time.
    private func settle() async {
        let request = stopRequest
        do {
            try await LeadershipWait.until(.fullIsr, client: target.client, topics: plan.topics.map(\.name),
                                           timeoutMs: Int(plan.settleMs), shouldStop: { request.signal != nil })
        } catch let timeout as LeadershipWait.Timeout {
            progress.event("the cluster did not fully recover within \(plan.settleMs / 1000) s (\(timeout.unmet.prefix(3).joined(separator: ", "))); "
                           + "reading what is there")
        } catch {
            // Cancelled: the run's own cancellation check ends it.
        }
    }

    /// The end of an interrupted run: the workload processes stop (SIGTERM, then SIGKILL after 5
    /// s; at once after an abort), the interruption goes on the timeline, the cluster's end runs
    /// (healed first), the histories are merged and the checkers judge what was recorded. Every
    /// wait in it is bounded, and an abort has already killed the processes it waits for.
    private func interrupted(_ workloads: Workloads?, _ stop: Stop) async throws -> RunOutcome {
        progress.phase("\(stop.signal): \(target.words.interruptedPhase), then checking what was recorded")
        target.timeline.append(.interrupted(RunInterruption(signal: stop.signal, phase: stop.phase, elapsedMs: stop.elapsedMs)))
        let graceMs = stopRequest.isAborted ? 0 : 5_000
        if let workloads { await Blocking.run { workloads.stopAll(graceMs: graceMs) } }
        if let problem = await target.end() { progress.event("healing failed: \(problem)") }
        if let workloads {
            try CheckPipeline.merge(workloads)
        } else {
            _ = FileManager.default.createFile(atPath: directory + "/" + CheckPipeline.historyFile, contents: Data())
        }
        progress.phase("checking the history and the timeline of the interrupted run")
        return try RunChecker.check(directory: directory, plan: plan)
    }
}
