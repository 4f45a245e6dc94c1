import KafkaProtocol
@testable import Replication

/// A `ControllerStateMachine` wired to an in-memory partition-state store that applies its writes
/// conditionally, as ZooKeeper does; `interfere` changes a node behind the controller's back just
/// before a write reaches it.
final class ControllerHarness {
    var machine: ControllerStateMachine
    var store: [TopicPartition: ControllerPartitionState] = [:]
    var writes: [PartitionStateWrite] = []
    var interfere: ((PartitionStateWrite, inout [TopicPartition: ControllerPartitionState]) -> Void)?
    let topics: [String: [Int32: [Int32]]]
    let configs: [String: [String: String]]

    init(topics: [String: [Int32: [Int32]]], configs: [String: [String: String]] = [:], unclean: Bool = false, bugs: SeededBugs = []) {
        machine = ControllerStateMachine(uncleanLeaderElectionDefault: unclean, seededBugs: bugs)
        self.topics = topics
        self.configs = configs
    }

    /// Elects this controller at `epoch` over `brokers`, reading the store as the shell would.
    @discardableResult
    func activate(epoch: Int32, brokers: Set<Int32>) -> [ControllerDirective] {
        machine.onBecameController(epoch: epoch)
        machine.onBrokersRead(brokers)
        for (topic, assignment) in topics.sorted(by: { $0.key < $1.key }) {
            var states: [Int32: ControllerPartitionState?] = [:]
            for partition in assignment.keys { states[partition] = store[TopicPartition(topic, partition)] }
            machine.onTopicRead(topic, assignment: assignment, config: configs[topic] ?? [:], states: states)
        }
        return feed(machine.onClusterLoaded())
    }

    /// Carries out writes (feeding their outcomes back) and returns every other directive, in order.
    func feed(_ directives: [ControllerDirective]) -> [ControllerDirective] {
        var others: [ControllerDirective] = []
        for directive in directives {
            guard case .writeState(let write) = directive else { others.append(directive); continue }
            let outcome = apply(write)
            let next = machine.onStateWriteOutcome(write.partition, outcome)
            others += feed(next)
        }
        return others
    }

    private func apply(_ write: PartitionStateWrite) -> PartitionStateWriteOutcome {
        writes.append(write)
        interfere?(write, &store)
        let tp = write.partition
        if let expected = write.expectedVersion {
            guard let current = store[tp] else { fatalError("harness: write to \(tp) that has no node") }
            guard current.version == expected else { return .conflict(current: current) }
        } else if let current = store[tp] {
            return .conflict(current: current)
        }
        let version = write.expectedVersion.map { $0 + 1 } ?? 0
        store[tp] = ControllerPartitionState(leader: write.leader, leaderEpoch: write.leaderEpoch, isr: write.isr,
                                             controllerEpoch: write.controllerEpoch, version: version)
        return .written(version: version)
    }

    /// A leader's own ISR write, which the controller has not heard of yet.
    func leaderWritesIsr(_ tp: TopicPartition, _ isr: [Int32]) {
        guard var state = store[tp] else { return }
        state.isr = isr
        state.version += 1
        store[tp] = state
    }
}

extension [ControllerDirective] {
    /// The partitions each broker was sent in LeaderAndIsr.
    var leaderAndIsr: [Int32: [ControllerPartitionView]] {
        var sent: [Int32: [ControllerPartitionView]] = [:]
        for case .leaderAndIsr(let broker, let partitions, _) in self { sent[broker, default: []] += partitions }
        return sent
    }

    var records: [StateWriteRecord] {
        compactMap { if case .recordStateWrite(let record) = $0 { return record } else { return nil } }
    }

    var updateMetadataBrokers: [Int32] {
        compactMap { if case .updateMetadata(let broker, _, _, _, _) = $0 { return broker } else { return nil } }
    }
}
