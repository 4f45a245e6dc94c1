import Foundation
import LogStore

/// The broker's JSONL event log (DESIGN.md §3 "Observability"): one JSON object per line for every
/// leadership change, ISR change, truncation, controller change and fenced write. The lab merges
/// these into its timeline and the single-leader checker reads them, so each line is written with one
/// `write(2)` as it happens (`JSONLinesFile`): a `kill -9` loses nothing already reported.
public final class EventLog: Sendable {
    private let file: JSONLinesFile
    public let brokerId: Int32

    public init(path: String, brokerId: Int32) throws {
        file = try JSONLinesFile(path: path)
        self.brokerId = brokerId
    }

    /// Appends one event. `fields` values must be JSON-serialisable (numbers, strings, bools, arrays).
    public func record(_ event: String, _ fields: [String: Any] = [:]) {
        var object = fields
        object["event"] = event
        object["broker"] = Int(brokerId)
        object["time_ns"] = BrokerClock.wallNs()
        file.append(object)
    }

    public func close() { file.close() }
}
