import Verification

/// Sentences and marks every human-facing writer shares, so the terminal, Markdown and HTML say
/// the same thing in the same words.
enum Summary {
    static func mark(_ passed: Bool?) -> String {
        switch passed {
        case true?: return "✓"
        case false?: return "✗"
        case nil: return "?"
        }
    }

    static func mark(_ verdict: Verdict) -> String {
        switch verdict {
        case .valid: return "✓"
        case .invalid: return "✗"
        case .unknown: return "?"
        case .notApplicable: return "-"
        }
    }

    /// "all 4 expectations held", "1 of 4 expectations failed, 1 could not be judged", …
    static func verdictSentence(_ report: RunReport) -> String {
        if let interruption = report.interruption {
            return interruption.summary + "; the checkers judged what was recorded until then, and the verdict is unknown"
        }
        let expectations = report.expectations
        guard !expectations.isEmpty else {
            let verdicts = report.checks.verdicts.map(\.verdict).filter { $0 != .notApplicable }
            let invalid = verdicts.filter { $0 == .invalid }.count
            let unknown = verdicts.filter { $0 == .unknown }.count
            var parts: [String] = []
            if invalid > 0 { parts.append("\(invalid) invalid") }
            if unknown > 0 { parts.append("\(unknown) unknown") }
            return "no expectations stated; checks: " + (parts.isEmpty ? "all \(verdicts.count) valid" : parts.joined(separator: ", "))
        }
        let failed = expectations.filter { $0.passed == false }.count
        let unknown = expectations.filter { $0.passed == nil }.count
        let noun = expectations.count == 1 ? "expectation" : "expectations"
        if failed == 0 && unknown == 0 {
            return expectations.count == 1 ? "the 1 expectation held" : "all \(expectations.count) \(noun) held"
        }
        var parts: [String] = []
        if failed > 0 { parts.append("\(failed) of \(expectations.count) \(noun) failed") }
        if unknown > 0 {
            parts.append(failed > 0 ? "\(unknown) could not be judged" : "\(unknown) of \(expectations.count) \(noun) could not be judged")
        }
        return parts.joined(separator: ", ")
    }

    /// "orders (6 partitions, RF 3, min ISR 2), audit (1 partition, RF 1, min ISR 1)".
    static func topics(_ cluster: ClusterSummary) -> String {
        guard !cluster.topics.isEmpty else { return "none stated" }
        return cluster.topics.map { topic in
            let partitions = topic.partitions == 1 ? "1 partition" : "\(topic.partitions) partitions"
            return "\(topic.name) (\(partitions), RF \(topic.replicationFactor), min ISR \(topic.minInSyncReplicas))"
        }.joined(separator: ", ")
    }
}
