import KafkaClient
import KafkaProtocol

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

    /// The replica table of `samsa cluster log-dirs` and the shell's `cluster log-dirs`: each
    /// replica's broker, log directory, size and offset lag.
    public static func logDirs(_ replicas: [KafkaAdmin.LogDirReplica]) -> TextTable {
        var table = TextTable(["BROKER", "LOG-DIR", "TOPIC", "PARTITION", "SIZE", "OFFSET-LAG"])
        for replica in replicas {
            table.add([String(replica.broker), replica.logDir, replica.topic, String(replica.partition), String(replica.sizeBytes),
                       String(replica.offsetLag)])
        }
        return table
    }

    /// The result table of a preferred-leader election (`samsa topics elect-leaders`, the shell's
    /// `topics elect-leaders`), in topic and partition order.
    public static func electionResults(_ results: [TopicPartition: String]) -> TextTable {
        var table = TextTable(["TOPIC", "PARTITION", "RESULT"])
        for (tp, result) in results.sorted(by: { ($0.key.topic, $0.key.partition) < ($1.key.topic, $1.key.partition) }) {
            table.add([tp.topic, String(tp.partition), result])
        }
        return table
    }
}

extension TextTable {
    /// The moves in progress, with kafka-reassign-partitions --list's words: the full replica set,
    /// the replicas being added and those being removed.
    public static func reassignments(_ moves: [KafkaAdmin.PartitionMove]) -> TextTable {
        var table = TextTable(["TOPIC", "PARTITION", "REPLICAS", "ADDING", "REMOVING"])
        func list(_ ids: [Int32]) -> String { ids.isEmpty ? "-" : ids.map(String.init).joined(separator: ",") }
        for move in moves { table.add([move.topic, String(move.partition), list(move.replicas), list(move.adding), list(move.removing)]) }
        return table
    }
}
