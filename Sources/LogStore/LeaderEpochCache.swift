import Foundation

/// The sequence of (leader epoch, first offset written in that epoch) for one partition (KIP-101),
/// persisted in Kafka's `leader-epoch-checkpoint` text format (version line, count line, then
/// `epoch offset` lines). Followers use it to find where their log diverges from a new leader's.
/// Not thread-safe: owned by its `PartitionLog`.
public struct LeaderEpochCache: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var epoch: Int32
        public var startOffset: Int64

        public init(epoch: Int32, startOffset: Int64) {
            self.epoch = epoch
            self.startOffset = startOffset
        }
    }

    public private(set) var entries: [Entry] = []
    let path: String?

    init(path: String?) { self.path = path }

    public var latestEpoch: Int32? { entries.last?.epoch }

    /// Records that `epoch` starts at `startOffset`. Entries only grow in both epoch and offset: an
    /// older or equal epoch is ignored, and a later epoch starting at or before an existing entry's
    /// offset replaces the entries it overlaps (as Kafka's cache does).
    public mutating func assign(epoch: Int32, startOffset: Int64) throws {
        if let last = entries.last, epoch <= last.epoch { return }
        entries.removeAll { $0.startOffset >= startOffset }
        entries.append(Entry(epoch: epoch, startOffset: startOffset))
        try persist()
    }

    /// Kafka's `endOffsetFor`: for the latest epoch, the log end offset; for an older one, the start
    /// offset of the next higher epoch, reported with the largest known epoch ≤ the requested one;
    /// (-1, -1) when the request is below every known epoch.
    public func endOffset(for requested: Int32, logEndOffset: Int64) -> (epoch: Int32, endOffset: Int64) {
        guard let latest = entries.last else { return (-1, -1) }
        if requested == latest.epoch { return (latest.epoch, logEndOffset) }
        guard let index = entries.lastIndex(where: { $0.epoch <= requested }) else { return (-1, -1) }
        if index == entries.count - 1 { return (entries[index].epoch, logEndOffset) }
        return (entries[index].epoch, entries[index + 1].startOffset)
    }

    /// After the log was truncated to `endOffset`: forget epochs that start at or after it.
    public mutating func truncateFromEnd(endOffset: Int64) throws {
        let before = entries.count
        entries.removeAll { $0.startOffset >= endOffset }
        if entries.count != before { try persist() }
    }

    /// After the log start advanced to `startOffset`: drop epochs wholly before it and move the
    /// first remaining one's start up to it.
    public mutating func truncateFromStart(startOffset: Int64) throws {
        var changed = false
        while entries.count >= 2 && entries[1].startOffset <= startOffset {
            entries.removeFirst()
            changed = true
        }
        if let first = entries.first, first.startOffset < startOffset {
            entries[0].startOffset = startOffset
            changed = true
        }
        if changed { try persist() }
    }

    public mutating func clear() throws {
        entries.removeAll()
        try persist()
    }

    static func load(path: String) -> LeaderEpochCache {
        var cache = LeaderEpochCache(path: path)
        guard let text = AtomicFile.read(path), let entries = parse(text) else { return cache }
        cache.entries = entries
        return cache
    }

    /// The entries of a `leader-epoch-checkpoint` file's text; nil when it is not in that format
    /// (version 0, a count, then that many `epoch offset` lines). The broker starts over from an
    /// empty cache then; an audit reports the file as unreadable.
    public static func parse(_ text: String) -> [Entry]? {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard lines.count >= 2, lines[0] == "0", let count = Int(lines[1]), count >= 0, lines.count >= 2 + count else { return nil }
        var entries: [Entry] = []
        for line in lines[2..<(2 + count)] {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let epoch = Int32(parts[0]), let offset = Int64(parts[1]) else { return nil }
            entries.append(Entry(epoch: epoch, startOffset: offset))
        }
        return entries
    }

    private func persist() throws {
        guard let path else { return }
        var text = "0\n\(entries.count)\n"
        for entry in entries { text += "\(entry.epoch) \(entry.startOffset)\n" }
        try AtomicFile.write(Array(text.utf8), to: path)
    }
}
