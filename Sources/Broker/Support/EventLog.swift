import Foundation
import NIOConcurrencyHelpers

/// The broker's JSONL event log (DESIGN.md §3 "Observability"): one JSON object per line for every
/// leadership change, ISR change, truncation, controller change and fenced write. The lab merges
/// these into its timeline and the single-leader checker reads them, so each line is written with one
/// `write(2)` as it happens: a `kill -9` loses nothing already reported.
///
/// Owner: `lock` serialises writers; the file descriptor is only used under it.
public final class EventLog: Sendable {
    private let state: NIOLockedValueBox<Int32>
    public let brokerId: Int32

    public init(path: String, brokerId: Int32) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        state = NIOLockedValueBox(fd)
        self.brokerId = brokerId
    }

    /// Appends one event. `fields` values must be JSON-serialisable (numbers, strings, bools, arrays).
    public func record(_ event: String, _ fields: [String: Any] = [:]) {
        var object = fields
        object["event"] = event
        object["broker"] = Int(brokerId)
        object["time_ns"] = BrokerClock.wallNs()
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        data.append(0x0A)
        state.withLockedValue { fd in
            guard fd >= 0 else { return }
            data.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if written <= 0 { if errno == EINTR { continue } else { return } }
                    offset += written
                }
            }
        }
    }

    public func close() {
        state.withLockedValue { fd in
            if fd >= 0 { Foundation.close(fd) }
            fd = -1
        }
    }
}
