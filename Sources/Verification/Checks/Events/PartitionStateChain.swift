import KafkaProtocol

/// One broker's report of a committed partition state: "version V of the partition's state held
/// this leader, epoch and ISR". `became_leader` reports the version it was given, a leader's
/// `isr_shrink`/`isr_expand` the version it wrote, the controller's `leader_elected` the version
/// it wrote (and the version it replaced, with the ISR it says it read there).
public struct StateReport: Sendable, Hashable, Codable {
    public var version: Int32
    public var leader: Int32
    public var leaderEpoch: Int32
    /// Sorted, so reports of one state by different brokers compare equal.
    public var isr: [Int32]
    public var broker: Int32
    public var event: BrokerEventKind
    public var timeNs: Int64
    /// For `leader_elected`: the version it replaced, and the ISR it says that version held.
    public var priorVersion: Int32?
    public var claimedPriorIsr: [Int32]?
    public var unclean: Bool?

    enum CodingKeys: String, CodingKey {
        case version, leader, isr, broker, event, unclean
        case leaderEpoch = "leader_epoch"
        case timeNs = "time_ns"
        case priorVersion = "prior_version"
        case claimedPriorIsr = "claimed_prior_isr"
    }

    /// The state a broker event reports, if it reports one with its version.
    init?(_ event: BrokerEvent, at timeNs: Int64) {
        guard let version = event.stateVersion, let epoch = event.leaderEpoch else { return nil }
        let leader: Int32
        let isr: [Int32]?
        switch event.event {
        case .becameLeader:
            leader = event.broker
            isr = event.isr
        case .isrShrink, .isrExpand:
            leader = event.broker
            isr = event.newIsr
        case .leaderElected:
            guard let elected = event.leader else { return nil }
            leader = elected
            isr = event.newIsr
        default:
            return nil
        }
        guard let isr else { return nil }
        self.version = version
        self.leader = leader
        self.leaderEpoch = epoch
        self.isr = isr.sorted()
        self.broker = event.broker
        self.event = event.event
        self.timeNs = timeNs
        if event.event == .leaderElected {
            priorVersion = event.priorStateVersion
            claimedPriorIsr = event.oldIsr?.sorted()
            unclean = event.unclean
        }
    }

    func sameState(_ other: StateReport) -> Bool {
        leader == other.leader && leaderEpoch == other.leaderEpoch && isr == other.isr
    }
}

/// Every partition's chain of committed states, rebuilt from all brokers' reports, so that no
/// single broker's word decides a verdict: an election is judged against the state it replaced
/// as some *other* report (a leader's ISR event, an earlier election, a `became_leader`) gave it.
///
/// ZooKeeper bumps a node's version by one on every write, so version V replaced V - 1. A topic
/// deleted and created again starts at version 0 again: a `leader_elected` for a new partition
/// (prior version -1) starts a new generation of the chain.
struct PartitionStateChain {
    struct Generation {
        var startNs: Int64
        /// The first report of each version.
        var versions: [Int32: StateReport] = [:]
        /// Versions reported with different states (never used to judge).
        var conflicting: Set<Int32> = []
        /// Every report, in time order.
        var reports: [StateReport] = []
    }

    private(set) var generations: [TopicPartition: [Generation]] = [:]
    /// Events that would report a state but carry no `state_version` (a broker from before the field).
    private(set) var reportsWithoutVersion = 0

    init(_ timeline: Timeline) {
        // Generations live in one flat array while reports come in, so each report updates its
        // generation in place (a dictionary of arrays of dictionaries would be copied per report).
        var storage: [Generation] = []
        var current: [TopicPartition: Int] = [:]
        var order: [TopicPartition: [Int]] = [:]
        for record in timeline.records {
            guard case .brokerEvent(let event) = record.body, let topic = event.topic, let number = event.partition,
                  [.becameLeader, .isrShrink, .isrExpand, .leaderElected].contains(event.event) else { continue }
            guard let report = StateReport(event, at: record.timeNs) else {
                reportsWithoutVersion += 1
                continue
            }
            let partition = TopicPartition(topic, number)
            var index = current[partition]
            if index == nil || (report.event == .leaderElected && report.priorVersion == -1) {
                storage.append(Generation(startNs: report.timeNs))
                index = storage.count - 1
                current[partition] = index
                order[partition, default: []].append(index!)
            }
            let position = index!
            if let first = storage[position].versions[report.version] {
                if !first.sameState(report) { storage[position].conflicting.insert(report.version) }
            } else {
                storage[position].versions[report.version] = report
            }
            storage[position].reports.append(report)
        }
        generations = order.mapValues { indices in indices.map { storage[$0] } }
    }

    /// Whether any report carried a version.
    var hasVersions: Bool { !generations.isEmpty }

    /// The committed state at `version` in `generation`, unless unknown or reported inconsistently.
    static func state(_ generation: Generation, _ version: Int32) -> StateReport? {
        guard !generation.conflicting.contains(version) else { return nil }
        return generation.versions[version]
    }
}
