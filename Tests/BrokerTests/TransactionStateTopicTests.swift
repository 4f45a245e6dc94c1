import KafkaProtocol
import NIOCore
import Replication
import Testing
@testable import Broker

@Suite struct TransactionStateTopicTests {
    @Test func recordRoundTripsWithKafkasLayout() throws {
        let metadata = TransactionMetadata(transactionalId: "tx", producerId: 4000, producerEpoch: 3, transactionTimeoutMs: 60_000,
                                           state: .ongoing, partitions: [TopicPartition("b", 1), TopicPartition("a", 0), TopicPartition("b", 0)],
                                           transactionStartMs: 10, lastUpdateMs: 12)
        let key = TransactionStateTopic.key("tx")
        #expect(Array(key.readableBytesView) == [0, 0, 0, 2, UInt8(ascii: "t"), UInt8(ascii: "x")])
        let value = try #require(TransactionStateTopic.value(metadata))
        #expect(value.getInteger(at: 0, as: Int16.self) == 0, "value version 0")
        #expect(try TransactionStateTopic.decode(key: key, value: value) == metadata)
    }

    @Test func deadIsATombstoneAndBadRecordsAreRefused() throws {
        var metadata = TransactionMetadata(transactionalId: "gone", producerId: 1, producerEpoch: 0, transactionTimeoutMs: 1000, state: .dead, lastUpdateMs: 0)
        #expect(TransactionStateTopic.value(metadata) == nil)
        metadata = try TransactionStateTopic.decode(key: TransactionStateTopic.key("gone"), value: nil)
        #expect(metadata.state == .dead && metadata.transactionalId == "gone")
        #expect(throws: (any Error).self) { try TransactionStateTopic.decode(key: nil, value: nil) }
        var badStatus = TransactionStateTopic.value(TransactionMetadata(transactionalId: "x", producerId: 1, producerEpoch: 0, transactionTimeoutMs: 1,
                                                                         state: .empty, lastUpdateMs: 0))!
        badStatus.setInteger(Int8(42), at: 16)
        #expect(throws: (any Error).self) { try TransactionStateTopic.decode(key: TransactionStateTopic.key("x"), value: badStatus) }
    }

    @Test func topicIsCreatedWithKafkasPropertiesCappedByTheLiveBrokers() {
        let full = TransactionStateTopic.creation(numPartitions: 10, replicationFactor: 3, minInsyncReplicas: 2, liveBrokers: 5)
        #expect(full.name == "__transaction_state" && full.numPartitions == 10 && full.replicationFactor == 3)
        #expect(full.configs["min.insync.replicas"] == "2")
        let small = TransactionStateTopic.creation(numPartitions: 50, replicationFactor: 3, minInsyncReplicas: 2, liveBrokers: 1)
        #expect(small.replicationFactor == 1 && small.configs["min.insync.replicas"] == "1")
        let none = TransactionStateTopic.creation(numPartitions: 50, replicationFactor: 3, minInsyncReplicas: 2, liveBrokers: 0)
        #expect(none.replicationFactor == 1)
    }

    @Test func partitionCountIsTheTopicsOnceItExists() {
        var metadata = ClusterMetadata(clusterId: "c")
        #expect(TransactionStateTopic.partitionCount(in: metadata) == nil)
        for index in Int32(0)..<7 {
            let tp = TopicPartition(TransactionStateTopic.name, index)
            metadata.partitions[tp] = PartitionLeadership(topicPartition: tp, leader: 1, leaderEpoch: 0, isr: [1], replicas: [1],
                                                          controllerEpoch: 1, stateVersion: 0)
        }
        #expect(TransactionStateTopic.partitionCount(in: metadata) == 7)
    }

    @Test func coordinatorPartitionIsKafkas() {
        // Java: Math.abs("tx".hashCode()) % 50, "tx".hashCode() == 3716.
        #expect(TransactionStateTopic.partition(for: "tx", partitions: 50) == 3716 % 50)
        #expect(TransactionStateTopic.partition(for: "tx", partitions: 10) == 3716 % 10)
    }
}
