import FaultModel

/// One admin request the lab sent (`elect-leaders`, `reassign`), with the cluster's answer:
///
///     {"kind": "admin", "command": {...}, "description": "reassign orders/0 --replicas 3,1",
///      "topic": "orders", "partition": 0, "outcome": "NONE", "took_ms": 12}
///
/// `outcome` is the partition's error code by Kafka's name (`NONE`, `ELECTION_NOT_NEEDED`,
/// `ELIGIBLE_LEADERS_NOT_AVAILABLE`, `INVALID_REPLICA_ASSIGNMENT`…); absent when no answer came
/// (the controller could not be reached or did not answer in time), and `error` then says why.
/// `message` is the broker's error message when it sent one.
public struct AdminRecord: Sendable, Hashable {
    public var command: FaultCommand
    public var description: String
    public var topic: String
    public var partition: Int32
    public var outcome: String?
    public var message: String?
    public var error: String?
    public var tookMs: Int64

    public init(command: FaultCommand, topic: String, partition: Int32, outcome: String?, message: String? = nil, error: String? = nil, tookMs: Int64) {
        self.command = command
        self.description = command.description
        self.topic = topic
        self.partition = partition
        self.outcome = outcome
        self.message = message
        self.error = error
        self.tookMs = tookMs
    }

    /// Whether the cluster accepted the request (`NONE`).
    public var accepted: Bool { outcome == "NONE" }
}

extension AdminRecord: Codable {
    enum CodingKeys: String, CodingKey {
        case command, description, topic, partition, outcome, message, error
        case tookMs = "took_ms"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        command = try container.decode(FaultCommand.self, forKey: .command)
        description = try container.decodeIfPresent(String.self, forKey: .description) ?? command.description
        topic = try container.decode(String.self, forKey: .topic)
        partition = try container.decode(Int32.self, forKey: .partition)
        outcome = try container.decodeIfPresent(String.self, forKey: .outcome)
        message = try container.decodeIfPresent(String.self, forKey: .message)
        error = try container.decodeIfPresent(String.self, forKey: .error)
        tookMs = try container.decode(Int64.self, forKey: .tookMs)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(command, forKey: .command)
        try container.encode(description, forKey: .description)
        try container.encode(topic, forKey: .topic)
        try container.encode(partition, forKey: .partition)
        try container.encodeIfPresent(outcome, forKey: .outcome)
        try container.encodeIfPresent(message, forKey: .message)
        try container.encodeIfPresent(error, forKey: .error)
        try container.encode(tookMs, forKey: .tookMs)
    }
}
