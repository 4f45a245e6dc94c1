import FaultModel
import KafkaClient
import KafkaProtocol
import NIOConcurrencyHelpers

/// Turns role targets (`leader_of orders/0`, `controller`, …) into broker ids by asking the cluster
/// at the moment the fault is injected. It talks to the brokers' internal ports, not through the
/// proxies, so an injected partition never hides the cluster from the lab.
public final class TargetResolver: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    let cluster: KafkaCluster
    let brokerIds: [Int32]
    private let random: NIOLockedValueBox<SeededRandom>
    private let runningBrokers: @Sendable () -> Set<Int32>
    /// ZooKeeper's view of a partition, for `in_sync_follower_of` (the same source conditions
    /// read, so a step that waited for `isr T/P == 2` picks the follower still in it).
    private let partitionState: (@Sendable (String, Int32) async throws -> PartitionFacts?)?
    /// The lab id of the broker reporting a Kafka node id (they differ when a launcher says so:
    /// Tansu reports 111); nil for a node the lab did not launch.
    private let brokerOfNode: @Sendable (Int32) -> Int32?

    public init(cluster: KafkaCluster, brokerIds: [Int32], seed: UInt64,
                partitionState: (@Sendable (String, Int32) async throws -> PartitionFacts?)? = nil,
                brokerOfNode: @escaping @Sendable (Int32) -> Int32? = { $0 },
                runningBrokers: @escaping @Sendable () -> Set<Int32>) {
        self.brokerOfNode = brokerOfNode
        self.cluster = cluster
        self.brokerIds = brokerIds
        self.random = NIOLockedValueBox(SeededRandom(seed: seed))
        self.partitionState = partitionState
        self.runningBrokers = runningBrokers
    }

    /// Broker ids for a target. ZooKeeper and clients are not brokers and resolve to nothing here.
    /// A name that resolves to nothing — a topic, partition or consumer group the cluster does not
    /// have, a partition without followers — is refused with an error naming what is missing,
    /// never resolved to some broker anyway.
    public func brokers(_ target: Target) async throws -> [Int32] {
        switch target {
        case .broker, .all, .random, .zookeeper, .clients:
            return try await nodes(target)
        default:
            return try await nodes(target).map { node in
                guard let id = brokerOfNode(node) else { throw Failure(description: "\(target): node \(node) is not a broker of this lab") }
                return id
            }
        }
    }

    /// The Kafka node ids of a target as the cluster reports them (lab ids for `broker N`, `all`, `random`).
    private func nodes(_ target: Target) async throws -> [Int32] {
        switch target {
        case .broker(let id):
            guard brokerIds.contains(id) else {
                throw Failure(description: "there is no broker \(id); brokers are \(brokerIds.map(String.init).joined(separator: ", "))")
            }
            return [id]
        case .all:
            return brokerIds
        case .random:
            let candidates = runningBrokers().sorted()
            guard !candidates.isEmpty else { throw Failure(description: "random: no broker is running") }
            return [random.withLockedValue { $0.pick(candidates) }]
        case .controller:
            let metadata = try await metadata()
            guard metadata.controllerId >= 0 else { throw Failure(description: "controller: the cluster has no controller now") }
            return [metadata.controllerId]
        case .leaderOf(let topic, let partition), .followersOf(let topic, let partition):
            let metadata = try await metadata(topic: topic)
            guard let info = metadata.partition(TopicPartition(topic, partition)) else {
                let count = metadata.topics[topic]?.partitions.count ?? 0
                throw Failure(description: count == 0 ? "\(target): the cluster has no topic '\(topic)'"
                                  : "\(target): topic '\(topic)' has \(count) partition(s); there is no partition \(partition)")
            }
            if case .leaderOf = target {
                guard info.leader >= 0 else { throw Failure(description: "\(target): \(topic)/\(partition) has no leader now") }
                return [info.leader]
            }
            let followers = info.replicas.filter { $0 != info.leader }.sorted()
            guard !followers.isEmpty else {
                throw Failure(description: "\(target): \(topic)/\(partition) has no followers (replicas [\(info.replicas.map(String.init).joined(separator: ", "))])")
            }
            return followers
        case .inSyncFollowerOf(let topic, let partition):
            guard let partitionState else { throw Failure(description: "\(target): this lab cannot read partition state") }
            guard let facts = try await partitionState(topic, partition) else {
                throw Failure(description: "\(target): ZooKeeper has no state for \(topic)/\(partition)")
            }
            guard let follower = facts.isr.filter({ $0 != facts.leader }).min() else {
                throw Failure(description: "\(target): no follower is in the ISR [\(facts.isr.map(String.init).joined(separator: ", "))] (leader \(facts.leader))")
            }
            return [follower]
        case .coordinatorOf(let group):
            return [try await coordinator(of: group)]
        case .transactionCoordinatorOf(let id):
            // Every id has a coordinator (FindCoordinator hashes it), used or not; the playbook
            // checks that the id is one of its workload's.
            do { return [try await KafkaAdmin(cluster: cluster).coordinator(of: id, keyType: 1).id] } catch {
                throw Failure(description: "txn_coordinator_of \(id): \(error)")
            }
        case .zookeeper, .clients:
            return []
        }
    }

    /// The coordinator of an existing group. Any name has a coordinator (FindCoordinator hashes
    /// it), so the group is described there first: a coordinator that does not know it (`Dead`,
    /// as Kafka answers for unknown groups) means there is no such group.
    func coordinator(of group: String) async throws -> Int32 {
        let found: (id: Int32, connection: KafkaConnection)
        do { found = try await KafkaAdmin(cluster: cluster).coordinator(of: group) } catch {
            throw Failure(description: "coordinator_of \(group): \(error)")
        }
        let described: DescribeGroupsResponse
        do {
            described = try await found.connection.send(DescribeGroupsRequest(groups: [group]), timeoutMs: cluster.options.requestTimeoutMs)
        } catch {
            throw Failure(description: "coordinator_of \(group): broker \(found.id) did not describe the group: \(error)")
        }
        guard let info = described.groups.first else { throw Failure(description: "coordinator_of \(group): empty DescribeGroups answer") }
        if info.errorCode != 0 {
            let name = ErrorCode(rawValue: info.errorCode).map { "\($0)" } ?? "error \(info.errorCode)"
            throw Failure(description: "coordinator_of \(group): broker \(found.id) answered \(name)")
        }
        guard info.groupState != "Dead" else {
            throw Failure(description: "coordinator_of \(group): the cluster has no consumer group '\(group)'")
        }
        return found.id
    }

    func metadata(topic: String? = nil) async throws -> KafkaCluster.Metadata {
        do {
            return try await cluster.refreshMetadata(topics: topic.map { [$0] } ?? [])
        } catch {
            throw Failure(description: "no broker answered a metadata request: \(error)")
        }
    }
}

/// A small reproducible generator (SplitMix64): the same seed picks the same `random` targets.
public struct SeededRandom: Sendable, RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    public mutating func pick<T>(_ values: [T]) -> T { values[Int(next() % UInt64(values.count))] }
}
