import Foundation
import Verification

extension TimelineLog {
    /// Appends a record in the Verification target's own encoding, for kinds whose layout is
    /// defined there (the leadership census), so writer and reader cannot drift apart.
    public func append(_ record: TimelineRecord) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard var line = try? encoder.encode(record) else { return }
        line.append(0x0A)
        appendRaw(line)
    }
}
