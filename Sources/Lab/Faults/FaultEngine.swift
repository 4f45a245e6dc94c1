import Foundation
import Logging
import Verification

/// A fault the lab is holding: a partition, a slow link, a paused or crashed broker.
///
/// In JSON (the control socket's answers, `cluster status --json`) it has the layout of the
/// timeline's `FaultRecord`: `command` is the value (`FaultCommand`'s JSON form), `description`
/// its text for people and tables, `kind` its fault kind as the timeline spells it (`isolate_zk`,
/// `power_loss`); the last two follow from the value and are not read back.
public struct ActiveFault: Sendable, Equatable {
    public var id: Int
    /// The command as the lab applied it.
    public var command: FaultCommand
    public var brokers: [Int32]
    /// The links it changed, as `1->2`, with the condition it put on them.
    public var links: [String: String]
    public var startedNs: Int64

    public init(id: Int, command: FaultCommand, brokers: [Int32], links: [String: String], startedNs: Int64) {
        self.id = id
        self.command = command
        self.brokers = brokers
        self.links = links
        self.startedNs = startedNs
    }

    public var kind: FaultKind { command.kind }
    /// The command in the grammar (`crash leader_of orders/0`), as status tables and the
    /// timeline show it.
    public var description: String { command.description }
}

extension ActiveFault: Codable {
    enum CodingKeys: String, CodingKey {
        case id, command, description, kind, brokers, links, startedNs
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(Int.self, forKey: .id)
        command = try container.decode(FaultCommand.self, forKey: .command)
        brokers = try container.decode([Int32].self, forKey: .brokers)
        links = try container.decode([String: String].self, forKey: .links)
        startedNs = try container.decode(Int64.self, forKey: .startedNs)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(command, forKey: .command)
        try container.encode(description, forKey: .description)
        try container.encode(kind, forKey: .kind)
        try container.encode(brokers, forKey: .brokers)
        try container.encode(links, forKey: .links)
        try container.encode(startedNs, forKey: .startedNs)
    }
}

/// What injecting a fault did.
public struct FaultOutcome: Sendable, Codable, Equatable {
    public var fault: ActiveFault?
    /// Faults this command ended (heal, resume, restart).
    public var ended: [ActiveFault]
    public var message: String
}

/// Injects and heals faults on a running `LocalCluster`: signals to broker processes and conditions
/// on the proxy network's links. Every fault is logged to the timeline with its start and end; while
/// a fault lasts it is listed by `active`. `heal` ends network faults, resumes paused brokers and
/// restarts crashed or stopped ones, returning the cluster to health.
///
/// Owner: this actor serialises fault injection; the cluster and network carry out its decisions.
public actor FaultEngine {
    let cluster: LocalCluster
    let resolver: TargetResolver
    let timeline: TimelineLog
    let logger: Logger
    /// Each active fault (its command a value its end record carries again) and the link
    /// conditions it holds.
    private var faults: [Int: (fault: ActiveFault, plan: [LinkID: LinkCondition])] = [:]
    private var nextId = 1

    public init(cluster: LocalCluster, resolver: TargetResolver, timeline: TimelineLog, logger: Logger) {
        self.cluster = cluster
        self.resolver = resolver
        self.timeline = timeline
        self.logger = logger
    }

    public var active: [ActiveFault] { faults.values.map(\.fault).sorted { $0.id < $1.id } }

    public func apply(_ command: FaultCommand) async throws -> FaultOutcome {
        switch command {
        case .crash(let target): return try await processFault(command, target) { ids in try self.cluster.crashBrokers(ids) }
        case .stop(let target): return try await processFault(command, target) { ids in for id in ids { try self.cluster.stopBroker(id, clean: true) } }
        case .pause(let target): return try await processFault(command, target) { ids in for id in ids { try self.cluster.pauseBroker(id) } }
        case .powerLoss(let target): return try await powerLoss(command, target)
        case .resume(let target):
            var brokers = Set(try await resolver.brokers(target))
            // `resume all` resumes the paused ones; naming one broker that is not paused is an error.
            if brokers.count > 1 { brokers = brokers.filter { cluster.state(of: $0) == .paused } }
            var ended: [ActiveFault] = []
            for id in brokers.sorted() {
                try cluster.resumeBroker(id)
                ended += end { $0.kind == .pause && $0.brokers.contains(id) }
            }
            return FaultOutcome(fault: nil, ended: ended, message: "resumed broker(s) \(brokers.sorted().map(String.init).joined(separator: ", "))")
        case .restart(let target):
            let brokers = try await resolver.brokers(target)
            var ended: [ActiveFault] = []
            for id in brokers {
                try await Blocking.run { try self.cluster.restartBroker(id) }
                ended += end { Self.processKinds.contains($0.kind) && $0.brokers.contains(id) }
            }
            timelineFault(id: nextId, action: .start, command: command, brokers: brokers)
            timelineFault(id: nextId, action: .end, command: command, brokers: brokers)
            nextId += 1
            return FaultOutcome(fault: nil, ended: ended, message: "restarted broker(s) \(brokers.map(String.init).joined(separator: ", "))")
        case .partition, .partitionOneWay, .isolate, .isolateZookeeper, .slow, .lossy, .slowLinks, .lossyLinks, .toxic, .toxicLinks:
            return try await networkFault(command)
        case .heal(let id):
            return try await heal(id)
        case .healNetwork:
            return try await healNetwork()
        case .awaitCondition, .electLeaders, .reassign:
            throw TargetResolver.Failure(description: "\(command.name) is not a fault: the lab session answers it (LabSession.apply)")
        }
    }

    /// Fault kinds that take broker processes away; `restart` ends them.
    static let processKinds: Set<FaultKind> = [.crash, .stop, .pause, .powerLoss]

    /// crash, stop, pause: one fault over the resolved brokers. A target naming several brokers
    /// (`all`, `followers_of`) skips those already down; naming one that is down is an error.
    private func processFault(_ command: FaultCommand, _ target: Target, _ action: @escaping @Sendable ([Int32]) throws -> Void) async throws -> FaultOutcome {
        var brokers = try await resolver.brokers(target)
        guard !brokers.isEmpty else { throw TargetResolver.Failure(description: "\(command): \(target) names no broker") }
        if brokers.count > 1 {
            let up: Set<LocalCluster.ProcessState> = command.kind == .pause ? [.running] : [.running, .paused]
            brokers = brokers.filter { up.contains(cluster.state(of: $0) ?? .stopped) }
            guard !brokers.isEmpty else { throw TargetResolver.Failure(description: "\(command): every broker \(target) names is already down") }
        }
        let targets = brokers
        try await Blocking.run { try action(targets) }
        let fault = ActiveFault(id: nextId, command: command, brokers: brokers, links: [:], startedNs: TimelineLog.nowNs())
        nextId += 1
        faults[fault.id] = (fault, [:])
        timelineFault(id: fault.id, action: .start, command: command, brokers: brokers)
        logger.info("fault \(fault.id): \(command) -> broker(s) \(brokers)")
        return FaultOutcome(fault: fault, ended: [], message: "\(command.name) broker(s) \(brokers.map(String.init).joined(separator: ", ")) (fault \(fault.id))")
    }

    /// SIGKILL every target at once (a running one; one already down only loses its files), then
    /// cut each one's files back to what was fsynced. One fault over them; heal restarts them.
    private func powerLoss(_ command: FaultCommand, _ target: Target) async throws -> FaultOutcome {
        guard cluster.tracksDurability else {
            throw TargetResolver.Failure(description: "power-loss needs a cluster started with durability tracking "
                + "(samsa run starts one when a step uses power-loss; samsa cluster up and the shell's cluster up take --track-durability)")
        }
        let brokers = try await resolver.brokers(target)
        guard !brokers.isEmpty else { throw TargetResolver.Failure(description: "\(command): \(target) names no broker") }
        let running = brokers.filter { [.running, .paused].contains(cluster.state(of: $0) ?? .stopped) }
        let rollBacks = try await Blocking.run { () -> [DurabilityTracking.RollBack] in
            if !running.isEmpty { try self.cluster.crashBrokers(running) }
            return try brokers.map { try DurabilityTracking.rollBack(broker: $0, journalPath: self.cluster.durabilityJournal($0)) }
        }
        let fault = ActiveFault(id: nextId, command: command, brokers: brokers, links: [:], startedNs: TimelineLog.nowNs())
        nextId += 1
        faults[fault.id] = (fault, [:])
        timelineFault(id: fault.id, action: .start, command: command, brokers: brokers)
        let runPath = cluster.run.path + "/"
        for rollBack in rollBacks {
            let cuts = rollBack.plan.cuts.prefix(50).map { cut in
                PowerLossRecord.Cut(path: cut.path.hasPrefix(runPath) ? String(cut.path.dropFirst(runPath.count)) : cut.path,
                                    length: Int64(cut.length), durableLength: Int64(cut.durableLength))
            }
            timeline.append(.powerLoss(PowerLossRecord(
                faultId: String(fault.id), broker: rollBack.broker, filesKnown: rollBack.plan.filesKnown, filesCut: rollBack.plan.cuts.count,
                bytesDropped: Int64(rollBack.plan.droppedBytes), cuts: cuts,
                journalProblems: rollBack.journalProblems.isEmpty ? nil : Array(rollBack.journalProblems.prefix(10)))))
        }
        let files = rollBacks.reduce(0) { $0 + $1.plan.cuts.count }
        let bytes = rollBacks.reduce(Int64(0)) { $0 + $1.plan.droppedBytes }
        logger.info("fault \(fault.id): \(command) -> broker(s) \(brokers): cut \(files) file(s), \(bytes) byte(s) never fsynced")
        return FaultOutcome(fault: fault, ended: [],
                            message: "power-loss broker(s) \(brokers.map(String.init).joined(separator: ", ")): cut \(files) file(s), dropped \(bytes) byte(s) never fsynced (fault \(fault.id))")
    }

    private func networkFault(_ command: FaultCommand) async throws -> FaultOutcome {
        let all = cluster.brokerIds
        let plan: [LinkID: LinkCondition]
        var named: [Int32] = []
        switch command {
        case .partition(let groups):
            var endpoints: [Set<LinkEndpoint>] = []
            for group in groups {
                let set = try await endpointSet(group)
                named += set.compactMap { if case .broker(let id) = $0 { return Int32(id) } else { return nil } }
                endpoints.append(set)
            }
            let overlap = endpoints.enumerated().flatMap { i, a in endpoints.enumerated().filter { $0.offset > i }.map { a.intersection($0.element) } }.filter { !$0.isEmpty }
            if let shared = overlap.first { throw TargetResolver.Failure(description: "partition groups overlap on \(shared.map(\.description).sorted().joined(separator: ", "))") }
            plan = LinkPlan.partition(endpoints, brokers: all)
        case .partitionOneWay(let from, let to):
            let source = try await endpointSet(from)
            let destination = try await endpointSet(to)
            guard source.isDisjoint(with: destination) else { throw TargetResolver.Failure(description: "the two sides of the partition overlap") }
            named = (source.union(destination)).compactMap { if case .broker(let id) = $0 { return Int32(id) } else { return nil } }
            plan = LinkPlan.oneWay(from: source, to: destination, brokers: all)
        case .isolate(let target):
            named = try await resolver.brokers(target)
            plan = LinkPlan.touching(Set(named.map { LinkEndpoint.broker(Int($0)) }), brokers: all, condition: .blackhole(.both))
        case .isolateZookeeper(let target):
            named = try await resolver.brokers(target)
            plan = LinkPlan.fromZookeeper(Set(named))
        case .slow(let target, let degradation):
            named = try await resolver.brokers(target)
            var condition = LinkCondition.delay(latency: .milliseconds(degradation.latencyMs), jitter: .milliseconds(degradation.jitterMs))
            if let rate = degradation.bandwidthBytesPerSecond { condition = condition.combined(with: .bandwidth(bytesPerSecond: rate)) }
            plan = LinkPlan.touching(Set(named.map { LinkEndpoint.broker(Int($0)) }), brokers: all, condition: condition)
        case .lossy(let target, let degradation):
            named = try await resolver.brokers(target)
            plan = LinkPlan.touching(Set(named.map { LinkEndpoint.broker(Int($0)) }), brokers: all, condition: .lossy(resetProbability: degradation.resetProbability))
        case .toxic(let target, let toxic):
            named = try await resolver.brokers(target)
            plan = LinkPlan.touching(Set(named.map { LinkEndpoint.broker(Int($0)) }), brokers: all, condition: Self.condition(toxic, directions: .both))
        case .toxicLinks(let from, let to, let toxic):
            let source = try await endpointSet(from)
            let destination = try await endpointSet(to)
            guard source.isDisjoint(with: destination) else { throw TargetResolver.Failure(description: "the two sides of \(command.name) overlap") }
            named = (source.union(destination)).compactMap { if case .broker(let id) = $0 { return Int32(id) } else { return nil } }
            plan = LinkPlan.directed(from: source, to: destination, brokers: all) { directions in Self.condition(toxic, directions: directions) }
        case .slowLinks(let from, let to, let degradation), .lossyLinks(let from, let to, let degradation):
            let source = try await endpointSet(from)
            let destination = try await endpointSet(to)
            guard source.isDisjoint(with: destination) else { throw TargetResolver.Failure(description: "the two sides of \(command.name) overlap") }
            named = (source.union(destination)).compactMap { if case .broker(let id) = $0 { return Int32(id) } else { return nil } }
            if case .slowLinks = command {
                plan = LinkPlan.directed(from: source, to: destination, brokers: all) { directions in
                    var condition = LinkCondition.delay(latency: .milliseconds(degradation.latencyMs), jitter: .milliseconds(degradation.jitterMs), directions: directions)
                    if let rate = degradation.bandwidthBytesPerSecond { condition = condition.combined(with: .bandwidth(bytesPerSecond: rate, directions: directions)) }
                    return condition
                }
            } else {
                plan = LinkPlan.directed(from: source, to: destination, brokers: all) { _ in .lossy(resetProbability: degradation.resetProbability) }
            }
        default:
            preconditionFailure("not a network fault: \(command)")
        }
        guard !plan.isEmpty else { throw TargetResolver.Failure(description: "\(command) changes no link") }
        let fault = ActiveFault(id: nextId, command: command,
                                brokers: Array(Set(named)).sorted(), links: Dictionary(uniqueKeysWithValues: plan.map { ($0.key.description, $0.value.description) }),
                                startedNs: TimelineLog.nowNs())
        nextId += 1
        faults[fault.id] = (fault, plan)
        try await applyNetwork(Array(plan.keys))
        timelineFault(id: fault.id, action: .start, command: command, brokers: fault.brokers, links: plan.keys.map(\.description).sorted())
        logger.info("fault \(fault.id): \(command) on \(plan.count) link(s)")
        return FaultOutcome(fault: fault, ended: [], message: "\(command.name): \(plan.count) link(s) changed (fault \(fault.id))")
    }

    /// The link condition a toxic puts on the given directions of a link.
    static func condition(_ toxic: LinkToxic, directions: LinkDirections) -> LinkCondition {
        switch toxic {
        case .limitData(let bytes):
            return .limitData(bytes: bytes, directions: directions)
        case .slice(let average, let variation, let delayMs):
            return .slice(.init(averageSize: average, sizeVariation: variation, delay: .milliseconds(delayMs)), directions: directions)
        case .timeout(let afterMs):
            return .timeout(closeAfter: afterMs > 0 ? .milliseconds(afterMs) : nil, directions: directions)
        }
    }

    /// Endpoints a partition group names: brokers from targets, plus ZooKeeper and the clients.
    private func endpointSet(_ targets: [Target]) async throws -> Set<LinkEndpoint> {
        var set: Set<LinkEndpoint> = []
        for target in targets {
            switch target {
            case .zookeeper: set.insert(.zookeeper)
            case .clients: set.insert(.client)
            default: for id in try await resolver.brokers(target) { set.insert(.broker(Int(id))) }
            }
        }
        return set
    }

    /// Recomputes the effective condition of `links` from every active fault and applies it.
    private func applyNetwork(_ links: [LinkID]) async throws {
        let effective = LinkPlan.effective(faults.values.map(\.plan), links: links)
        for (link, condition) in effective { try await cluster.network.setCondition(condition, for: link) }
    }

    private func heal(_ id: Int?) async throws -> FaultOutcome {
        let doomed = id.map { id in faults[id].map { [$0.fault] } ?? [] } ?? active
        if let id, doomed.isEmpty { throw TargetResolver.Failure(description: "no active fault \(id); active: \(active.map { String($0.id) }.joined(separator: ", "))") }
        var ended: [ActiveFault] = []
        for fault in doomed {
            switch fault.kind {
            case .crash, .stop, .powerLoss:
                // A broker two faults took down (crash, then power-loss) is started once.
                for broker in fault.brokers where cluster.state(of: broker) != .running {
                    try await Blocking.run { try self.cluster.restartBroker(broker) }
                }
            case .pause:
                // A paused broker crashed or powered off since is no longer paused: heal restarts it
                // through that fault, not here.
                for broker in fault.brokers where cluster.state(of: broker) == .paused { try cluster.resumeBroker(broker) }
            default:
                break
            }
            ended += end { $0.id == fault.id }
        }
        let links = doomed.flatMap { fault in fault.links.keys.compactMap(LinkID.init(_:)) }
        try await applyNetwork(links)
        return FaultOutcome(fault: nil, ended: ended, message: ended.isEmpty ? "nothing to heal" : "healed \(ended.count) fault(s)")
    }

    /// `heal network`: ends partitions, isolations, slow and lossy links; process faults stay.
    private func healNetwork() async throws -> FaultOutcome {
        let doomed = active.filter { !$0.links.isEmpty }
        let ids = Set(doomed.map(\.id))
        let ended = end { ids.contains($0.id) }
        try await applyNetwork(doomed.flatMap { fault in fault.links.keys.compactMap(LinkID.init(_:)) })
        return FaultOutcome(fault: nil, ended: ended, message: ended.isEmpty ? "no network fault to heal" : "healed \(ended.count) network fault(s)")
    }

    /// Removes the matching faults and logs their end.
    private func end(where predicate: (ActiveFault) -> Bool) -> [ActiveFault] {
        let matching = faults.values.filter { predicate($0.fault) }
        for (fault, _) in matching {
            faults[fault.id] = nil
            timelineFault(id: fault.id, action: .end, command: fault.command, brokers: fault.brokers)
            logger.info("fault \(fault.id) ended: \(fault.command)")
        }
        return matching.map(\.fault)
    }

    /// The fault's typed timeline record: the command as a value, its kind and text from it.
    private func timelineFault(id: Int, action: FaultRecord.Action, command: FaultCommand, brokers: [Int32], links: [String] = []) {
        timeline.append(TimelineRecord(timeNs: TimelineLog.nowNs(), .fault(
            FaultRecord(id: id, action: action, command: command, brokers: brokers, links: links.isEmpty ? nil : links))))
    }
}
