import Foundation
import KafkaProtocol
import NIOCore

/// A read-only look at one partition directory as it lies on disk, for audits that compare
/// replicas. Opening a `PartitionLog` recovers it (cuts a torn tail, drops segments after a gap,
/// rewrites checkpoints), which an audit must never do: it reads the evidence a stopped broker
/// left, or the files of a broker that is still running. Nothing here writes, truncates or keeps
/// a file open; every damage found is reported, never repaired and never a crash.
///
/// The checkpoints and the segments are read by separate calls so that a caller auditing live
/// brokers can read every replica's high watermark first: data below a high watermark read
/// earlier is already on disk when the segments are read later.
public enum LogInspection {
    /// The small files beside the segments. A missing file is nil without a problem (a broker
    /// writes the high-watermark checkpoint only once it is above zero); an unreadable or
    /// malformed one is nil with a problem.
    public struct Checkpoints: Sendable, Equatable {
        public var logStartOffset: Int64?
        public var highWatermark: Int64?
        public var recoveryPoint: Int64?
        public var leaderEpochs: [LeaderEpochCache.Entry]?
        /// The broker closed this log cleanly (its marker is present).
        public var cleanShutdown: Bool
        public var problems: [String]
    }

    /// One batch as stored: its header, and whether its CRC-32C matches its bytes (nil when the
    /// caller did not ask for the bytes to be checked).
    public struct Batch: Sendable, Equatable {
        public var header: RecordBatchHeader
        public var checksumMatches: Bool?
    }

    /// Every complete batch of the segments in offset order, up to the first structural damage.
    public struct Segments: Sendable {
        public var batches: [Batch]
        /// Segment base offsets found, in order.
        public var segmentBaseOffsets: [Int64]
        /// The offset after the last complete batch read (the first segment's base when empty).
        public var endOffset: Int64?
        /// A torn tail, a gap between segments, a header that is not a batch, an unreadable file.
        /// Scanning stops at the first one: what follows is not trusted, as recovery would not trust it.
        public var problems: [String]
    }

    /// A batch longer than this is a damaged header, not data: `message.max.bytes` is about 1 MiB
    /// by default and a segment rolls at `segment.bytes` (1 GiB), so no real batch comes near it.
    public static let batchBytesMax = 256 << 20

    /// Reads the checkpoint files of the partition directory at `directory`.
    public static func readCheckpoints(directory: String) -> Checkpoints {
        var problems: [String] = []
        func text(_ name: String) -> String? {
            let path = directory + "/" + name
            guard FileManager.default.fileExists(atPath: path) else { return nil }
            guard let text = AtomicFile.read(path) else {
                problems.append("\(name) is unreadable")
                return nil
            }
            return text
        }
        func offset(_ name: String) -> Int64? {
            guard let text = text(name) else { return nil }
            guard let value = Int64(text.trimmingCharacters(in: .whitespacesAndNewlines)), value >= 0 else {
                problems.append("\(name) does not hold an offset: \(text.prefix(40).debugDescription)")
                return nil
            }
            return value
        }
        let logStart = offset(PartitionLog.logStartFile)
        let highWatermark = offset(PartitionLog.highWatermarkFile)
        let recoveryPoint = offset(PartitionLog.recoveryPointFile)
        var epochs: [LeaderEpochCache.Entry]?
        if let epochText = text(PartitionLog.leaderEpochFile) {
            epochs = LeaderEpochCache.parse(epochText)
            if epochs == nil { problems.append("\(PartitionLog.leaderEpochFile) is not in the checkpoint format") }
        }
        let clean = FileManager.default.fileExists(atPath: directory + "/" + PartitionLog.cleanShutdownFile)
        return Checkpoints(logStartOffset: logStart, highWatermark: highWatermark, recoveryPoint: recoveryPoint,
                           leaderEpochs: epochs, cleanShutdown: clean, problems: problems)
    }

    /// Scans every `<base>.log` segment of `directory` from its start, checking what recovery
    /// checks (magic 2, a plausible length, offsets contiguous within and across segments) and,
    /// with `validateCRC`, each batch's CRC-32C. A CRC mismatch is reported on the batch and the
    /// scan goes on (the structure is intact); structural damage ends the scan with a problem.
    public static func scanSegments(directory: String, validateCRC: Bool) -> Segments {
        var result = Segments(batches: [], segmentBaseOffsets: [], endOffset: nil, problems: [])
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory)
        } catch {
            result.problems.append("cannot list the directory: \(error)")
            return result
        }
        let bases = names.filter { $0.hasSuffix(".log") }.compactMap { Int64($0.dropLast(4)) }.filter { $0 >= 0 }.sorted()
        result.segmentBaseOffsets = bases
        var expected: Int64?
        for (position, base) in bases.enumerated() {
            if let expected, expected != base {
                result.problems.append("segment \(base) does not follow the previous one, which ends at offset \(expected)")
                return result
            }
            let isLast = position == bases.count - 1
            let name = Segment.fileName(base, ".log")
            let scan = scanSegment(path: directory + "/" + name, name: name, baseOffset: base, isLast: isLast,
                                   validateCRC: validateCRC, into: &result.batches)
            expected = scan.endOffset
            result.endOffset = scan.endOffset
            if let problem = scan.problem {
                result.problems.append(problem)
                return result
            }
        }
        return result
    }

    /// One segment file, batch by batch in 1 MiB reads. Returns the offset after its last
    /// complete batch and the damage that stopped the scan, if any.
    static func scanSegment(path: String, name: String, baseOffset: Int64, isLast: Bool, validateCRC: Bool,
                            into batches: inout [Batch]) -> (endOffset: Int64, problem: String?) {
        let fd = Foundation.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return (baseOffset, "cannot open \(name): \(String(cString: strerror(errno)))") }
        defer { Foundation.close(fd) }
        let fileSize: Int
        do { fileSize = try FileIO.size(fd) } catch { return (baseOffset, "cannot stat \(name): \(error)") }
        var position = 0
        var expected = baseOffset
        let chunkBytes = 1 << 20
        let minimumLength = Int32(RecordBatchHeader.size - RecordBatchHeader.logOverhead)
        while position < fileSize {
            let chunk: ByteBuffer
            do { chunk = try FileIO.read(fd, at: position, length: min(chunkBytes, fileSize - position)) } catch {
                return (expected, "cannot read \(name) at byte \(position): \(error)")
            }
            guard chunk.readableBytes > 0 else { return (expected, "\(name) ended early at byte \(position) of \(fileSize)") }
            var consumed = 0
            while consumed < chunk.readableBytes {
                let at = position + consumed
                guard let header = RecordBatchHeader(chunk, at: chunk.readerIndex + consumed) else {
                    if at + RecordBatchHeader.size <= fileSize { break }  // the header runs past this read
                    return (expected, torn(name, at: at, fileSize: fileSize, after: expected, isLast: isLast))
                }
                guard header.magic == 2, header.batchLength >= minimumLength, header.totalSize <= batchBytesMax,
                      header.lastOffsetDelta >= 0 else {
                    return (expected, "\(name) byte \(at): not a batch header (magic \(header.magic), length \(header.batchLength)); \(fileSize - at) byte(s) after offset \(expected) not read")
                }
                guard header.baseOffset == expected else {
                    return (expected, "\(name) byte \(at): batch at offset \(header.baseOffset) where \(expected) was expected")
                }
                let total = header.totalSize
                guard at + total <= fileSize else {
                    return (expected, torn(name, at: at, fileSize: fileSize, after: expected, isLast: isLast))
                }
                var matches: Bool?
                if validateCRC {
                    if consumed + total <= chunk.readableBytes {
                        matches = RecordBatches.checksumMatches(chunk.getSlice(at: chunk.readerIndex + consumed, length: total)!)
                    } else if consumed == 0 {
                        guard let whole = try? FileIO.read(fd, at: at, length: total), whole.readableBytes == total else {
                            return (expected, "cannot read the batch at offset \(header.baseOffset) in \(name)")
                        }
                        matches = RecordBatches.checksumMatches(whole)
                    } else {
                        break  // the batch runs past this read: read again from its start
                    }
                }
                batches.append(Batch(header: header, checksumMatches: matches))
                expected = header.nextOffset
                consumed += total
            }
            position += consumed
        }
        return (expected, nil)
    }

    private static func torn(_ name: String, at: Int, fileSize: Int, after offset: Int64, isLast: Bool) -> String {
        let place = isLast ? "torn tail" : "torn batch inside an older segment"
        return "\(place): \(fileSize - at) byte(s) at byte \(at) of \(name) after offset \(offset) are not a complete batch"
    }
}
