import KafkaProtocol
import Testing
@testable import Broker

struct ClusterMetadataTests {
    private func state(leader: Int32, epoch: Int32, version: Int32, isr: [Int32] = [1, 2, 3]) -> PartitionLeadership {
        PartitionLeadership(topicPartition: TopicPartition("orders", 0), leader: leader, leaderEpoch: epoch, isr: isr,
                            replicas: [1, 2, 3], controllerEpoch: 1, stateVersion: version)
    }

    /// Two UpdateMetadata requests applied out of order: the older one changes nothing.
    @Test func anOlderPartitionStateAppliedLastIsIgnored() {
        var metadata = ClusterMetadata(clusterId: "c")
        let taken1 = metadata.update(state(leader: 1, epoch: 3, version: 7))
        #expect(taken1)
        let taken2 = metadata.update(state(leader: 2, epoch: 4, version: 8))
        #expect(taken2)
        let taken3 = metadata.update(state(leader: 1, epoch: 3, version: 7))
        #expect(!taken3)
        #expect(metadata.partitions[TopicPartition("orders", 0)]?.leader == 2)
        // The same epoch: the ISR change with the higher state version wins, whatever the order.
        let taken4 = metadata.update(state(leader: 2, epoch: 4, version: 10, isr: [2, 3]))
        #expect(taken4)
        let taken5 = metadata.update(state(leader: 2, epoch: 4, version: 9, isr: [2]))
        #expect(!taken5)
        #expect(metadata.partitions[TopicPartition("orders", 0)]?.isr == [2, 3])
        // A re-sent copy of the current state is taken (it changes nothing).
        let taken6 = metadata.update(state(leader: 2, epoch: 4, version: 10, isr: [2, 3]))
        #expect(taken6)
    }

    /// A deleted topic's partitions leave the cache, so the re-created topic's epoch 0 is taken.
    @Test func aRecreatedTopicStartsAfresh() {
        var metadata = ClusterMetadata(clusterId: "c")
        metadata.update(state(leader: 1, epoch: 9, version: 20))
        metadata.partitions[TopicPartition("orders", 0)] = nil
        let taken7 = metadata.update(state(leader: 3, epoch: 0, version: 0))
        #expect(taken7)
        #expect(metadata.partitions[TopicPartition("orders", 0)]?.leader == 3)
    }
}
