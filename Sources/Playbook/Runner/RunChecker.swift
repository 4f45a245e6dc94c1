import Foundation
import Lab
import Report
import Verification

/// What a run produced.
public struct RunOutcome: Sendable {
    public var directory: String
    public var expectations: [ExpectationResult]
    /// true: every expectation held; false: one failed; nil: some could not be decided, or the
    /// run was interrupted.
    public var passed: Bool?
    public var report: RunReport
    /// The report files written into the run directory.
    public var files: [URL]
}

/// Checks a finished run directory: loads `history.jsonl` and `timeline.jsonl`, runs every checker,
/// measures the figures, judges the plan's expectations and writes the reports (`report.json`,
/// `report.md`, `report.html`, `junit.xml`) next to them. `samsa run` calls it at the end of a
/// run, `samsa check DIR` on a run directory later, with the plan the run saved in `run.json`.
public enum RunChecker {
    public static let planFile = "run.json"

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Checks `directory` with the plan saved in it.
    public static func check(directory: String) throws -> RunOutcome {
        let path = directory + "/" + planFile
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Failure(description: "\(directory) is not a run directory: it has no \(planFile) (written by samsa run)")
        }
        let plan: RunPlan
        do {
            plan = try JSONDecoder().decode(RunPlan.self, from: data)
        } catch {
            throw Failure(description: "\(path) is not a run plan written by this version of samsa: \(error)")
        }
        return try check(directory: directory, plan: plan)
    }

    public static func check(directory: String, plan: RunPlan) throws -> RunOutcome {
        for file in [CheckPipeline.historyFile, "timeline.jsonl"] where !FileManager.default.fileExists(atPath: directory + "/" + file) {
            throw Failure(description: "\(directory) has no \(file): the run did not get far enough to check")
        }
        let timeline = Timeline.load(path: directory + "/timeline.jsonl")
        let replicas = ReplicaDigestCollector.refresh(runDirectory: directory, topics: plan.topics.map(\.name))
        var run = CheckPipeline.judge(directory: directory, timeline: timeline, parameters: parameters(plan), replicas: replicas)
        let missing = ExternalEvidence.missing(plan)
        if let missing { ExternalEvidence.mark(&run.checks, note: missing.note, unavailable: missing.unavailable) }
        let steps = timeline.stepOutcomes
        let interruption = timeline.interruption
        var results = ExpectationEvaluation.evaluate(plan.expectations, history: run.history, report: run.checks, figures: run.figures,
                                                     steps: steps, plannedSteps: plan.steps.count)
        if let missing, let index = results.firstIndex(where: { $0.name == "checks" }) {
            results[index] = ExpectationEvaluation.everyCheck(plan.expectations, run.checks, unavailable: missing.unavailable.map(\.checker),
                                                              place: missing.place)
        }
        if let interruption {
            results.append(ExpectationResult(name: "run_completed", expected: "the run ends by itself", observed: interruption.summary,
                                             passed: nil, evidence: "the workload, the cluster and the checkers were stopped early; "
                                                 + "the checkers judged the history recorded until then"))
        }
        var report = RunReport(run, runName: URL(fileURLWithPath: directory).lastPathComponent,
                               playbook: PlaybookSummary(name: plan.name, description: plan.description.isEmpty ? nil : plan.description),
                               seed: plan.seed, brokers: plan.external?.brokerIds ?? (1...max(1, plan.brokers)).map { Int32($0) },
                               expectations: results.map { Expectation(name: $0.name, expected: $0.expected, observed: $0.observed,
                                                                       passed: $0.passed, evidence: $0.evidence) })
        report.steps = steps
        report.interruption = interruption
        let files = try report.write(to: URL(fileURLWithPath: directory))
        return RunOutcome(directory: directory, expectations: results, passed: interruption == nil ? ExpectationEvaluation.overall(results) : nil,
                          report: report, files: files)
    }

    static func parameters(_ plan: RunPlan) -> RunParameters {
        var parameters = RunParameters()
        let unclean = "unclean.leader.election.enable"
        parameters.uncleanLeaderElectionDefault = plan.brokerConfig[unclean]?.lowercased() == "true"
        for topic in plan.topics {
            let minIsr = Int32(topic.config["min.insync.replicas"] ?? plan.brokerConfig["min.insync.replicas"] ?? "1") ?? 1
            parameters.topics[topic.name] = TopicSettings(partitions: topic.partitions, replicationFactor: Int32(topic.replicationFactor),
                                                          minInSyncReplicas: minIsr,
                                                          uncleanLeaderElection: (topic.config[unclean] ?? plan.brokerConfig[unclean])?.lowercased() == "true")
        }
        let lagKey = "replica.lag.time.max.ms"
        let labLag = LabDefaults.brokerProperties(brokers: plan.brokers).first { $0.0 == lagKey }?.1
        parameters.replicaLagTimeMaxMs = (plan.brokerConfig[lagKey] ?? labLag).flatMap { Int64($0) }
        for (index, producer) in plan.producers.enumerated() {
            for name in WorkloadStart.producerNames(index, producer) { parameters.producerAcks[name] = producer.acks }
        }
        return parameters
    }
}

extension JSONEncoder {
    static var pretty: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return encoder
    }
}
