import KafkaProtocol
import NIOCore
import Testing
@testable import Broker

@Suite struct OffsetsTopicTests {
    /// Java's "test".hashCode() is 3556498, so Kafka puts group "test" in partition 48 of 50.
    @Test func groupPartitionMatchesKafka() {
        #expect(OffsetsTopic.partition(for: "test", partitions: 50) == 48)
        #expect(OffsetsTopic.partition(for: "", partitions: 50) == 0)
        // A hash that overflows Int32 must still land in range, as Utils.abs does.
        let long = String(repeating: "consumer-group-", count: 20)
        #expect((0..<50).contains(OffsetsTopic.partition(for: long, partitions: 50)))
    }

    @Test func offsetCommitRecordsRoundTrip() throws {
        let committed = OffsetsTopic.CommittedOffset(offset: 42, leaderEpoch: 3, metadata: "m", commitTimestampMs: 1_700_000_000_000)
        let tp = TopicPartition("orders", 2)
        let entry = try OffsetsTopic.decode(key: OffsetsTopic.offsetKey(group: "g", partition: tp), value: OffsetsTopic.offsetValue(committed))
        #expect(entry == .offset(group: "g", partition: tp, committed))
        #expect(try OffsetsTopic.decode(key: OffsetsTopic.offsetKey(group: "g", partition: tp), value: nil) == .offset(group: "g", partition: tp, nil))
    }

    @Test func groupMetadataRecordsRoundTrip() throws {
        let stored = OffsetsTopic.StoredGroup(protocolType: "consumer", generationId: 7, protocolName: "range", leaderId: "m1", stateTimestampMs: 5,
                                              members: [.init(memberId: "m1", groupInstanceId: nil, clientId: "c", clientHost: "/127.0.0.1",
                                                              rebalanceTimeoutMs: 30000, sessionTimeoutMs: 10000,
                                                              subscription: ByteBuffer(bytes: [1]), assignment: ByteBuffer(bytes: [2]))])
        #expect(try OffsetsTopic.decode(key: OffsetsTopic.groupKey("g"), value: OffsetsTopic.groupValue(stored)) == .group("g", stored))
        let restored = GroupCoordinator.restore("g", stored, nowMs: 100)
        #expect(restored.phase == .stable && restored.generationId == 7 && restored.members.first?.assignment == ByteBuffer(bytes: [2]))
    }
}
