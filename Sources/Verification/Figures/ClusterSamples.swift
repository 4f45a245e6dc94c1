import KafkaProtocol

/// The observers' metadata samples in time order, each indexed by partition; an unreachable
/// sample is a sample with no knowledge (nil), never an empty cluster.
struct ClusterSamples {
    struct Sample {
        var timeNs: Int64
        var partitions: [TopicPartition: PartitionState]?
    }

    let samples: [Sample]

    init(_ timeline: Timeline) {
        samples = timeline.clusterSamples.map { sample in
            Sample(
                timeNs: sample.timeNs,
                partitions: sample.metadata.map { metadata in
                    Dictionary(metadata.partitions.map { ($0.topicPartition, $0) }, uniquingKeysWith: { _, last in last })
                })
        }
    }

    /// Every partition any sample named, sorted.
    var partitions: [TopicPartition] {
        var all: Set<TopicPartition> = []
        for sample in samples { all.formUnion(sample.partitions?.keys ?? [:].keys) }
        return all.sorted()
    }

    /// A partition's state in each sample (nil where unknown), paired with how long that sample
    /// holds: until the next sample. The last sample holds for no time, as nothing was observed
    /// after it.
    func held(_ partition: TopicPartition) -> [(timeNs: Int64, durationNs: Int64, state: PartitionState?)] {
        samples.indices.map { position in
            let sample = samples[position]
            let next = position + 1 < samples.count ? samples[position + 1].timeNs : sample.timeNs
            return (sample.timeNs, next - sample.timeNs, sample.partitions?[partition])
        }
    }

    /// The last known leader (and epoch) of a partition at or before a time.
    func leader(of partition: TopicPartition, atOrBefore timeNs: Int64) -> PartitionState? {
        var found: PartitionState?
        for sample in samples {
            if sample.timeNs > timeNs { break }
            if let state = sample.partitions?[partition], state.hasLeader { found = state }
        }
        return found
    }
}
