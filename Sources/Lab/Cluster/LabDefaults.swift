/// Broker properties the lab sets unless the user overrides them: short timeouts so a leader
/// failure is detected and repaired in about a second on one machine, and small internal topics.
/// Documented in the README ("Lab defaults").
public enum LabDefaults {
    public static func brokerProperties(brokers: Int) -> [(String, String)] {
        let replication = String(min(3, brokers))
        return [
            ("zookeeper.session.timeout.ms", "1000"),
            ("zookeeper.connection.timeout.ms", "10000"),
            ("replica.lag.time.max.ms", "2000"),
            ("replica.fetch.backoff.ms", "100"),
            ("replica.socket.timeout.ms", "3000"),
            ("controller.socket.timeout.ms", "3000"),
            ("replica.high.watermark.checkpoint.interval.ms", "1000"),
            ("controlled.shutdown.retry.backoff.ms", "200"),
            ("leader.imbalance.check.interval.seconds", "10"),
            ("default.replication.factor", replication),
            ("offsets.topic.replication.factor", replication),
            ("offsets.topic.num.partitions", "10"),
            ("transaction.state.log.replication.factor", replication),
            ("transaction.state.log.num.partitions", "10"),
            ("group.initial.rebalance.delay.ms", "0"),
        ]
    }

    /// ZooKeeper's tick: sessions may be as short as 2 ticks.
    public static let zookeeperTickMs = 200
}
