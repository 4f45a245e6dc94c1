import Foundation
import Verification

/// Numbers and times as every human-facing report prints them. Fixed formats, no locale, so a
/// report reads the same on every machine.
enum Format {
    /// 1234567 → "1,234,567".
    static func count<Number: BinaryInteger>(_ number: Number) -> String {
        let digits = String(number.magnitude)
        var out = ""
        for (position, digit) in digits.enumerated() {
            if position > 0, (digits.count - position) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return (number < 0 ? "-" : "") + out
    }

    /// Milliseconds, with a unit that keeps three significant figures readable: "0.42 ms",
    /// "12.3 ms", "845 ms", "2.35 s", "3 min 12.4 s".
    static func duration(ms: Double) -> String {
        guard ms.isFinite else { return "—" }
        if ms == 0 { return "0 ms" }
        let magnitude = abs(ms)
        if magnitude < 10 { return String(format: "%.2f ms", ms) }
        if magnitude < 100 { return String(format: "%.1f ms", ms) }
        if magnitude < 1000 { return String(format: "%.0f ms", ms) }
        if magnitude < 60_000 { return String(format: "%.2f s", ms / 1000) }
        if magnitude >= 3_600_000 {
            let hours = (magnitude / 3_600_000).rounded(.down)
            return (ms < 0 ? "-" : "") + String(format: "%.0f h %.0f min", hours, ((magnitude - hours * 3_600_000) / 60_000).rounded(.down))
        }
        let minutes = (magnitude / 60_000).rounded(.down)
        return (ms < 0 ? "-" : "") + String(format: "%.0f min %.1f s", minutes, (magnitude - minutes * 60_000) / 1000)
    }

    static func duration(ms: Double?) -> String { ms.map { duration(ms: $0) } ?? "—" }

    /// A moment of the run as seconds from its start: "+12.345 s".
    static func offset(_ timeNs: Int64, from startNs: Int64) -> String {
        String(format: "%+.3f s", Double(timeNs - startNs) / 1e9)
    }

    static func verdictWord(_ verdict: Verdict) -> String {
        switch verdict {
        case .valid: return "PASS"
        case .invalid: return "FAIL"
        case .unknown: return "UNKNOWN"
        case .notApplicable: return "N/A"
        }
    }

    static func outcomeWord(_ passed: Bool?) -> String {
        switch passed {
        case true?: return "passed"
        case false?: return "failed"
        case nil: return "unknown"
        }
    }

    /// A fault in a few words: its command (rendered from the value the lab recorded; the recorded
    /// text for older timelines), else its kind and targets.
    static func fault(_ window: FaultWindow) -> String {
        if let command = window.command { return command.description }
        if let description = window.description, !description.isEmpty { return description }
        return ([window.fault.rawValue] + window.targets).joined(separator: " ")
    }

    /// "topic/partition".
    static func partition(_ topic: String, _ partition: Int32?) -> String {
        partition.map { "\(topic)/\($0)" } ?? topic
    }
}
