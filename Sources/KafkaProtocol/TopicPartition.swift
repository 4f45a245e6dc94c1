/// A topic name and partition index: the unit of ordering, replication and leadership.
public struct TopicPartition: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var topic: String
    public var partition: Int32

    public init(_ topic: String, _ partition: Int32) {
        self.topic = topic
        self.partition = partition
    }

    /// `orders/0`, the form users type in the shell and playbooks.
    public var description: String { "\(topic)/\(partition)" }

    public static func < (lhs: TopicPartition, rhs: TopicPartition) -> Bool {
        (lhs.topic, lhs.partition) < (rhs.topic, rhs.partition)
    }

    /// Parses `topic/partition`; the topic may itself contain '/'-free Kafka names only.
    public init?(parsing text: String) {
        guard let slash = text.lastIndex(of: "/"), let partition = Int32(text[text.index(after: slash)...]),
              partition >= 0, slash > text.startIndex else { return nil }
        self.init(String(text[..<slash]), partition)
    }

    /// Kafka's topic-name rule: 1–249 characters of [a-zA-Z0-9._-], and not "." or "..".
    public static func validateTopicName(_ name: String) -> String? {
        if name.isEmpty { return "topic name is empty" }
        if name == "." || name == ".." { return "topic name cannot be '.' or '..'" }
        if name.utf8.count > 249 { return "topic name is longer than 249 characters" }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
        if let bad = name.first(where: { !allowed.contains($0) }) {
            return "topic name contains '\(bad)'; only ASCII letters, digits, '.', '_' and '-' are allowed"
        }
        return nil
    }
}
