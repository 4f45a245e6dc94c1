/// The JSON form of a condition, inside an `await` command and a playbook step's `when:` in
/// `run.json`, tagged by `condition`:
///
///     {"condition": "isr", "topic": "orders", "partition": 0, "op": "<=", "value": 1}
///     {"condition": "under_min_isr", "topic": "orders", "partition": 0}
///     {"condition": "lag", "topic": "orders", "partition": 0, "op": ">=", "value": 100}
///     {"condition": "leader", "topic": "orders", "partition": 0, "op": "!=", "broker": 1}   (no broker: none)

extension Condition: Codable {
    public enum Tag: String, Codable, Sendable, CaseIterable {
        case isr, lag, leader
        case underMinIsr = "under_min_isr"
    }

    enum CodingKeys: String, CodingKey {
        case condition, topic, partition, op, value, broker
    }

    public var tag: Tag {
        switch self {
        case .isrSize: return .isr
        case .underMinIsr: return .underMinIsr
        case .followerLag: return .lag
        case .leader: return .leader
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tag, forKey: .condition)
        try container.encode(topic, forKey: .topic)
        try container.encode(partition, forKey: .partition)
        switch self {
        case .isrSize(_, _, let op, let value), .followerLag(_, _, let op, let value):
            try container.encode(op, forKey: .op)
            try container.encode(value, forKey: .value)
        case .underMinIsr:
            break
        case .leader(_, _, let op, let broker):
            try container.encode(op, forKey: .op)
            if broker >= 0 { try container.encode(broker, forKey: .broker) }
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let tag = try container.decodeTag(Tag.self, forKey: .condition, what: "condition")
        let topic = try container.decode(String.self, forKey: .topic)
        let partition = try container.decode(Int32.self, forKey: .partition)
        switch tag {
        case .isr:
            self = .isrSize(topic: topic, partition: partition, try container.decodeTag(ComparisonOperator.self, forKey: .op, what: "operator"),
                            try container.decode(Int64.self, forKey: .value))
        case .underMinIsr:
            self = .underMinIsr(topic: topic, partition: partition)
        case .lag:
            self = .followerLag(topic: topic, partition: partition, try container.decodeTag(ComparisonOperator.self, forKey: .op, what: "operator"),
                                try container.decode(Int64.self, forKey: .value))
        case .leader:
            self = .leader(topic: topic, partition: partition, try container.decodeTag(ComparisonOperator.self, forKey: .op, what: "operator"),
                           try container.decodeIfPresent(Int32.self, forKey: .broker) ?? -1)
        }
        if let problem {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: problem))
        }
    }

    /// What the grammar would refuse in this condition (one decoded from JSON); nil when the
    /// parser could have produced it.
    public var problem: String? {
        guard !topic.isEmpty, partition >= 0 else { return "'\(topic)/\(partition)' is not topic/partition" }
        switch self {
        case .isrSize(_, _, _, let value):
            return value >= 0 ? nil : "an ISR size is never negative"
        case .underMinIsr, .followerLag:
            return nil
        case .leader(_, _, let op, let broker):
            guard op == .equal || op == .notEqual else { return "leader compares with == or !=, not '\(op.rawValue)'" }
            return broker > 0 || broker == -1 ? nil : "'\(broker)' is not a broker id"
        }
    }
}
