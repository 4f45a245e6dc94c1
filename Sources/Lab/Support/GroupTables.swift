import KafkaClient

/// The tables of consumer groups, in kafka-consumer-groups' columns, for the CLI and the shell alike.
public enum GroupTables {
    public static let offsetColumns = ["GROUP", "TOPIC", "PARTITION", "CURRENT-OFFSET", "LOG-END-OFFSET", "LAG", "CONSUMER-ID", "HOST", "CLIENT-ID"]

    /// One row per partition with a committed offset or an owner; a group with neither gets one row of dashes.
    public static func offsets(_ descriptions: [KafkaAdmin.GroupDescription]) -> TextTable {
        var table = TextTable(offsetColumns)
        for d in descriptions {
            for p in d.partitions.sorted(by: { ($0.topic, $0.partition) < ($1.topic, $1.partition) }) {
                table.add([d.group, p.topic, String(p.partition), p.currentOffset.map(String.init) ?? "-",
                           p.logEndOffset.map(String.init) ?? "-", p.lag.map(String.init) ?? "-",
                           p.consumerId ?? "-", p.host ?? "-", p.clientId ?? "-"])
            }
            if d.partitions.isEmpty { table.add([d.group] + Array(repeating: "-", count: offsetColumns.count - 1)) }
        }
        return table
    }

    public static func members(_ descriptions: [KafkaAdmin.GroupDescription]) -> TextTable {
        var table = TextTable(["GROUP", "CONSUMER-ID", "HOST", "CLIENT-ID", "#PARTITIONS"])
        for d in descriptions {
            for m in d.members { table.add([d.group, m.memberId, m.host, m.clientId, String(m.partitions.count)]) }
        }
        return table
    }

    /// `coordinator` names a broker id as `host:port`, or nil when unknown.
    public static func state(_ descriptions: [KafkaAdmin.GroupDescription], coordinator: (Int32) -> String?) -> TextTable {
        var table = TextTable(["GROUP", "COORDINATOR (ID)", "ASSIGNMENT-STRATEGY", "STATE", "#MEMBERS"])
        for d in descriptions {
            table.add([d.group, "\(coordinator(d.coordinator) ?? "?") (\(d.coordinator))", d.assignmentStrategy, d.state, String(d.members.count)])
        }
        return table
    }

    /// A group its coordinator does not know: Dead, no members and no committed offset (what Kafka
    /// answers for a name never used), which kafka-consumer-groups reports as not existing.
    public static func isUnknown(_ d: KafkaAdmin.GroupDescription) -> Bool {
        d.state == "Dead" && d.members.isEmpty && d.partitions.allSatisfy { $0.currentOffset == nil }
    }

    public static func unknownMessage(_ group: String) -> String { "consumer group '\(group)' does not exist" }
}
