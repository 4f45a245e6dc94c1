/// A comparison in a condition: `isr orders/0 <= 1`.
public enum ComparisonOperator: String, Sendable, CaseIterable, Codable {
    case equal = "=="
    case notEqual = "!="
    case lessOrEqual = "<="
    case greaterOrEqual = ">="
    case less = "<"
    case greater = ">"

    public func holds(_ lhs: Int64, _ rhs: Int64) -> Bool {
        switch self {
        case .equal: return lhs == rhs
        case .notEqual: return lhs != rhs
        case .less: return lhs < rhs
        case .lessOrEqual: return lhs <= rhs
        case .greater: return lhs > rhs
        case .greaterOrEqual: return lhs >= rhs
        }
    }
}

/// A state of the live cluster a step can wait for before it fires (`when:` in a playbook step,
/// `await` in the shell and `samsa fault`). Leader and ISR come from ZooKeeper's partition state
/// (what the controller acts on), follower lag from each replica's own metrics endpoint; every
/// evaluation reads them afresh.
public enum Condition: Sendable, Hashable, CustomStringConvertible {
    /// `isr T/P OP N`: the size of the partition's ISR.
    case isrSize(topic: String, partition: Int32, ComparisonOperator, Int64)
    /// `under_min_isr T/P`: the ISR is smaller than the topic's min.insync.replicas.
    case underMinIsr(topic: String, partition: Int32)
    /// `lag followers_of T/P OP N`: records the most caught-up reachable follower lacks, i.e.
    /// leader LEO minus the highest follower LEO. `>= N` means the leader holds at least N
    /// records that no follower it could fail over to has.
    case followerLag(topic: String, partition: Int32, ComparisonOperator, Int64)
    /// `leader T/P == N`, `leader T/P != N`; `none` (-1) for an offline partition.
    case leader(topic: String, partition: Int32, ComparisonOperator, Int32)

    public static let names = ["isr", "under_min_isr", "lag", "leader"]

    public var topic: String {
        switch self {
        case .isrSize(let topic, _, _, _), .underMinIsr(let topic, _), .followerLag(let topic, _, _, _), .leader(let topic, _, _, _): return topic
        }
    }

    public var partition: Int32 {
        switch self {
        case .isrSize(_, let partition, _, _), .underMinIsr(_, let partition), .followerLag(_, let partition, _, _),
             .leader(_, let partition, _, _):
            return partition
        }
    }

    public var description: String {
        switch self {
        case .isrSize(let topic, let partition, let op, let value): return "isr \(topic)/\(partition) \(op.rawValue) \(value)"
        case .underMinIsr(let topic, let partition): return "under_min_isr \(topic)/\(partition)"
        case .followerLag(let topic, let partition, let op, let value): return "lag followers_of \(topic)/\(partition) \(op.rawValue) \(value)"
        case .leader(let topic, let partition, let op, let value):
            return "leader \(topic)/\(partition) \(op.rawValue) \(value < 0 ? "none" : String(value))"
        }
    }
}
