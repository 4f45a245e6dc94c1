import Testing
@testable import Lab

/// The per-partition figures a scrape yields, from Samsa's own gauges and from Apache Kafka's as
/// the Prometheus JMX exporter's Kafka rules (`kafka-2_0_0.yml`) name them.
struct MetricsScrapeTests {
    @Test func samsasOwnGauges() {
        let body = """
            # HELP samsa_partition_high_watermark High watermark of the partition on this broker.
            # TYPE samsa_partition_high_watermark gauge
            samsa_partition_high_watermark{topic="orders",partition="0",role="leader"} 120
            samsa_partition_log_end_offset{topic="orders",partition="0",role="leader"} 125
            samsa_partition_log_start_offset{topic="orders",partition="0",role="leader"} 3
            samsa_partition_isr_size{topic="orders",partition="0",role="leader"} 2
            samsa_partition_leader_epoch{topic="orders",partition="0",role="leader"} 4
            samsa_partition_log_end_offset{topic="orders",partition="1",role="follower"} 77
            samsa_broker_up 1
            """
        let figures = MetricsScrape.partitions(body)
        #expect(figures == [
            MetricsScrape.PartitionFigures(topic: "orders", partition: 0, role: "leader", highWatermark: 120, logEndOffset: 125, logStartOffset: 3,
                                           isrSize: 2, leaderEpoch: 4),
            MetricsScrape.PartitionFigures(topic: "orders", partition: 1, role: "follower", logEndOffset: 77),
        ])
    }

    /// A Kafka broker leading orders/0 and following orders/1, as the JMX exporter (client_java
    /// 0.x text format: trailing comma in the labels, doubles) writes it, with other families around.
    @Test func kafkaNamesFromTheJmxExporter() {
        let body = """
            # HELP kafka_cluster_partition_replicascount Attribute exposed for management kafka.cluster:name=ReplicasCount,type=Partition,attribute=Value
            # TYPE kafka_cluster_partition_replicascount gauge
            kafka_cluster_partition_replicascount{partition="0",topic="orders",} 3.0
            kafka_cluster_partition_replicascount{partition="1",topic="orders",} 0.0
            kafka_cluster_partition_insyncreplicascount{partition="0",topic="orders",} 2.0
            kafka_cluster_partition_insyncreplicascount{partition="1",topic="orders",} 0.0
            kafka_cluster_partition_underreplicated{partition="0",topic="orders",} 1.0
            kafka_cluster_partition_underreplicated{partition="1",topic="orders",} 0.0
            kafka_cluster_partition_underminisr{partition="0",topic="orders",} 0.0
            kafka_log_log_logendoffset{partition="0",topic="orders",} 1.2345678E7
            kafka_log_log_logendoffset{partition="1",topic="orders",} 98.0
            kafka_log_log_logstartoffset{partition="0",topic="orders",} 0.0
            kafka_log_log_size{partition="0",topic="orders",} 4096.0
            kafka_server_replicamanager_leadercount 1.0
            kafka_server_brokertopicmetrics_messagesin_total{topic="orders",} 42.0
            """
        let figures = MetricsScrape.partitions(body)
        #expect(figures == [
            MetricsScrape.PartitionFigures(topic: "orders", partition: 0, role: "leader", logEndOffset: 12_345_678, logStartOffset: 0,
                                           isrSize: 2, replicas: 3, underReplicated: true),
            // A follower's Partition gauges say 0: no claim, no ISR size, no under-replication.
            MetricsScrape.PartitionFigures(topic: "orders", partition: 1, role: "follower", logEndOffset: 98),
        ])
        // Kafka exports no per-partition high watermark or leader epoch.
        #expect(figures.allSatisfy { $0.highWatermark == nil && $0.leaderEpoch == nil })
    }

    /// The text format of client_java 1.x (no trailing comma, integers), a sample timestamp, a
    /// future replica's log (moving between directories) and malformed lines.
    @Test func newerTextFormatTimestampsFutureLogsAndBadLines() {
        let body = """
            kafka_cluster_partition_replicascount{topic="audit",partition="2"} 1 1733400000000
            kafka_cluster_partition_insyncreplicascount{topic="audit",partition="2"} 1
            kafka_log_log_logendoffset{topic="audit",partition="2"} 500
            kafka_log_log_logendoffset{is_future="true",topic="audit",partition="2"} 17
            kafka_log_log_logendoffset{topic="audit",partition="3"} 1.5
            kafka_log_log_logendoffset{topic="audit",partition="x"} 5
            kafka_log_log_logendoffset{partition="4"} 5
            kafka_log_log_logendoffset{topic="audit",partition="5"} NaN
            kafka_log_log_logendoffset{topic="audit",partition="6"
            """
        let figures = MetricsScrape.partitions(body)
        #expect(figures == [
            MetricsScrape.PartitionFigures(topic: "audit", partition: 2, role: "leader", logEndOffset: 500, isrSize: 1, replicas: 1),
        ])
    }

    /// Without a replica count a Kafka partition's role is unknown, not a claim to lead it.
    @Test func noReplicaCountNoLeadershipClaim() {
        let body = "kafka_cluster_partition_insyncreplicascount{partition=\"0\",topic=\"t\",} 3.0\nkafka_log_log_logendoffset{partition=\"0\",topic=\"t\",} 9.0\n"
        #expect(MetricsScrape.partitions(body) == [MetricsScrape.PartitionFigures(topic: "t", partition: 0, role: "none", logEndOffset: 9)])
    }
}
