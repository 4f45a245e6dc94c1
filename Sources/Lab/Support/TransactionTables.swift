import KafkaClient

/// The tables of transactions, in kafka-transactions.sh's columns, for the CLI and the shell alike.
public enum TransactionTables {
    public static let listColumns = ["TransactionalId", "Coordinator", "ProducerId", "TransactionState"]
    public static let describeColumns = ["CoordinatorId", "TransactionalId", "ProducerId", "ProducerEpoch", "TransactionState",
                                         "TransactionTimeoutMs", "CurrentTransactionStartTimeMs", "TransactionDurationMs", "TopicPartitions"]

    public static func list(_ transactions: [KafkaAdmin.TransactionListing]) -> TextTable {
        var table = TextTable(listColumns)
        for t in transactions { table.add([t.transactionalId, String(t.coordinator), String(t.producerId), t.state]) }
        return table
    }

    /// One row; with no open transaction the start time and duration are "None", as kafka-transactions
    /// prints them, and the partitions `topic-partition` joined by commas.
    public static func describe(_ d: KafkaAdmin.TransactionDescription, nowMs: Int64) -> TextTable {
        var table = TextTable(describeColumns)
        table.add([String(d.coordinatorId), d.transactionalId, String(d.producerId), String(d.producerEpoch), d.state,
                   String(d.transactionTimeoutMs), d.transactionStartTimeMs.map(String.init) ?? "None",
                   d.transactionStartTimeMs.map { String(nowMs - $0) } ?? "None",
                   d.topicPartitions.map { "\($0.topic)-\($0.partition)" }.joined(separator: ",")])
        return table
    }
}
