/// Storage settings of one partition's log, under Kafka's topic-level meanings.
public struct LogConfig: Sendable, Equatable {
    /// `segment.bytes`: roll to a new segment before a segment would exceed this.
    public var segmentBytes: Int = 1 << 30
    /// `segment.ms`: roll a non-empty segment older than this.
    public var segmentMs: Int64 = 7 * 24 * 3_600_000
    /// `retention.ms`: delete segments whose newest record is older than this; -1 keeps them.
    public var retentionMs: Int64 = 7 * 24 * 3_600_000
    /// `retention.bytes`: delete the oldest segments while the log is larger than this; -1 unlimited.
    public var retentionBytes: Int64 = -1
    /// `index.interval.bytes`: bytes of log between two sparse index entries.
    public var indexIntervalBytes: Int = 4096
    /// `flush.messages`: fsync after this many records since the last fsync.
    public var flushIntervalMessages: Int64 = Int64.max
    /// `flush.ms`: fsync when the last one is older than this; nil never by time.
    public var flushIntervalMs: Int64?

    public init() {}
}

/// Why a log operation failed.
public enum LogError: Error, Equatable, CustomStringConvertible {
    case offsetOutOfRange(offset: Int64, logStartOffset: Int64, logEndOffset: Int64)
    case nonContiguousAppend(expected: Int64, got: Int64)
    case invalidBatch(String)
    case io(String)
    /// A read started in damaged data (Kafka's CORRUPT_MESSAGE).
    case corrupt(LogDamage)

    public var description: String {
        switch self {
        case .offsetOutOfRange(let offset, let start, let end): return "offset \(offset) is outside the log [\(start), \(end))"
        case .nonContiguousAppend(let expected, let got): return "append must start at offset \(expected), got \(got)"
        case .invalidBatch(let why): return "invalid batch: \(why)"
        case .io(let why): return "I/O error: \(why)"
        case .corrupt(let damage): return "corrupt data: \(damage)"
        }
    }
}
