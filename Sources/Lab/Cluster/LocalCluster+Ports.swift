import Foundation

/// The lab's port arithmetic and checks (a base port, free ranges below the ephemeral ports) and
/// reading the tail of a child's log for an error message.
extension LocalCluster {
    /// The base ports a user may choose (`--base-port`): above the privileged ports, and low enough
    /// that the metrics and internal ports (base + 100 + i, base + 200 + i) stay below 65536.
    public static let basePortRange = 1024...65000

    /// Why `base` cannot be a base port (nil when it can); whether its ports are free is checked
    /// when the cluster starts, naming the port in use.
    public static func basePortProblem(_ base: Int) -> String? {
        basePortRange.contains(base) ? nil
            : "--base-port must be between \(basePortRange.lowerBound) and \(basePortRange.upperBound) (got \(base))"
    }

    /// A base port whose client, metrics and internal ports (see the type's comment) are all free
    /// and lie below the kernel's ephemeral range, so no proxy listener or outgoing connection the
    /// lab opens later can take one of them between this check and the bind.
    public static func freeBasePort(brokers: Int) throws -> Int {
        let ceiling = min(ephemeralPortFloor(), 65_000) - 200 - brokers
        let floor = 10_000
        guard ceiling > floor else { throw Failure(description: "no port range below the ephemeral ports (\(ceiling + 200 + brokers))") }
        for _ in 0..<200 {
            let base = Int.random(in: floor...ceiling) / 10 * 10
            let ports = (0..<brokers).flatMap { [base + $0, base + 100 + $0, base + 200 + $0] }
            if ports.allSatisfy(portIsFree) { return base }
        }
        throw Failure(description: "no free port range for \(brokers) broker(s) between \(floor) and \(ceiling)")
    }

    /// The first port of `net.ipv4.ip_local_port_range` (Linux's default is 32768).
    static func ephemeralPortFloor() -> Int {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        return text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap { Int($0) } ?? 32_768
    }

    public static func portIsFree(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }

    public static func tail(_ path: String, lines: Int = 30) -> String {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return "(no log at \(path))" }
        return text.split(separator: "\n", omittingEmptySubsequences: false).suffix(lines).joined(separator: "\n")
    }
}
