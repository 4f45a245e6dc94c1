import Foundation
import Logging
import Verification

/// Applies faults to an external cluster by running the user's command templates
/// (`FaultExecutorSpec`), one per broker, and heals them with their heal templates. Every command
/// and its exit status goes on the timeline (`executor_command`); faults go on it as the lab's do
/// (`fault` start and end records), so reports and figures read them the same way. Every applied
/// fault is in the `FaultJournal` before its command runs and leaves it only once healed.
///
/// Only brokers listed in the playbook's `cluster.brokers` are faulted: a role target that resolves
/// to any other broker is refused.
///
/// Owner: this actor serialises fault commands and owns the journal.
public actor ExternalFaultExecutor {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    let cluster: ExternalCluster
    let resolver: TargetResolver
    let timeline: TimelineLog
    let runDirectory: String
    let logger: Logger
    let onCommand: @Sendable (String) -> Void
    private var journal = FaultJournal()
    private var nextId = 1

    /// `onCommand` hears one line per executed command (for the terminal).
    public init(cluster: ExternalCluster, resolver: TargetResolver, timeline: TimelineLog, runDirectory: String, logger: Logger,
                onCommand: @escaping @Sendable (String) -> Void = { _ in }) {
        self.cluster = cluster
        self.resolver = resolver
        self.timeline = timeline
        self.runDirectory = runDirectory
        self.logger = logger
        self.onCommand = onCommand
    }

    var stateDirectory: String { cluster.executor.stateDirectory }

    /// Takes the state directory's journal for this run, first healing what a previous run left in
    /// it. Refused while the journal's owner still runs; throws when a left-over fault cannot be
    /// healed (it stays in the journal, and nothing is started on a cluster in an unknown state).
    /// Returns the faults it healed.
    @discardableResult
    public func recover() async throws -> [FaultJournal.Entry] {
        let previous = try FaultJournal.load(stateDirectory: stateDirectory)
        if let previous, previous.ownerIsAnotherLiveProcess {
            throw Failure(description: "another run (pid \(previous.ownerPid)) is using the fault journal in \(stateDirectory); "
                          + "wait for it to end or give this run another executor.state_dir")
        }
        journal = FaultJournal(entries: previous?.entries ?? [])
        try save()
        guard !journal.entries.isEmpty else { return [] }
        let leftOver = journal.entries
        onCommand("a previous run left \(leftOver.count) fault(s) in \(FaultJournal.path(stateDirectory: stateDirectory)); healing them first")
        for entry in leftOver {
            timelineFault("journal-\(entry.id)", .start, entry.fault?.kind ?? entry.kind.faultKind, entry.fault, entry.brokers, entry.command + " (left by an earlier run)")
            _ = try await runHeals(of: entry, reason: "journal", timelineId: "journal-\(entry.id)")
        }
        return leftOver
    }

    /// The faults applied and not healed, as status lines and progress show them. Every entry of
    /// the journal is this run's once `recover` has healed what an earlier run left, so each
    /// carries its command as a value.
    public var active: [ActiveFault] { journal.entries.compactMap(Self.activeFault) }

    private static func activeFault(_ entry: FaultJournal.Entry) -> ActiveFault? {
        entry.fault.map { ActiveFault(id: entry.id, command: $0, brokers: entry.brokers, links: [:], startedNs: entry.startedNs) }
    }

    public func apply(_ command: FaultCommand) async throws -> FaultOutcome {
        switch command {
        case .heal(let id): return try await heal(id)
        case .healNetwork: return try await heal(nil, network: true)
        case .partition, .partitionOneWay: return try await partition(command)
        case .restart(let target): return try await undo(command, target, action: .restart, ends: [.crash, .stop])
        case .resume(let target): return try await undo(command, target, action: .resume, ends: [.pause])
        default:
            guard let action = command.executorAction, let target = command.targets.first else {
                throw Failure(description: "'\(command.name)' cannot be applied to an external cluster: its executor runs "
                              + ExecutorAction.allCases.filter { $0.heal != nil }.map(\.rawValue).joined(separator: ", ") + " and their heals")
            }
            let values = command.degradationVariables
            return try await fault(command, action: action, sites: try await brokers(target).map { Site(broker: $0, values: values) })
        }
    }

    /// Where one fault's template runs: a broker, with the values only this run of it has
    /// (a partition's peer, a slow fault's degradation).
    struct Site {
        var broker: Int32
        var values: [String: String] = [:]
    }

    /// `partition A | B` and `partition A -> B`: one `partition` command per cut link, run on the
    /// broker that receives the traffic with the sender as `{peer_*}`. Both ways between every
    /// two groups; one way only from the first group to the second.
    private func partition(_ command: FaultCommand) async throws -> FaultOutcome {
        var links: [(from: Int32, to: Int32)] = []
        switch command {
        case .partition(let groups):
            var resolved: [[Int32]] = []
            for group in groups { resolved.append(try await brokers(group)) }
            for (i, senders) in resolved.enumerated() {
                for (j, receivers) in resolved.enumerated() where i != j {
                    for from in senders { for to in receivers where from != to { links.append((from, to)) } }
                }
            }
        case .partitionOneWay(let fromTargets, let toTargets):
            let senders = try await brokers(fromTargets)
            let receivers = try await brokers(toTargets)
            for from in senders { for to in receivers where from != to { links.append((from, to)) } }
        default:
            throw Failure(description: "'\(command)' is not a partition")
        }
        var seen = Set<String>()
        links = links.filter { seen.insert("\($0.from)->\($0.to)").inserted }
        guard !links.isEmpty else { throw Failure(description: "\(command) cuts no link between two different brokers") }
        let sites = try links.map { link in
            guard let peer = cluster.broker(link.from) else { throw Failure(description: "broker \(link.from) is not under cluster.brokers") }
            return Site(broker: link.to, values: ["peer_id": String(peer.id), "peer_host": peer.host, "peer_port": String(peer.port)])
        }
        return try await fault(command, action: .partition, sites: sites)
    }

    /// Every broker of a partition group, refusing ZooKeeper and the clients (the executor's
    /// templates run on broker hosts only).
    private func brokers(_ targets: [Target]) async throws -> [Int32] {
        var ids: [Int32] = []
        for target in targets {
            guard target.isBroker else {
                throw Failure(description: "an external cluster's partition cuts links between brokers only, not \(target)")
            }
            for id in try await brokers(target) where !ids.contains(id) { ids.append(id) }
        }
        return ids
    }

    /// Resolves a target to listed brokers only.
    private func brokers(_ target: Target) async throws -> [Int32] {
        let ids = try await resolver.brokers(target)
        let unlisted = ids.filter { cluster.broker($0) == nil }
        guard unlisted.isEmpty else {
            throw Failure(description: "\(target) is broker \(unlisted.map(String.init).joined(separator: ", ")), which is not under cluster.brokers; "
                          + "only the brokers the playbook lists (\(cluster.brokerIds.map(String.init).joined(separator: ", "))) are faulted")
        }
        guard !ids.isEmpty else { throw Failure(description: "\(target) names no broker") }
        return ids
    }

    private func fault(_ command: FaultCommand, action: ExecutorAction, sites: [Site]) async throws -> FaultOutcome {
        var ids: [Int32] = []
        for site in sites where !ids.contains(site.broker) { ids.append(site.broker) }
        guard let healAction = action.heal else { throw Failure(description: "'\(action.rawValue)' has no heal") }
        // Every line is rendered before anything runs: a template that cannot render applies nothing.
        let heals = try sites.map {
            FaultJournal.Heal(broker: $0.broker, action: healAction, command: try render(healAction, broker: $0.broker, values: $0.values))
        }
        let faultCommands = try sites.map { ($0.broker, try render(action, broker: $0.broker, values: $0.values)) }
        let id = nextId
        nextId += 1
        let entry = FaultJournal.Entry(id: id, command: command.description, fault: command, kind: action, brokers: ids, heals: heals,
                                       startedNs: TimelineLog.nowNs(), runDirectory: runDirectory)
        // In the journal before anything runs: a run killed from here on leaves the heal behind.
        journal.entries.append(entry)
        try save()
        timelineFault(String(id), .start, command.kind, command, ids, command.description)
        var failures: [String] = []
        for (broker, line) in faultCommands {
            let result = await execute(line, broker: broker, action: action, reason: "fault")
            if !result.succeeded { failures.append("broker \(broker): \(result.summary)") }
        }
        if !failures.isEmpty {
            // Whatever did apply is undone now rather than left for the end of the run.
            let healed = (try? await runHeals(of: entry, reason: "heal", timelineId: String(id))) != nil
            throw Failure(description: "\(command): the \(action.rawValue) command failed (\(failures.joined(separator: "; ")))"
                          + (healed ? "; its heal ran" : "; its heal failed too and stays in the journal"))
        }
        let fault = ActiveFault(id: id, command: command, brokers: ids, links: [:], startedNs: entry.startedNs)
        return FaultOutcome(fault: fault, ended: [], message: "\(action.rawValue) broker(s) \(ids.map(String.init).joined(separator: ", ")) (fault \(id))")
    }

    /// `restart` and `resume`: run the action for the brokers, ending the faults it undoes there.
    private func undo(_ command: FaultCommand, _ target: Target, action: ExecutorAction, ends kinds: Set<ExecutorAction>) async throws -> FaultOutcome {
        let ids = try await brokers(target)
        let lines = try ids.map { ($0, try render(action, broker: $0)) }
        var failures: [String] = []
        var ended: [ActiveFault] = []
        for (broker, line) in lines {
            let result = await execute(line, broker: broker, action: action, reason: "fault")
            guard result.succeeded else {
                failures.append("broker \(broker): \(result.summary)")
                continue
            }
            ended += try forget(broker: broker, kinds: kinds)
        }
        guard failures.isEmpty else { throw Failure(description: "\(command): \(failures.joined(separator: "; "))") }
        return FaultOutcome(fault: nil, ended: ended, message: "\(action.rawValue) broker(s) \(ids.map(String.init).joined(separator: ", "))")
    }

    /// Removes `broker` from the journal's faults of `kinds`; faults left with no broker end.
    private func forget(broker: Int32, kinds: Set<ExecutorAction>) throws -> [ActiveFault] {
        var ended: [ActiveFault] = []
        for index in journal.entries.indices.reversed() where kinds.contains(journal.entries[index].kind) {
            var entry = journal.entries[index]
            entry.heals.removeAll { $0.broker == broker }
            if entry.heals.isEmpty {
                journal.entries.remove(at: index)
                timelineFault(String(entry.id), .end, entry.fault?.kind ?? entry.kind.faultKind, entry.fault, entry.brokers, entry.command)
                if let fault = Self.activeFault(entry) { ended.append(fault) }
            } else {
                journal.entries[index] = entry
            }
        }
        try save()
        return ended
    }

    /// `heal` (every fault, or one by id) and `heal network` (`network`: isolate, partition and
    /// slow faults only).
    private func heal(_ id: Int?, network: Bool = false) async throws -> FaultOutcome {
        var doomed = journal.entries.filter { entry in id.map { entry.id == $0 } ?? true }
        if network { doomed = doomed.filter { $0.kind.isNetwork } }
        if let id, doomed.isEmpty {
            throw Failure(description: "no active fault \(id); active: \(journal.entries.map { String($0.id) }.joined(separator: ", "))")
        }
        var ended: [ActiveFault] = []
        var failures: [String] = []
        // Newest first: a pause applied after a crash is undone before the restart.
        for entry in doomed.reversed() {
            do {
                try await runHeals(of: entry, reason: "heal", timelineId: String(entry.id))
                if let fault = Self.activeFault(entry) { ended.append(fault) }
            } catch {
                failures.append("\(error)")
            }
        }
        guard failures.isEmpty else { throw Failure(description: failures.joined(separator: "; ")) }
        return FaultOutcome(fault: nil, ended: ended, message: ended.isEmpty ? "nothing to heal" : "healed \(ended.count) fault(s)")
    }

    /// Runs an entry's heals; the entry leaves the journal when every one succeeded, and otherwise
    /// stays there holding the heals that failed.
    @discardableResult
    private func runHeals(of entry: FaultJournal.Entry, reason: String, timelineId: String) async throws -> Bool {
        var remaining: [FaultJournal.Heal] = []
        var failures: [String] = []
        for heal in entry.heals {
            let result = await execute(heal.command, broker: heal.broker, action: heal.action, reason: reason)
            if !result.succeeded {
                remaining.append(heal)
                failures.append("broker \(heal.broker): \(result.summary)")
            }
        }
        if let index = journal.entries.firstIndex(where: { $0.id == entry.id && $0.startedNs == entry.startedNs }) {
            if remaining.isEmpty { journal.entries.remove(at: index) } else { journal.entries[index].heals = remaining }
        }
        try save()
        guard remaining.isEmpty else {
            throw Failure(description: "healing '\(entry.command)' failed (\(failures.joined(separator: "; "))); it stays in "
                          + FaultJournal.path(stateDirectory: stateDirectory) + " and the next run retries it")
        }
        timelineFault(timelineId, .end, entry.fault?.kind ?? entry.kind.faultKind, entry.fault, entry.brokers, entry.command)
        return true
    }

    /// The full command line for `action` on `broker`: the template rendered, behind the ssh
    /// prefix when there is one. `values` are the action's own (`{peer_host}`, `{latency_ms}`).
    func render(_ action: ExecutorAction, broker id: Int32, values: [String: String] = [:]) throws -> String {
        try Self.render(action, broker: id, cluster: cluster, values: values)
    }

    public static func render(_ action: ExecutorAction, broker id: Int32, cluster: ExternalCluster, values actionValues: [String: String] = [:]) throws -> String {
        guard let broker = cluster.broker(id) else { throw Failure(description: "broker \(id) is not under cluster.brokers") }
        guard let template = cluster.template(action, broker: id) else {
            throw Failure(description: "the executor has no '\(action.rawValue)' command for broker \(id)")
        }
        let values = variables(broker, cluster: cluster)
        do {
            let line = try CommandTemplate(template).render(values.merging(actionValues) { $1 })
            guard let ssh = cluster.executor.ssh else { return line }
            return try CommandTemplate(ssh).render(values) + " " + CommandTemplate.shellQuoted(line)
        } catch {
            throw Failure(description: "the '\(action.rawValue)' command of broker \(id): \(error)")
        }
    }

    public static func variables(_ broker: ExternalCluster.Broker, cluster: ExternalCluster) -> [String: String] {
        var values = broker.variables
        values["broker_id"] = String(broker.id)
        values["host"] = broker.host
        values["port"] = String(broker.port)
        values["bootstrap"] = cluster.bootstrap
        return values
    }

    /// Runs one command on a thread of its own (it may take up to the executor's timeout, and the
    /// cooperative pool must not wait for it) and records it.
    private func execute(_ line: String, broker: Int32, action: ExecutorAction, reason: String) async -> ShellCommandRunner.Result {
        let timeoutMs = cluster.executor.timeoutMs
        let output = runDirectory + "/executor.log"
        let result = (try? await Blocking.run { ShellCommandRunner.run(line, timeoutMs: timeoutMs, outputPath: output) })
            ?? ShellCommandRunner.Result(exitStatus: nil, timedOut: false, summary: "cannot run", output: "", durationMs: 0)
        timeline.append(.executorCommand(ExecutorCommandRecord(
            broker: broker, action: action.rawValue, command: line, exitStatus: result.exitStatus, timedOut: result.timedOut,
            result: result.summary, output: result.output, durationMs: Int64(result.durationMs), reason: reason)), observer: "executor")
        onCommand("executor: \(line) — \(result.summary)")
        logger.info("executor ran '\(line)': \(result.summary)")
        return result
    }

    /// The fault's typed timeline record, carrying its command as a value when the journal has it
    /// (a fault left by a run that predates the value is known from the journal's text alone).
    private func timelineFault(_ id: String, _ action: FaultRecord.Action, _ kind: FaultKind, _ command: FaultCommand?, _ brokers: [Int32],
                               _ description: String) {
        timeline.append(TimelineRecord(timeNs: TimelineLog.nowNs(), .fault(
            FaultRecord(id: id, action: action, fault: kind, targets: brokers.map { "broker-\($0)" }, command: command, description: description))))
    }

    private func save() throws {
        do { try journal.save(stateDirectory: stateDirectory) } catch {
            throw Failure(description: "cannot write the fault journal in \(stateDirectory): \(error)")
        }
    }
}
