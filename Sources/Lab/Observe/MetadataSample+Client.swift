import KafkaClient
import Verification

extension MetadataSample {
    /// The sample of one Metadata answer, over `partitions` (the answer's, sorted and filtered as
    /// the observer wants them): what both observers write to the timeline as `kind: "metadata"`.
    init(_ metadata: KafkaCluster.Metadata, partitions: [KafkaCluster.PartitionInfo]) {
        self.init(controller: metadata.controllerId, brokers: metadata.brokers.keys.sorted(), partitions: partitions.map { p in
            PartitionState(topic: p.topicPartition.topic, partition: p.topicPartition.partition, leader: p.leader,
                           leaderEpoch: p.leaderEpoch, replicas: p.replicas, isr: p.isr, offline: p.offlineReplicas)
        })
    }
}
