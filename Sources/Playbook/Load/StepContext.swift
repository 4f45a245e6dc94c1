import Lab
import SamsaConfig

/// What fault steps may name: the playbook's brokers, topics with their partition counts, and the
/// groups its consumers join. A step aimed at something that will not exist is an error before the
/// run, not a refused fault in the middle of it.
struct StepContext {
    var brokers: Int
    /// The ids fault steps may name: 1 to `brokers` in the lab, the listed ids on an external cluster.
    var brokerIds: [Int32]
    var external: Bool
    var partitions: [String: Int32]
    var replicationFactors: [String: Int16]
    var topicOrder: [String]
    var groups: [String]
    /// The workload's transactional ids: each transactional producer's and consume-transform-produce
    /// process's name (`producer-1-1`, `consumer-3-1`).
    var transactionalIds: [String]
    var durationMs: Int64

    init(plan: RunPlan) {
        brokers = plan.brokers
        external = plan.external != nil
        brokerIds = plan.external?.brokerIds ?? (1...max(1, plan.brokers)).map { Int32($0) }
        partitions = Dictionary(plan.topics.map { ($0.name, $0.partitions) }, uniquingKeysWith: { first, _ in first })
        replicationFactors = Dictionary(plan.topics.map { ($0.name, $0.replicationFactor) }, uniquingKeysWith: { first, _ in first })
        topicOrder = plan.topics.map(\.name)
        groups = plan.consumers.compactMap(\.group)
        transactionalIds = plan.producers.enumerated().filter { $0.element.transactional }.flatMap(WorkloadStart.producerNames)
            + plan.consumers.enumerated().filter { $0.element.transform != nil }.flatMap(WorkloadStart.consumerNames)
        durationMs = plan.durationMs
    }

    /// Parameters a schedule file may use as `${name}` when the playbook does not set them.
    var defaultParameters: [String: String] {
        var parameters: [String: String] = ["brokers": String(brokers)]
        if let topic = topicOrder.first { parameters["topic"] = topic }
        if let group = groups.first { parameters["group"] = group }
        return parameters
    }

    /// Why `condition` cannot be judged on this playbook's cluster, or nil.
    func problem(with condition: Condition) -> String? {
        if let problem = partitionProblem(condition.topic, condition.partition) { return problem }
        switch condition {
        case .isrSize(let topic, _, let op, let size):
            guard let factor = replicationFactors[topic].map(Int64.init) else { return nil }
            let impossible = (op == .equal && size > factor) || (op == .greaterOrEqual && size > factor) || (op == .greater && size >= factor)
                || (op == .less && size <= 0)
            return impossible ? "'\(condition)' can never hold: topic '\(topic)' has replication factor \(factor)" : nil
        case .leader(_, _, _, let id) where unknownBroker(id):
            return "broker \(id) does not exist: the cluster has brokers \(brokerList)"
        default:
            return nil
        }
    }

    /// Whether `id` names no broker of the cluster (the lab's ids are 1 to `brokers`; an external
    /// cluster's are the ones it lists; negative ids mean "none" in conditions).
    func unknownBroker(_ id: Int32) -> Bool { external ? id >= 0 && !brokerIds.contains(id) : Int(id) > brokers }

    /// "1 to 3" for consecutive ids from 1 (the lab's), else the ids listed.
    var brokerList: String {
        brokerIds == (1...max(1, brokers)).map { Int32($0) } ? "1 to \(brokers)" : brokerIds.map(String.init).joined(separator: ", ")
    }

    func partitionProblem(_ topic: String, _ partition: Int32) -> String? {
        guard let count = partitions[topic] else {
            let hint = NearestName.closest(to: topic, among: topicOrder).map { "; did you mean '\($0)'?" } ?? ""
            return "topic '\(topic)' is not declared under topics\(hint)"
        }
        if partition >= count { return "partition \(partition) does not exist: topic '\(topic)' has \(count) partition(s)" }
        return nil
    }

    /// Why `command` cannot apply to this playbook's cluster, or nil.
    func problem(with command: FaultCommand) -> String? {
        if case .awaitCondition(let condition, _) = command { return problem(with: condition) }
        // Replica ids are the cluster's to judge: its refusal is the step's recorded outcome.
        if let (topic, partition) = command.adminPartition { return partitionProblem(topic, partition) }
        for target in Self.targets(of: command) {
            switch target {
            case .broker(let id) where unknownBroker(id):
                return "broker \(id) does not exist: the cluster has brokers \(brokerList)"
            case .leaderOf(let topic, let partition), .followersOf(let topic, let partition), .inSyncFollowerOf(let topic, let partition):
                if let problem = partitionProblem(topic, partition) { return problem }
            case .coordinatorOf(let group) where !groups.contains(group):
                return "group '\(group)' is not the group of any consumer in the workload" + (groups.isEmpty ? "" : " (groups: \(groups.joined(separator: ", ")))")
            case .transactionCoordinatorOf(let id) where !transactionalIds.contains(id):
                return "'\(id)' is not the transactional id of any process in the workload"
                    + (transactionalIds.isEmpty ? " (it has no transactional producer or transform)" : " (ids: \(transactionalIds.joined(separator: ", ")))")
            default:
                continue
            }
        }
        if case .partition(let groups) = command, groups.count > 1 {
            let named = groups.flatMap { $0 }
            if named.allSatisfy({ $0 == .zookeeper || $0 == .clients }) { return "a partition must name at least one broker" }
        }
        return nil
    }

    static func targets(of command: FaultCommand) -> [Target] { command.targets }

    /// Whether a fault lasts until healed, so that `heal_after` means something for it.
    static func lasts(_ command: FaultCommand) -> Bool {
        switch command {
        case .crash, .stop, .pause, .powerLoss: return true
        case .resume, .restart, .heal, .healNetwork, .awaitCondition, .electLeaders, .reassign: return false
        default: return command.isNetworkFault
        }
    }
}
