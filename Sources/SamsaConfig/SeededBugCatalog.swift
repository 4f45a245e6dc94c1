import Replication

/// The broker property that switches seeded bugs on (`SeededBug`, names comma-separated).
public let seededBugsProperty = "samsa.test.seeded.bugs"

/// The environment variable that must be `1` for a broker to accept `samsa.test.seeded.bugs`: a
/// second, deliberate step, so that a property copied into a real configuration cannot turn a
/// broker into one that loses data.
public let seededBugsEnvironmentVariable = "SAMSA_ALLOW_SEEDED_BUGS"

/// The seeded-bug catalog as plain text, for the playbook and suite layers (which do not see the
/// replication target's types).
public enum SeededBugCatalog {
    public static var names: [String] { SeededBug.allCases.map(\.rawValue) }

    public static func isKnown(_ name: String) -> Bool { SeededBug(rawValue: name) != nil }

    /// (name, where the switch sits, what it does, the checks expected to catch it), in catalog order.
    public static var entries: [(name: String, location: String, summary: String, expectedCheckers: [String])] {
        SeededBug.allCases.map { ($0.rawValue, $0.location, $0.summary, $0.expectedCheckers) }
    }
}
