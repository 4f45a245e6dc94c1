import Foundation

/// Reads a broker's Prometheus endpoint over a plain blocking socket with a receive timeout (the
/// observers run it off the event loops), and picks out the per-partition gauges.
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

    static func partitions(_ body: String) -> [PartitionFigures] {
        var figures: [String: PartitionFigures] = [:]
        for line in body.split(separator: "\n") where line.hasPrefix("samsa_partition_") {
            guard let brace = line.firstIndex(of: "{"), let close = line.firstIndex(of: "}") else { continue }
            let name = String(line[..<brace])
            let labels = parseLabels(line[line.index(after: brace)..<close])
            guard let topic = labels["topic"], let partition = labels["partition"].flatMap(Int32.init),
                  let value = Int64(line[line.index(after: close)...].trimmingCharacters(in: .whitespaces)) else { continue }
            let key = "\(topic)/\(partition)"
            var entry = figures[key] ?? PartitionFigures(topic: topic, partition: partition, role: labels["role"] ?? "none")
            switch name {
            case "samsa_partition_high_watermark": entry.highWatermark = value
            case "samsa_partition_log_end_offset": entry.logEndOffset = value
            case "samsa_partition_log_start_offset": entry.logStartOffset = value
            case "samsa_partition_isr_size": entry.isrSize = value
            case "samsa_partition_leader_epoch": entry.leaderEpoch = Int32(exactly: value)
            default: break
            }
            figures[key] = entry
        }
        return figures.values.sorted { ($0.topic, $0.partition) < ($1.topic, $1.partition) }
    }

    static func parseLabels(_ text: Substring) -> [String: String] {
        var labels: [String: String] = [:]
        for pair in text.split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            labels[String(parts[0])] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return labels
    }
}
