import KafkaProtocol
import SamsaConfig

/// A change to a topic's config overrides. AlterConfigs replaces the whole set (a key it leaves out
/// goes back to the broker's value); IncrementalAlterConfigs edits single keys and keeps the rest.
public enum TopicConfigChange: Sendable, Equatable {
    case replace([String: String])
    case incremental([Edit])

    public struct Edit: Sendable, Equatable {
        public var name: String
        /// Kafka's `AlterConfigOp.OpType` code: 0 set, 1 delete, 2 append, 3 subtract.
        public var operation: Int8
        public var value: String?
        public init(name: String, operation: Int8, value: String?) {
            self.name = name
            self.operation = operation
            self.value = value
        }
    }

    /// Topic configs whose values are comma-separated lists, the only ones APPEND and SUBTRACT apply to.
    static let listConfigs: Set<String> = ["cleanup.policy"]

    /// The overrides after the change, every one checked as CreateTopics checks them; or the error
    /// Kafka answers: INVALID_CONFIG (unknown key, bad value, APPEND/SUBTRACT on a non-list config,
    /// min.insync.replicas above the replication factor), INVALID_REQUEST (a key twice, an unknown
    /// operation, SET without a value).
    public func apply(to current: [String: String], topic: String, replicationFactor: Int) -> Result<[String: String], TopicOperationFailure> {
        func fail(_ code: ErrorCode, _ message: String) -> Result<[String: String], TopicOperationFailure> {
            .failure(TopicOperationFailure(TopicOperationResult(name: topic, errorCode: code, message: message)))
        }
        var updated: [String: String]
        switch self {
        case .replace(let configs):
            updated = configs
        case .incremental(let edits):
            updated = current
            var seen: Set<String> = []
            for edit in edits {
                guard seen.insert(edit.name).inserted else { return fail(.invalidRequest, "config '\(edit.name)' appears more than once") }
                guard TopicProperties.brokerSynonyms[edit.name] != nil else {
                    return fail(.invalidConfig, TopicProperties.validate(name: edit.name, value: edit.value ?? "") ?? "unknown topic config '\(edit.name)'")
                }
                let isList = Self.listConfigs.contains(edit.name)
                switch edit.operation {
                case 0:
                    guard let value = edit.value else { return fail(.invalidRequest, "SET of '\(edit.name)' has no value") }
                    updated[edit.name] = value
                case 1:
                    updated[edit.name] = nil
                case 2, 3:
                    guard isList else {
                        return fail(.invalidConfig, "\(edit.operation == 2 ? "APPEND" : "SUBTRACT") applies only to list configs; '\(edit.name)' is not one")
                    }
                    var items = (updated[edit.name] ?? "").split(separator: ",").map(String.init)
                    let given = (edit.value ?? "").split(separator: ",").map(String.init)
                    if edit.operation == 2 {
                        items += given.filter { !items.contains($0) }
                    } else {
                        items.removeAll { given.contains($0) }
                    }
                    updated[edit.name] = items.isEmpty ? nil : items.joined(separator: ",")
                default:
                    return fail(.invalidRequest, "unknown config operation \(edit.operation) for '\(edit.name)'")
                }
            }
        }
        for (name, value) in updated.sorted(by: { $0.key < $1.key }) {
            if let problem = TopicProperties.validate(name: name, value: value) { return fail(.invalidConfig, problem) }
        }
        if let minIsr = updated["min.insync.replicas"].flatMap(Int.init), minIsr > replicationFactor {
            return fail(.invalidConfig, "min.insync.replicas=\(minIsr) is larger than the replication factor \(replicationFactor)")
        }
        return .success(updated)
    }
}
