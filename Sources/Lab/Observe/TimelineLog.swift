import Foundation
import LogStore
import Verification

/// The run directory's `timeline.jsonl`: one JSON object per line (`time_ns`, `kind`, fields), in the
/// layout the Verification target reads and writes (`TimelineRecord`, one body type per kind).
/// Observers, the fault engine, the process supervisor and the runner all append here; each line
/// is one `write(2)`, so a crash of the lab loses nothing already reported (`JSONLinesFile`).
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

    /// Appends a broker's event-log line (its own JSON object, `time_ns` included) as a
    /// `broker_event` record of `observer`, keeping every field the broker wrote. Returns false,
    /// writing nothing, for a line that is not a JSON object with a `time_ns`.
    @discardableResult
    public func appendBrokerEvent(line: Data, observer: String) -> Bool {
        guard case .object(var object)? = try? JSONDecoder().decode(JSONValue.self, from: line),
              case .int = object["time_ns"] else { return false }
        object["kind"] = .string(TimelineKind.brokerEvent.rawValue)
        object["observer"] = .string(observer)
        return (try? file.append(encoding: JSONValue.object(object))) != nil
    }

    public func close() { file.close() }
}
