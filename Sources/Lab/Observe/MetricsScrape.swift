import Foundation

/// Reads a broker's Prometheus endpoint over a plain blocking socket with a receive timeout (the
/// observers run it off the event loops), and picks out the per-partition gauges: Samsa's own, or
/// Apache Kafka's as the Prometheus JMX exporter names them.
enum MetricsScrape {
    struct PartitionFigures: Sendable, Equatable {
        var topic: String
        var partition: Int32
        var role: String
        var highWatermark: Int64?
        var logEndOffset: Int64?
        var logStartOffset: Int64?
        var isrSize: Int64?
        var leaderEpoch: Int32?
        /// Kafka's names only: the replica count the leader reports, and whether it is under-replicated.
        var replicas: Int64?
        var underReplicated: Bool?
    }

    /// The body of GET `path` on 127.0.0.1:`port`, or nil when the broker does not answer within `timeoutMs`.
    static func fetch(port: Int, path: String = "/metrics", timeoutMs: Int) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutMs / 1000, tv_usec: (timeoutMs % 1000) * 1000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { return nil }
        let request = "GET \(path) HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n"
        guard request.withCString({ send(fd, $0, strlen($0), 0) }) > 0 else { return nil }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65536)
        let limit = 16 << 20
        while data.count < limit {
            let got = recv(fd, &buffer, buffer.count, 0)
            if got <= 0 { break }
            data.append(buffer, count: got)
        }
        guard let text = String(data: data, encoding: .utf8), let split = text.range(of: "\r\n\r\n"), text.hasPrefix("HTTP/1.0 200") else { return nil }
        return String(text[split.upperBound...])
    }

    /// The per-partition figures of a scrape, from either family of names:
    ///
    /// - Samsa's own `samsa_partition_*` gauges (labels `topic`, `partition`, `role`);
    /// - Apache Kafka's MBeans as the Prometheus JMX exporter's Kafka rules name them
    ///   (`example_configs/kafka-2_0_0.yml` of prometheus/jmx_exporter, whose generic gauge rule
    ///   `kafka_$1_$2_$3` with `lowercaseOutputName` Strimzi's and most charts' configs share):
    ///   `kafka_cluster_partition_replicascount`, `kafka_cluster_partition_insyncreplicascount`,
    ///   `kafka_cluster_partition_underreplicated`, `kafka_log_log_logendoffset` and
    ///   `kafka_log_log_logstartoffset`, with `topic` and `partition` labels. Kafka reports the
    ///   `Partition` gauges as 0 on a broker that does not lead the partition, so a replica count
    ///   above 0 is the broker's claim to lead it, and the ISR size counts only there. Kafka
    ///   exports no per-partition high watermark or leader epoch: those stay nil. A future replica
    ///   (`is_future="true"`, a log moving between directories) is not the partition's log.
    ///
    /// Values may be written as doubles (`1234.0`, `1.2345678E7`) and followed by a timestamp.
    static func partitions(_ body: String) -> [PartitionFigures] {
        var figures: [String: PartitionFigures] = [:]
        // Kafka's Partition gauges, applied once the broker's role is known.
        var replicaCounts: [String: Int64] = [:]
        var kafkaIsr: [String: Int64] = [:]
        var kafkaUnderReplicated: [String: Bool] = [:]
        for line in body.split(separator: "\n") where line.hasPrefix("samsa_partition_") || line.hasPrefix("kafka_") {
            guard let brace = line.firstIndex(of: "{"), let close = line.firstIndex(of: "}") else { continue }
            let name = String(line[..<brace])
            guard samsaNames.contains(name) || kafkaNames.contains(name) else { continue }
            let labels = parseLabels(line[line.index(after: brace)..<close])
            guard labels["is_future"] != "true", let topic = labels["topic"], let partition = labels["partition"].flatMap(Int32.init),
                  let value = sampleValue(line[line.index(after: close)...]) else { continue }
            let key = "\(topic)/\(partition)"
            var entry = figures[key] ?? PartitionFigures(topic: topic, partition: partition, role: labels["role"] ?? "none")
            switch name {
            case "samsa_partition_high_watermark": entry.highWatermark = value
            case "samsa_partition_log_end_offset", "kafka_log_log_logendoffset": entry.logEndOffset = value
            case "samsa_partition_log_start_offset", "kafka_log_log_logstartoffset": entry.logStartOffset = value
            case "samsa_partition_isr_size": entry.isrSize = value
            case "samsa_partition_leader_epoch": entry.leaderEpoch = Int32(exactly: value)
            case "kafka_cluster_partition_replicascount": replicaCounts[key] = value
            case "kafka_cluster_partition_insyncreplicascount": kafkaIsr[key] = value
            case "kafka_cluster_partition_underreplicated": kafkaUnderReplicated[key] = value != 0
            default: break
            }
            figures[key] = entry
        }
        // Kafka reports these gauges as 0 on a broker that does not lead the partition: not an
        // empty ISR, and no claim. Without a replica count the role stays unknown ("none").
        for (key, count) in replicaCounts where count > 0 {
            figures[key]?.role = "leader"
            figures[key]?.replicas = count
            figures[key]?.isrSize = kafkaIsr[key]
            figures[key]?.underReplicated = kafkaUnderReplicated[key]
        }
        for (key, count) in replicaCounts where count == 0 { figures[key]?.role = "follower" }
        return figures.values.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    }

    static let samsaNames: Set<String> = ["samsa_partition_high_watermark", "samsa_partition_log_end_offset", "samsa_partition_log_start_offset",
                                          "samsa_partition_isr_size", "samsa_partition_leader_epoch"]
    /// The JMX exporter's names for Kafka's `kafka.cluster:type=Partition` and `kafka.log:type=Log` MBeans.
    static let kafkaNames: Set<String> = ["kafka_cluster_partition_replicascount", "kafka_cluster_partition_insyncreplicascount",
                                          "kafka_cluster_partition_underreplicated", "kafka_log_log_logendoffset",
                                          "kafka_log_log_logstartoffset"]

    /// The value after a sample's labels: an integer, or a double holding a whole number
    /// (`1234.0`, `1.2345678E7`, as Java's exporters write gauges); a timestamp may follow.
    static func sampleValue(_ text: Substring) -> Int64? {
        guard let word = text.split(separator: " ", omittingEmptySubsequences: true).first else { return nil }
        if let integer = Int64(word) { return integer }
        guard let double = Double(word), double.isFinite, double == double.rounded() else { return nil }
        return Int64(exactly: double)
    }

    static func parseLabels(_ text: Substring) -> [String: String] {
        var labels: [String: String] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            labels[parts[0].trimmingCharacters(in: .whitespaces)] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return labels
    }
}
