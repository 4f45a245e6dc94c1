import Foundation
import Logging
import Verification

extension TimelineLog {
    /// Appends a record in the Verification target's own encoding (`TimelineRecord`), so writer
    /// and reader share one layout. A record that does not encode (a non-finite number) is dropped
    /// and logged rather than written half.
    public func append(_ record: TimelineRecord) {
        do {
            try file.append(encoding: record)
        } catch {
            Logger(label: "samsa.timeline").warning("timeline record of kind \(record.body.kind) not written: \(error)")
        }
    }

    /// Appends `body` as a record written now (or at `timeNs`) by `observer`.
    public func append(_ body: TimelineBody, observer: String? = nil, timeNs: Int64 = TimelineLog.nowNs()) {
        append(TimelineRecord(timeNs: timeNs, observer: observer, body))
    }
}
