import Foundation
import LogStore
import Verification

/// The run directory's `timeline.jsonl`: one JSON object per line (`time_ns`, `kind`, fields), in the
/// layout the Verification target reads (`TimelineRecord`). Observers, the fault engine and the
/// process supervisor all append here; each line is one `write(2)`, so a crash of the lab loses
/// nothing already reported (`JSONLinesFile`).
public final class TimelineLog: Sendable {
    let file: JSONLinesFile
    public var path: String { file.path }

    public init(path: String) throws {
        file = try JSONLinesFile(path: path)
    }

    /// Wall-clock nanoseconds, the time base shared with the brokers' event logs and the histories.
    public static func nowNs() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    /// Appends a record of `kind` (a constant of `TimelineKind`, so the writers and the
    /// Verification target's reader share one spelling).
    public func append(kind: TimelineKind, timeNs: Int64 = TimelineLog.nowNs(), observer: String? = nil, _ fields: [String: Any]) {
        var object = fields
        object["time_ns"] = timeNs
        object["kind"] = kind.rawValue
        if let observer { object["observer"] = observer }
        file.append(object)
    }

    /// Appends a line that is already JSON (a broker event copied from its log, with `kind` added).
    public func appendRaw(_ line: Data) { file.appendRaw(line) }

    public func close() { file.close() }
}
