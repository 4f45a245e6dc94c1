import Foundation
import NIOConcurrencyHelpers
import Verification

/// The run directory's `timeline.jsonl`: one JSON object per line (`time_ns`, `kind`, fields), in the
/// layout the Verification target reads (`TimelineRecord`). Observers, the fault engine and the
/// process supervisor all append here; each line is one `write(2)`, so a crash of the lab loses
/// nothing already reported.
///
/// Owner: `fd` is only used under the lock.
public final class TimelineLog: Sendable {
    private let fd: NIOLockedValueBox<Int32>
    public let path: String

    public init(path: String) throws {
        self.path = path
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        fd = NIOLockedValueBox(descriptor)
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
        guard var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        data.append(0x0A)
        appendRaw(data)
    }

    /// Appends a line that is already JSON (a broker event copied from its log, with `kind` added).
    public func appendRaw(_ line: Data) {
        fd.withLockedValue { fd in
            guard fd >= 0 else { return }
            line.withUnsafeBytes { raw in
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
        fd.withLockedValue { fd in
            if fd >= 0 { Foundation.close(fd) }
            fd = -1
        }
    }
}
