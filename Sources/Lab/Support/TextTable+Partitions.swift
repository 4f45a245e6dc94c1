import KafkaClient

extension TextTable {
    /// The partition table of `samsa topics describe` and the shell's `topics describe`: leader,
    /// epoch, replicas, ISR and HW per partition, in topic and partition order. `marksUnderReplicated`
    /// notes an ISR smaller than the replica set, for a reader at the shell rather than a script.
    public static func partitions(_ partitions: [KafkaAdmin.PartitionDescription], marksUnderReplicated: Bool) -> TextTable {
        var table = TextTable(["TOPIC", "PARTITION", "LEADER", "EPOCH", "REPLICAS", "ISR", "HW"])
        for p in partitions.sorted(by: { ($0.topic, $0.partition) < ($1.topic, $1.partition) }) {
            let shrunk = marksUnderReplicated && p.isr.count < p.replicas.count
            table.add([p.topic, String(p.partition), p.leader < 0 ? "none" : String(p.leader), String(p.leaderEpoch),
                       p.replicas.map(String.init).joined(separator: ","),
                       p.isr.map(String.init).joined(separator: ",") + (shrunk ? " (under-replicated)" : ""),
                       p.highWatermark.map(String.init) ?? "-"])
        }
        return table
    }
}
