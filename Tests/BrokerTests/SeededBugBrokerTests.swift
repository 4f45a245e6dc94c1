import Coordination
import Foundation
import KafkaProtocol
import Logging
import LogStore
import NIOCore
import NIOPosix
import Replication
import SamsaConfig
import Testing
@testable import Broker

/// The seeded-bug switch in the broker's configuration, and each bug coded in the broker shell:
/// every test shows the rule held without the switch and broken with it.
@Suite struct SeededBugBrokerTests {
    let directory = NSTemporaryDirectory() + "samsa-seeded-" + UUID().uuidString

    func config(id: Int32 = 1, bugs: String? = nil) throws -> BrokerConfig {
        var lines = "broker.id=\(id)\nlog.dirs=\(directory)/data\(id)\n"
        if let bugs { lines += "\(seededBugsProperty)=\(bugs)\n" }
        return try BrokerConfig(file: try PropertiesFile.parse(lines, source: "test"))
    }

    // MARK: The switch

    @Test func aBrokerWithSeededBugsRefusesToStartWithoutTheEnvironmentVariable() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let buggy = try config(bugs: "no-dedup,hw-regression")
        #expect(buggy.seededBugs == [.noDedup, .highWatermarkRegression])
        let refusal = try #require(buggy.seededBugsRefusal(environment: [:]))
        #expect(refusal.contains("SAMSA_ALLOW_SEEDED_BUGS=1") && refusal.contains("no-dedup,hw-regression"))
        #expect(buggy.seededBugsRefusal(environment: ["SAMSA_ALLOW_SEEDED_BUGS": "yes"]) != nil, "only 1 allows them")
        #expect(buggy.seededBugsRefusal(environment: ["SAMSA_ALLOW_SEEDED_BUGS": "1"]) == nil)
        #expect(throws: BrokerStartupError.self) { try Broker(config: buggy, logger: Logger(label: "test"), environment: [:]) }
        #expect(try config().seededBugsRefusal(environment: [:]) == nil, "no bugs, nothing to allow")
        #expect(try config(bugs: "").seededBugs.isEmpty)
    }

    @Test func unknownBugNamesAreRefusedWithTheKnownOnes() throws {
        #expect {
            _ = try config(bugs: "no-dedup,ack-early")
        } throws: { error in
            let text = "\(error)"
            return text.contains("unknown: ack-early") && text.contains("ack-before-replication, ack-before-replication.v2")
        }
        #expect(BrokerProperties.validate(key: seededBugsProperty, value: "skip-truncation.v2") == nil)
        #expect(BrokerProperties.validate(key: seededBugsProperty, value: "skip-truncation.v3")?.contains("unknown: skip-truncation.v3") == true)
    }

    // MARK: Bugs in Partition

    /// Broker 1 leads orders/0 (replicas [1, 2], ISR [1, 2]) at epoch 5 and holds 3 records that
    /// broker 2 has not fetched.
    func leaderPartition(bugs: SeededBugs) throws -> Partition {
        let config = try self.config()
        let log = try PartitionLog(directory: directory + "/orders-0", config: LogConfig(), logger: Logger(label: "test"))
        let partition = Partition(topicPartition: TopicPartition("orders", 0), log: log, brokerId: 1,
                                  config: TopicConfig(overrides: [:], broker: config), lagTimeMaxMs: 1000, seededBugs: bugs) { _, _ in }
        partition.becomeLeader(PartitionLeadership(topicPartition: TopicPartition("orders", 0), leader: 1, leaderEpoch: 5, isr: [1, 2],
                                                   replicas: [1, 2], controllerEpoch: 1, stateVersion: 7), nowMs: 0)
        try append(partition, ["a", "b", "c"])
        return partition
    }

    func append(_ partition: Partition, _ values: [String]) throws {
        let batch = RecordBatchBuilder().build(values.map { .init(key: nil, value: ByteBuffer(string: $0), timestampMs: 1000) })
        guard case .appended = partition.appendAsLeader([batch], requiredAcks: -1, nowMs: 0) else {
            throw BrokerStartupError("append refused")
        }
    }

    func consumerRead(_ partition: Partition, readCommitted: Bool = false) -> Int {
        partition.read(fetchOffset: 0, maxBytes: 1 << 20, replicaId: -1, currentLeaderEpoch: -1, minOneBatch: true,
                       readCommitted: readCommitted, nowMs: 1).records.readableBytes
    }

    @Test func ackBeforeReplicationCompletesAcksAllAtTheLocalAppend() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try leaderPartition(bugs: []).produceCompletion(requiredOffset: 3) == nil, "waits for broker 2")
        try? FileManager.default.removeItem(atPath: directory)
        #expect(try leaderPartition(bugs: [.ackBeforeReplication]).produceCompletion(requiredOffset: 3) == ErrorCode.none)
    }

    @Test func fetchAboveHighWatermarkServesConsumersUnreplicatedRecords() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let correct = try leaderPartition(bugs: [])
        #expect(correct.status.highWatermark == 0 && consumerRead(correct) == 0)
        try? FileManager.default.removeItem(atPath: directory)
        let buggy = try leaderPartition(bugs: [.fetchAboveHighWatermark])
        #expect(buggy.status.highWatermark == 0 && consumerRead(buggy) > 0)
    }

    /// The bug is the HW taken for the LEO, so it leaks to read_committed consumers too (librdkafka's
    /// default): their bound, the LSO, is bounded by that HW.
    @Test func fetchAboveHighWatermarkReachesReadCommittedConsumersToo() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let correct = try leaderPartition(bugs: [])
        #expect(consumerRead(correct, readCommitted: true) == 0)
        try? FileManager.default.removeItem(atPath: directory)
        let buggy = try leaderPartition(bugs: [.fetchAboveHighWatermark])
        #expect(buggy.status.highWatermark == 0 && consumerRead(buggy, readCommitted: true) > 0)
    }

    /// After a, b, c: producer 7's aborted transaction (x, y at 3 and 4, its abort marker at 5), then
    /// producer 8's open transaction (o at 6); broker 2 has fetched everything, so the HW is 7.
    func partitionWithTransactions(bugs: SeededBugs) throws -> Partition {
        let partition = try leaderPartition(bugs: bugs)
        for (producerId, values) in [(Int64(7), ["x", "y"]), (Int64(8), ["o"])] {
            var builder = RecordBatchBuilder(producerId: producerId, producerEpoch: 0, baseSequence: 0)
            builder.attributes = 0x10
            let batch = builder.build(values.map { .init(key: nil, value: ByteBuffer(string: $0), timestampMs: 1000) })
            guard case .appended = partition.appendAsLeader([batch], requiredAcks: -1, nowMs: 0) else {
                throw BrokerStartupError("transactional append refused")
            }
            if producerId == 7 {
                guard case .appended = partition.appendMarker(producerId: 7, producerEpoch: 0, committed: false, coordinatorEpoch: 0, nowMs: 0) else {
                    throw BrokerStartupError("abort marker refused")
                }
            }
        }
        _ = partition.read(fetchOffset: 7, maxBytes: 1 << 20, replicaId: 2, currentLeaderEpoch: 5, minOneBatch: true, nowMs: 1)
        #expect(partition.status.highWatermark == 7)
        return partition
    }

    @Test func lsoIgnoredServesReadCommittedConsumersOpenAndAbortedTransactions() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let read = { (partition: Partition) in
            partition.read(fetchOffset: 0, maxBytes: 1 << 20, replicaId: -1, currentLeaderEpoch: -1, minOneBatch: true, readCommitted: true, nowMs: 2)
        }
        let correct = read(try partitionWithTransactions(bugs: []))
        #expect(correct.lastStableOffset == 6, "the open transaction starts at 6")
        #expect(correct.abortedTransactions?.map(\.producerId) == [7])
        try? FileManager.default.removeItem(atPath: directory)
        let buggy = read(try partitionWithTransactions(bugs: [.lsoIgnored]))
        #expect(buggy.lastStableOffset == 7, "the HW given for the LSO")
        #expect(buggy.abortedTransactions?.isEmpty == true)
        #expect(buggy.records.readableBytes > correct.records.readableBytes, "the open transaction's record is served")
    }

    /// HW 3 checkpointed, then HW 6, then the ISR shrinks to the leader.
    func highWatermarkAfterIsrChange(bugs: SeededBugs) throws -> Int64 {
        let partition = try leaderPartition(bugs: bugs)
        _ = partition.read(fetchOffset: 3, maxBytes: 1 << 20, replicaId: 2, currentLeaderEpoch: 5, minOneBatch: true, nowMs: 1)
        #expect(partition.status.highWatermark == 3)
        partition.checkpointHighWatermark()
        try append(partition, ["d", "e", "f"])
        _ = partition.read(fetchOffset: 6, maxBytes: 1 << 20, replicaId: 2, currentLeaderEpoch: 5, minOneBatch: true, nowMs: 2)
        #expect(partition.status.highWatermark == 6)
        partition.tick(nowMs: 10_000)
        partition.isrCommitted([1], newVersion: 8)
        #expect(partition.status.isr == [1])
        return partition.status.highWatermark
    }

    @Test func highWatermarkRegressionGoesBackToTheLogStartOnAnIsrChange() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try highWatermarkAfterIsrChange(bugs: []) == 6)
        try? FileManager.default.removeItem(atPath: directory)
        #expect(try highWatermarkAfterIsrChange(bugs: [.highWatermarkRegression]) == 0)
    }

    @Test func ignoreMinIsrLetsAnAcksAllProduceCompleteWithTheLeaderAlone() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try BrokerConfig(file: try PropertiesFile.parse("broker.id=1\nlog.dirs=\(directory)/data\nmin.insync.replicas=2\n", source: "test"))
        for (bugs, expected) in [(SeededBugs(), ErrorCode.notEnoughReplicas), (SeededBugs([.ignoreMinIsr]), ErrorCode.none)] {
            try? FileManager.default.removeItem(atPath: directory)
            let log = try PartitionLog(directory: directory + "/orders-0", config: LogConfig(), logger: Logger(label: "test"))
            let partition = Partition(topicPartition: TopicPartition("orders", 0), log: log, brokerId: 1,
                                      config: TopicConfig(overrides: [:], broker: config), lagTimeMaxMs: 1000, seededBugs: bugs) { _, _ in }
            partition.becomeLeader(PartitionLeadership(topicPartition: TopicPartition("orders", 0), leader: 1, leaderEpoch: 5, isr: [1],
                                                       replicas: [1, 2, 3], controllerEpoch: 1, stateVersion: 7), nowMs: 0)
            let batch = RecordBatchBuilder().build([.init(key: nil, value: ByteBuffer(string: "x"), timestampMs: 1000)])
            switch partition.appendAsLeader([batch], requiredAcks: -1, nowMs: 0) {
            case .rejected(let code, _): #expect(code == expected)
            case .appended: #expect(partition.produceCompletion(requiredOffset: 1) == expected)
            }
        }
    }

    // MARK: Bugs in ReplicaManager and ReplicaFetcher

    func manager(bugs: String?) throws -> ReplicaManager {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let events = try EventLog(path: "\(directory)/events.jsonl", brokerId: 1)
        return try ReplicaManager(config: try config(bugs: bugs), logger: Logger(label: "test"), events: events, metrics: BrokerMetrics())
    }

    func decision(leader: Int32, epoch: Int32) -> PartitionLeadership {
        PartitionLeadership(topicPartition: TopicPartition("orders", 0), leader: leader, leaderEpoch: epoch, isr: [1, 2],
                            replicas: [1, 2], controllerEpoch: 1, stateVersion: epoch)
    }

    @Test func staleLeaderKeepsLeadingAfterBeingToldAnotherBrokerLeads() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (bugs, stillLeads) in [(nil, false), ("stale-leader-keeps-serving", true)] {
            try? FileManager.default.removeItem(atPath: directory)
            let manager = try manager(bugs: bugs)
            manager.applyLeadership([decision(leader: 1, epoch: 5)], topicConfigs: [:])
            let followers = manager.applyLeadership([decision(leader: 2, epoch: 6)], topicConfigs: [:])
            let state = try #require(manager.partition(TopicPartition("orders", 0))).replicaState
            #expect(state.isLeader == stillLeads && followers.isEmpty == stillLeads)
            #expect(state.leaderEpoch == (stillLeads ? 5 : 6))
        }
    }

    @Test func skipTruncationV2StartsFetchingWithoutAskingWhereToTruncate() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        for (bugs, truncates) in [(nil, true), ("skip-truncation.v2", false)] {
            let manager = try manager(bugs: bugs)
            let fetcher = ReplicaFetcher(source: FetchSource(brokerId: 2, host: "127.0.0.1", port: 1), brokerId: 1, config: manager.config,
                                         replicaManager: manager, events: manager.events, logger: Logger(label: "test"), group: group)
            fetcher.add(TopicPartition("orders", 0), leaderEpoch: 6)
            #expect(fetcher.needsTruncation(TopicPartition("orders", 0)) == truncates)
        }
    }

    @Test func lossyRecoveryIsHandedToTheLogDirectory() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(try manager(bugs: nil).logDirectory.seededLossyRecovery == false)
        #expect(try manager(bugs: "lossy-recovery").logDirectory.seededLossyRecovery == true)
    }
}

/// Seeded bugs in the controller, against the in-memory coordination store.
extension ControllerTests {
    func makeSeededController(id: Int32, bugs: String) throws -> (Controller, any CoordinationClient) {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let lines = "broker.id=\(id)\nlog.dirs=\(directory)/data\(id)\n\(seededBugsProperty)=\(bugs)\n"
        let config = try BrokerConfig(file: try PropertiesFile.parse(lines, source: "test"))
        let events = try EventLog(path: "\(directory)/events-\(id).jsonl", brokerId: id)
        let controller = Controller(brokerId: id, config: config, channel: RecordingChannel(), logger: Logger(label: "test"), events: events,
                                    metrics: BrokerMetrics())
        let zk = ensemble.client()
        for path in ZkPaths.persistentParents { try zk.ensurePath(path) }
        return (controller, zk)
    }

    @Test func noEpochBumpKeepsTheLeaderEpochWhenTheLeaderChanges() throws {
        let (controller, zk) = try makeSeededController(id: 3, bugs: "no-epoch-bump")
        let brokers = try register([1, 2, 3])
        try createTopic(zk, "orders", [0: [1, 2, 3]])
        try controller.activate(zk)
        brokers[1]!.close()
        try controller.handle(.nodeChildrenChanged(path: ZkPaths.brokerIds), zk)
        let after = try state(zk, TopicPartition("orders", 0))
        #expect(after.leader == 2 && after.leaderEpoch == 0, "brokerFailureElectsFromTheIsrAndBumpsTheEpoch expects epoch 1")
    }

    /// Broker 2 is assigned but out of sync (ISR [1, 3]); broker 1, the leader, dies.
    func electionWithAnOutOfSyncReplica(bugs: String) throws -> ZkPartitionState {
        let (controller, zk) = try makeSeededController(id: 3, bugs: bugs)
        let brokers = try register([1, 2, 3])
        let tp = TopicPartition("orders", 0)
        try createTopic(zk, "orders", [0: [1, 2, 3]])
        try controller.activate(zk)
        let current = try zk.get(ZkPaths.partitionState(tp), watch: false)
        let shrunk = ZkPartitionState(controllerEpoch: 1, leader: 1, leaderEpoch: 0, isr: [1, 3])
        let stat = try zk.set(ZkPaths.partitionState(tp), data: ZkJSON.encode(shrunk), expectedVersion: current.stat.version)
        _ = controller.machine.onPartitionStatesRead(changed: [tp], read: [tp: shrunk.versioned(stat.version)])
        brokers[1]!.close()
        try controller.handle(.nodeChildrenChanged(path: ZkPaths.brokerIds), zk)
        return try state(zk, tp)
    }

    @Test func theControllerElectsFromTheIsrOverAnEarlierOutOfSyncReplica() throws {
        let correct = try electionWithAnOutOfSyncReplica(bugs: "")
        #expect(correct.leader == 3 && correct.isr == [3])
    }

    @Test func uncleanAlwaysV2ElectsAnAssignedReplicaOutsideTheIsr() throws {
        let buggy = try electionWithAnOutOfSyncReplica(bugs: "unclean-always.v2")
        #expect(buggy.leader == 2, "broker 2 was not in the ISR [1, 3]")
    }
}
