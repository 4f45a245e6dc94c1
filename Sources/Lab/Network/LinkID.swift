/// One end of a lab link: the lab's clients (workloads, observers, the user's tools), a broker by its
/// id, or the ZooKeeper server.
public enum LinkEndpoint: Hashable, Sendable, Comparable, LosslessStringConvertible {
    case client
    case broker(Int)
    case zookeeper

    /// `clients`, the broker id, or `zk`: the names the shell and playbooks use.
    public var description: String {
        switch self {
        case .client: "clients"
        case .broker(let id): String(id)
        case .zookeeper: "zk"
        }
    }

    /// Accepts `clients` (or `client`), a broker id, `zk` (or `zookeeper`).
    public init?(_ description: String) {
        switch description {
        case "clients", "client": self = .client
        case "zk", "zookeeper": self = .zookeeper
        default:
            guard let id = Int(description), id >= 0 else { return nil }
            self = .broker(id)
        }
    }

    /// Clients first, then brokers by id, then ZooKeeper, so link listings read in a stable order.
    public static func < (lhs: LinkEndpoint, rhs: LinkEndpoint) -> Bool {
        switch (lhs, rhs) {
        case (.broker(let a), .broker(let b)): a < b
        default: lhs.rank < rhs.rank
        }
    }

    private var rank: Int {
        switch self {
        case .client: 0
        case .broker: 1
        case .zookeeper: 2
        }
    }
}

/// A directed link: connections are opened by `from` and accepted by `to`. Bytes `from` → `to` travel
/// the link's forward direction, the replies its backward direction. Printed `clients->1`, `1->2`,
/// `1->zk`.
public struct LinkID: Hashable, Sendable, Comparable, LosslessStringConvertible {
    public var from: LinkEndpoint
    public var to: LinkEndpoint

    public init(from: LinkEndpoint, to: LinkEndpoint) {
        self.from = from
        self.to = to
    }

    public var description: String { "\(from)->\(to)" }

    /// Parses the printed form, e.g. `1->zk`.
    public init?(_ description: String) {
        let parts = description.split(separator: "->", omittingEmptySubsequences: false)
        guard parts.count == 2,
            let from = LinkEndpoint(String(parts[0])),
            let to = LinkEndpoint(String(parts[1]))
        else { return nil }
        self.init(from: from, to: to)
    }

    public static func < (lhs: LinkID, rhs: LinkID) -> Bool {
        (lhs.from, lhs.to) < (rhs.from, rhs.to)
    }
}

/// Where a link's proxy forwards its connections. The lab's processes all listen on loopback.
public struct LinkTarget: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String = "127.0.0.1", port: Int) {
        self.host = host
        self.port = port
    }

    public var description: String { "\(host):\(port)" }
}
