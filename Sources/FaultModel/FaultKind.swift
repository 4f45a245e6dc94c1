/// What the lab did to the cluster: the kind a fault's timeline records and status rows carry,
/// spelt with underscores (`isolate_zk`, `power_loss`). A closed set: decoding refuses a kind it
/// does not know, naming it and the known ones, so a misspelt or newer record is an input problem
/// of its file rather than a fault that no checker recognises.
public enum FaultKind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case crash, stop, restart, pause, resume, partition, isolate, slow, lossy, heal
    case isolateZooKeeper = "isolate_zk"
    case powerLoss = "power_loss"
    case limitData = "limit_data"
    case slice, timeout
    /// Not a fault: an `await` (it only waits), named so that every command has a kind.
    case awaitCondition = "await"
    /// Not faults either: one-shot admin requests (`elect-leaders`, `reassign`).
    case electLeaders = "elect_leaders"
    case reassign

    public var description: String { rawValue }
}

extension FaultKind: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let kind = FaultKind(rawValue: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "unknown fault kind '\(text)'; one of " + Self.allCases.map(\.rawValue).joined(separator: ", "))
        }
        self = kind
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
