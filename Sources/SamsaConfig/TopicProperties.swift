/// The rules of topic-level overrides (`retention.ms`, `min.insync.replicas`, ...): each is the
/// topic's name for a broker property and takes that property's values. CreateTopics and playbook
/// `topics:` entries are checked with the same rule.
public enum TopicProperties {
    /// Topic-level name → the broker property it overrides.
    public static let brokerSynonyms: [String: String] = {
        var map: [String: String] = [:]
        for definition in brokerPropertyDefinitions {
            if let topic = definition.topicName { map[topic] = definition.name }
        }
        return map
    }()

    /// Checks a topic-level override; returns a message naming the problem, nil when valid.
    public static func validate(name: String, value: String) -> String? {
        guard let brokerName = brokerSynonyms[name],
              let definition = brokerPropertyDefinitions.first(where: { $0.name == brokerName }) else {
            let hint = NearestName.closest(to: name, among: Array(brokerSynonyms.keys)).map { " (did you mean '\($0)'?)" } ?? ""
            return "unknown topic config '\(name)'\(hint)"
        }
        if name == "cleanup.policy" && value != "delete" {
            return "cleanup.policy=\(value) is not supported: Samsa implements delete retention only"
        }
        if let expected = BrokerProperties.check(value, against: definition.type) {
            return "topic config \(name)=\(value) is invalid: expected \(expected)"
        }
        return nil
    }
}
