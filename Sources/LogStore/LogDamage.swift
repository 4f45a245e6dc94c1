import Foundation
import KafkaProtocol

/// A stretch of a segment file that does not hold valid batches, found by a read, by the checks
/// at startup or by `samsa log verify`. Kafka calls this a corrupt record; the broker answers a
/// fetch that starts inside it with CORRUPT_MESSAGE.
///
/// `position` is where the damage starts (a byte of `path`) and `offset` the offset the log
/// expected there. When a valid batch follows in the same file, `resumePosition` and
/// `resumeOffset` say where, and offsets from `resumeOffset` on are served again; otherwise the
/// damage runs to the end of the file.
public struct LogDamage: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, Equatable, Codable {
        /// The stored CRC-32C does not match the batch's bytes.
        case crcMismatch = "crc_mismatch"
        /// The length field is impossible: below a header, above `LogInspection.batchBytesMax`, or
        /// running past the end of a file that is not the log's last.
        case badLength = "bad_length"
        /// The magic byte is not 2: these bytes are not a RecordBatch v2 header.
        case badMagic = "bad_magic"
        /// The batch's base offset is not the offset after the previous batch.
        case offsetsOutOfOrder = "offsets_out_of_order"
        /// Fewer bytes than a whole batch at the end of the log's last file (a write cut short).
        case tornTail = "torn_tail"
    }

    public var path: String
    public var position: Int
    public var offset: Int64
    public var kind: Kind
    public var detail: String
    public var resumePosition: Int?
    public var resumeOffset: Int64?

    public var description: String {
        let resume = resumeOffset.map { "; valid batches resume at offset \($0) (byte \(resumePosition ?? -1))" }
            ?? "; no valid batch follows in this file"
        return "\(kind.rawValue) in \(path) at byte \(position) (offset \(offset)): \(detail)\(resume)"
    }

    /// What is wrong with `header` found at `position` of a file of `fileSize` bytes, or nil when
    /// it is a plausible batch header (its CRC is checked separately, over the whole batch).
    /// `expectedOffset` nil skips the offset check (a header reached without a chain before it).
    static func problem(_ header: RecordBatchHeader, at position: Int, fileSize: Int, expectedOffset: Int64?,
                        isLastFile: Bool) -> (Kind, String)? {
        let minimumLength = Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead)
        if header.magic != 2 { return (.badMagic, "magic byte \(header.magic), not 2") }
        if header.batchLength < minimumLength || header.totalSize > LogInspection.batchBytesMax || header.lastOffsetDelta < 0 {
            return (.badLength, "batch length \(header.batchLength), last offset delta \(header.lastOffsetDelta)")
        }
        if let expectedOffset, header.baseOffset != expectedOffset {
            return (.offsetsOutOfOrder, "batch at offset \(header.baseOffset) where \(expectedOffset) was expected")
        }
        if position + header.totalSize > fileSize {
            let detail = "a \(header.totalSize)-byte batch runs past the file's end (\(fileSize - position) byte(s) left)"
            return (isLastFile ? .tornTail : .badLength, detail)
        }
        return nil
    }
}

/// The storage problems a log directory has met, shared by all its partitions' logs: counters for
/// the broker's metrics, and the I/O error conditions under way, so that a full disk is logged
/// once when it starts and once when it ends rather than once per request.
///
/// Owner: `state`, read and written only under `lock` (hence `@unchecked Sendable`).
public final class StorageHealth: @unchecked Sendable {
    public struct Counts: Sendable, Equatable {
        /// Damaged stretches found in segment files (each counted once, when first found).
        public var corruptionsFound: Int64 = 0
        /// Reads refused because they started in damaged data (CORRUPT_MESSAGE answers).
        public var corruptReads: Int64 = 0
        /// Appends that failed with an I/O error (rolled back or not).
        public var appendErrors: Int64 = 0
        /// Appends whose partial write could not be cut back: the outcome is indeterminate.
        public var appendRollbackFailures: Int64 = 0
        /// Reads that failed with an I/O error.
        public var readErrors: Int64 = 0
    }

    private struct State {
        var counts = Counts()
        /// errno → the file the condition was first seen on, while the condition lasts.
        var appendConditions: [Int32: String] = [:]
    }

    private let lock = NSLock()
    private var state = State()

    public init() {}

    public var counts: Counts { lock.withLock { state.counts } }
    /// The append error conditions under way (errno → first path), for metrics and tests.
    public var activeAppendConditions: [Int32: String] { lock.withLock { state.appendConditions } }

    /// Adds to the counters (the broker counts the read errors it answers with KAFKA_STORAGE_ERROR).
    public func count(_ update: (inout Counts) -> Void) { lock.withLock { update(&state.counts) } }

    /// Records a failed append. True when this errno starts a new condition (the caller logs it).
    func appendFailed(errno: Int32, path: String) -> Bool {
        lock.withLock {
            state.counts.appendErrors += 1
            guard state.appendConditions[errno] == nil else { return false }
            state.appendConditions[errno] = path
            return true
        }
    }

    /// Records a successful append. Returns the conditions it ended (the caller logs them).
    func appendSucceeded() -> [Int32: String] {
        lock.withLock {
            guard !state.appendConditions.isEmpty else { return [:] }
            defer { state.appendConditions = [:] }
            return state.appendConditions
        }
    }
}
