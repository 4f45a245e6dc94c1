import Replication
import SamsaConfig

extension BrokerConfig {
    /// The seeded bugs this configuration names (validated when the configuration was built).
    public var seededBugs: SeededBugs {
        (try? SeededBug.parseList(values[seededBugsProperty] ?? "").get()) ?? []
    }

    /// Why this broker must not start: it names seeded bugs and `environment` does not allow them.
    /// Nil when no bug is named, or when `SAMSA_ALLOW_SEEDED_BUGS=1`.
    public func seededBugsRefusal(environment: [String: String]) -> String? {
        let bugs = seededBugs
        guard !bugs.isEmpty, environment[seededBugsEnvironmentVariable] != "1" else { return nil }
        return "\(seededBugsProperty)=\(bugs.sorted().map(\.rawValue).joined(separator: ",")) switches on deliberate replication bugs "
            + "for testing the lab's checks; this broker refuses to start with it unless the environment variable "
            + "\(seededBugsEnvironmentVariable)=1 is set"
    }
}
