import NIOCore

/// One segment's sparse index, Samsa's combined form of Kafka's `.index` and `.timeindex`: every
/// `index.interval.bytes` of log, an entry records where a batch starts (its offset relative to the
/// segment base, and its file position) and the largest timestamp of every batch before it.
///
/// Offset lookups take the last entry at or before the target offset; timestamp lookups take the
/// last entry whose earlier batches are all older than the target. Either way a short forward scan
/// of batch headers from that position finishes the job, never a scan from the segment's start.
/// Entries are 16 bytes (UInt32 relative offset, UInt32 position, Int64 timestamp), big-endian, and
/// kept in memory too; the file is appended as entries are added and rebuilt by recovery.
struct SparseIndex {
    struct Entry: Equatable {
        var relativeOffset: UInt32
        var position: UInt32
        var maxTimestampBefore: Int64
    }

    static let entrySize = 16
    private(set) var entries: [Entry] = []

    mutating func append(_ entry: Entry) {
        if let last = entries.last {
            precondition(entry.relativeOffset > last.relativeOffset && entry.position > last.position,
                         "index entries must grow: \(entry) after \(last)")
        }
        entries.append(entry)
    }

    mutating func removeAll() { entries.removeAll() }

    /// Drops entries at or after `position` (after a truncation).
    mutating func truncate(toPosition position: Int) {
        entries.removeAll { Int($0.position) >= position }
    }

    /// The position to start scanning for `relativeOffset`: the last entry at or before it, else 0.
    func position(for relativeOffset: UInt32) -> Int {
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].relativeOffset <= relativeOffset { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? 0 : Int(entries[low - 1].position)
    }

    /// The last entry at or before `relativeOffset` (nil: scan from the segment's start).
    func entry(for relativeOffset: UInt32) -> Entry? {
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].relativeOffset <= relativeOffset { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? nil : entries[low - 1]
    }

    /// The position to start scanning for the first batch with timestamp ≥ `timestamp`.
    func position(forTimestamp timestamp: Int64) -> Int {
        var low = 0, high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].maxTimestampBefore < timestamp { low = mid + 1 } else { high = mid }
        }
        return low == 0 ? 0 : Int(entries[low - 1].position)
    }

    func encoded() -> [UInt8] {
        var buffer = ByteBuffer()
        for entry in entries { Self.encode(entry, into: &buffer) }
        return Array(buffer.readableBytesView)
    }

    static func encode(_ entry: Entry, into buffer: inout ByteBuffer) {
        buffer.writeInteger(entry.relativeOffset, endianness: .big)
        buffer.writeInteger(entry.position, endianness: .big)
        buffer.writeInteger(entry.maxTimestampBefore, endianness: .big)
    }

    /// Parses an index file; nil when it is not a valid, strictly increasing index (then rebuild).
    static func decode(_ buffer: ByteBuffer, segmentSize: Int) -> SparseIndex? {
        guard buffer.readableBytes % entrySize == 0 else { return nil }
        var buffer = buffer
        var index = SparseIndex()
        while buffer.readableBytes > 0 {
            guard let relativeOffset: UInt32 = buffer.readInteger(endianness: .big), let position: UInt32 = buffer.readInteger(endianness: .big),
                  let maxTimestampBefore: Int64 = buffer.readInteger(endianness: .big) else { return nil }
            let entry = Entry(relativeOffset: relativeOffset, position: position, maxTimestampBefore: maxTimestampBefore)
            if let last = index.entries.last, entry.relativeOffset <= last.relativeOffset || entry.position <= last.position { return nil }
            if Int(entry.position) >= segmentSize { return nil }
            index.entries.append(entry)
        }
        return index
    }
}
