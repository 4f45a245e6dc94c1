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

    @Test func coordinatorPartitionIsKafkas() {
        // Java: Math.abs("tx".hashCode()) % 50, "tx".hashCode() == 3716.
        #expect(TransactionStateTopic.partition(for: "tx") == 3716 % 50)
    }
}
