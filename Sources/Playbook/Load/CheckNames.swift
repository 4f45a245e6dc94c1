import SamsaConfig
import Verification

/// The checkers' names as playbooks write them (report.json's keys: `lost_write`,
/// `inconsistent_offsets`), taken from the checks themselves so a new checker is known here at once.
enum CheckNames {
    static let all: [String] = CheckReport(history: History(ops: []), timeline: Timeline(records: []))
        .verdicts.map { key($0.checker) }

    /// "lost-write" (a checker's own name) → "lost_write".
    static func key(_ checker: String) -> String { checker.replacingOccurrences(of: "-", with: "_") }

    static func nearest(_ name: String) -> String? { NearestName.closest(to: name, among: all) }
}
