import Foundation

/// The value rules of broker properties, apart from any running broker: the broker checks its
/// properties file with them at start, and a playbook checks the properties it sets at load time, so
/// both refuse the same values with the same words.
public enum BrokerProperties {
    /// Checks one property as a playbook or the lab would set it, without building a whole
    /// configuration: nil when valid, otherwise a message naming the problem (with a "did you
    /// mean" for a mistyped key).
    public static func validate(key: String, value: String) -> String? {
        guard let definition = brokerPropertyDefinitions.first(where: { $0.name == key }) else {
            if ignoredKafkaProperties.contains(key) { return nil }
            let hint = NearestName.closest(to: key, among: brokerPropertyDefinitions.map(\.name)).map { " (did you mean '\($0)'?)" } ?? ""
            return "unknown broker property '\(key)'\(hint)"
        }
        return check(value, against: definition.type).map { "broker property \(key)=\(value) is invalid: expected \($0)" }
    }

    /// Returns what was expected when `value` does not fit `type`, nil when it fits.
    public static func check(_ value: String, against type: PropertyType) -> String? {
        switch type {
        case .int(let range):
            guard let number = Int64(value), range.contains(number) else { return type.expectation }
        case .bool:
            guard value == "true" || value == "false" else { return type.expectation }
        case .string, .list:
            return nil
        case .choice(let choices):
            guard choices.contains(value) else { return type.expectation }
        case .listener:
            guard parseListener(value) != nil else { return type.expectation }
        case .peerAddresses:
            guard parsePeers(value) != nil else { return type.expectation }
        case .names(let known):
            let unknown = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty && !known.contains($0) }
            guard unknown.isEmpty else {
                return "\(type.expectation) (unknown: \(unknown.joined(separator: ", ")))"
            }
        }
        return nil
    }

    public static func parseListener(_ value: String) -> HostPort? {
        let first = value.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        guard first.hasPrefix("PLAINTEXT://") else { return nil }
        return HostPort(first.dropFirst("PLAINTEXT://".count))
    }

    public static func parsePeers(_ value: String) -> [Int32: HostPort]? {
        var peers: [Int32: HostPort] = [:]
        for item in value.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let id = Int32(parts[0].trimmingCharacters(in: .whitespaces)),
                  let address = HostPort(Substring(parts[1].trimmingCharacters(in: .whitespaces))) else { return nil }
            peers[id] = address
        }
        return peers
    }
}
