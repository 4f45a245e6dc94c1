import Foundation
import KafkaProtocol
import NIOCore

/// `samsa log verify`: a read-only check of every segment and index of a log directory (or of one
/// partition directory) that says what is wrong, where, and what the broker's recovery would do
/// about it. Unlike `LogInspection.scanSegments`, which stops at the first structural damage, it
/// steps over damage to the next valid batch (as the broker's reads do) so one bad stretch does
/// not hide a second one. Nothing is written, truncated or created.
public enum LogVerify {
    public struct Problem: Sendable, Equatable, Codable {
        /// The file, relative to the partition directory.
        public var file: String
        /// The byte of `file` where it starts (nil for whole-file problems).
        public var position: Int?
        /// The offset the log expected there.
        public var offset: Int64?
        /// crc_mismatch, bad_length, bad_magic, offsets_out_of_order, torn_tail (see `LogDamage.Kind`),
        /// or for indexes and files: index_malformed, index_out_of_order, index_outside_log,
        /// index_entry_mismatch, segment_gap, unreadable.
        public var kind: String
        public var detail: String
        /// Where valid batches resume after the damage (offset), when they do in the same file.
        public var resumeOffset: Int64?
    }

    public struct Partition: Sendable, Equatable, Codable {
        public var directory: String
        public var segments: Int
        public var batches: Int
        /// The offset after the last valid batch of the last segment.
        public var endOffset: Int64?
        public var cleanShutdown: Bool
        public var recoveryPoint: Int64?
        public var problems: [Problem]
        /// What the broker does about the problems at its next start, in words.
        public var recovery: [String]
    }

    public struct Report: Sendable, Equatable, Codable {
        public var partitions: [Partition]
        public var clean: Bool { partitions.allSatisfy { $0.problems.isEmpty } }
    }

    public enum Failure: Error, Equatable, CustomStringConvertible {
        case notADirectory(String)
        public var description: String {
            switch self {
            case .notADirectory(let path): return "\(path) is not a directory"
            }
        }
    }

    /// Verifies `path`: a partition directory when it holds `.log` files, else a log directory whose
    /// `<topic>-<partition>` subdirectories are verified in name order.
    public static func verify(path: String) throws -> Report {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw Failure.notADirectory(path)
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
        if names.contains(where: { $0.hasSuffix(".log") }) { return Report(partitions: [verifyPartition(directory: path)]) }
        let partitions = names.sorted().filter { name in
            var sub: ObjCBool = false
            return !name.hasSuffix("-delete") && LogDirectory.parse(name) != nil
                && FileManager.default.fileExists(atPath: path + "/" + name, isDirectory: &sub) && sub.boolValue
        }
        return Report(partitions: partitions.map { verifyPartition(directory: path + "/" + $0) })
    }

    /// Every segment and index of one partition directory.
    public static func verifyPartition(directory: String) -> Partition {
        let checkpoints = LogInspection.readCheckpoints(directory: directory)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let bases = names.filter { $0.hasSuffix(".log") }.compactMap { Int64($0.dropLast(4)) }.filter { $0 >= 0 }.sorted()
        var result = Partition(directory: directory, segments: bases.count, batches: 0, endOffset: nil,
                               cleanShutdown: checkpoints.cleanShutdown, recoveryPoint: checkpoints.recoveryPoint, problems: [], recovery: [])
        var previousEnd: Int64?
        for (position, base) in bases.enumerated() {
            let isLast = position == bases.count - 1
            let name = Segment.fileName(base, ".log")
            if let previousEnd, previousEnd != base {
                result.problems.append(Problem(file: name, position: nil, offset: previousEnd, kind: "segment_gap",
                                               detail: "segment \(base) does not follow the previous one, which ends at offset \(previousEnd)"))
                result.recovery.append("drops \(name) and every later segment (they do not follow the log)")
                break
            }
            let scan = verifySegment(directory: directory, base: base, isLast: isLast)
            result.batches += scan.batches
            result.problems += scan.problems
            // A damaged segment that is not the last ends where its successor starts.
            previousEnd = isLast || scan.damage.isEmpty ? scan.endOffset : bases[position + 1]
            result.endOffset = previousEnd
            result.problems += verifyIndex(directory: directory, base: base, batchOffsets: scan.batchOffsets, logSize: scan.fileSize)
            if let first = scan.damage.first {
                if isLast {
                    let dropped = scan.batches - scan.batchesBeforeDamage
                    result.recovery.append("cuts \(name) at byte \(first.position) (\(scan.fileSize - first.position) byte(s), offsets from \(first.offset))"
                        + (dropped > 0 ? ", including \(dropped) valid batch(es) after the damage" : "")
                        + " when it scans this segment (after an unclean shutdown, or when the clean-shutdown check finds it)")
                    result.endOffset = first.offset
                } else {
                    for damage in scan.damage {
                        let end = damage.resumeOffset.map(String.init) ?? "\(bases[position + 1])"
                        result.recovery.append("keeps \(name) whole; fetches of offsets [\(damage.offset), \(end)) answer CORRUPT_MESSAGE")
                    }
                }
            }
        }
        for problem in checkpoints.problems {
            result.problems.append(Problem(file: directory, position: nil, offset: nil, kind: "unreadable", detail: problem))
        }
        return result
    }

    struct SegmentScan {
        var batches = 0
        var batchesBeforeDamage = 0
        var endOffset: Int64
        var fileSize = 0
        var problems: [Problem] = []
        var damage: [LogDamage] = []
        /// Byte position → base offset of every valid batch (to check the index against).
        var batchOffsets: [Int: Int64] = [:]
    }

    /// One segment, batch by batch, checking what the broker's reads check and stepping over damage.
    static func verifySegment(directory: String, base: Int64, isLast: Bool) -> SegmentScan {
        let name = Segment.fileName(base, ".log")
        var scan = SegmentScan(endOffset: base)
        let fd = Foundation.open(directory + "/" + name, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            scan.problems.append(Problem(file: name, position: nil, offset: base, kind: "unreadable", detail: String(cString: strerror(errno))))
            return scan
        }
        defer { Foundation.close(fd) }
        do {
            let fileSize = try FileIO.size(fd)
            scan.fileSize = fileSize
            var position = 0
            var expected = base
            while position < fileSize {
                var problem: (LogDamage.Kind, String)?
                var total = 0
                if position + RecordBatchHeader.size > fileSize {
                    problem = (isLast ? .tornTail : .badLength, "\(fileSize - position) byte(s) at the end of the file are not a whole batch header")
                } else {
                    let head = try FileIO.read(fd, at: position, length: RecordBatchHeader.size)
                    let header = RecordBatchHeader(head, at: head.readerIndex)
                    if let header {
                        problem = LogDamage.problem(header, at: position, fileSize: fileSize, expectedOffset: expected, isLastFile: isLast)
                    } else {
                        // The file shrank under the read (a live broker truncated it).
                        problem = (isLast ? .tornTail : .badLength, "\(head.readableBytes) byte(s) read at \(position) are not a whole batch header")
                    }
                    if problem == nil, let header {
                        total = header.totalSize
                        if !RecordBatches.checksumMatches(try FileIO.read(fd, at: position, length: total)) {
                            problem = (.crcMismatch, "the stored CRC-32C does not match the batch's \(total) bytes")
                        } else {
                            scan.batches += 1
                            if scan.damage.isEmpty { scan.batchesBeforeDamage += 1 }
                            scan.batchOffsets[position] = header.baseOffset
                            expected = header.nextOffset
                            position += total
                            continue
                        }
                    }
                }
                let (kind, detail) = problem!
                scan.batchOffsets[position] = expected  // an index entry may rightly point at a damaged batch
                let resume = try Segment.resync(fd: fd, after: position, expectedOffset: expected, fileSize: fileSize)
                scan.damage.append(LogDamage(path: name, position: position, offset: expected, kind: kind, detail: detail,
                                             resumePosition: resume?.position, resumeOffset: resume?.offset))
                scan.problems.append(Problem(file: name, position: position, offset: expected, kind: kind.rawValue, detail: detail,
                                             resumeOffset: resume?.offset))
                guard let resume else { break }
                position = resume.position
                expected = resume.offset
            }
            scan.endOffset = expected
        } catch {
            scan.problems.append(Problem(file: name, position: nil, offset: nil, kind: "unreadable", detail: "\(error)"))
        }
        return scan
    }

    /// The segment's index: whole 16-byte entries, strictly increasing, inside the log, each at the
    /// start of the batch it names. A missing index is not a problem (the broker rebuilds it).
    static func verifyIndex(directory: String, base: Int64, batchOffsets: [Int: Int64], logSize: Int) -> [Problem] {
        let name = Segment.fileName(base, ".index")
        guard let data = FileManager.default.contents(atPath: directory + "/" + name) else { return [] }
        var problems: [Problem] = []
        if data.count % SparseIndex.entrySize != 0 {
            problems.append(Problem(file: name, position: data.count - data.count % SparseIndex.entrySize, offset: nil, kind: "index_malformed",
                                    detail: "\(data.count) bytes is not a whole number of \(SparseIndex.entrySize)-byte entries"))
        }
        var buffer = ByteBuffer(bytes: data)
        var previous: (relative: UInt32, position: UInt32)?
        var entry = 0
        while buffer.readableBytes >= SparseIndex.entrySize {
            guard let relative: UInt32 = buffer.readInteger(endianness: .big), let position: UInt32 = buffer.readInteger(endianness: .big) else { break }
            _ = buffer.readInteger(endianness: .big, as: Int64.self)
            let at = entry * SparseIndex.entrySize
            let offset = base + Int64(relative)
            entry += 1
            if let previous, relative <= previous.relative || position <= previous.position {
                problems.append(Problem(file: name, position: at, offset: offset, kind: "index_out_of_order",
                                        detail: "entry (offset \(offset), byte \(position)) does not follow (offset \(base + Int64(previous.relative)), byte \(previous.position))"))
            } else if Int(position) >= logSize {
                problems.append(Problem(file: name, position: at, offset: offset, kind: "index_outside_log",
                                        detail: "entry for offset \(offset) points at byte \(position) of a \(logSize)-byte log"))
            } else if let found = batchOffsets[Int(position)], found != offset {
                problems.append(Problem(file: name, position: at, offset: offset, kind: "index_entry_mismatch",
                                        detail: "entry for offset \(offset) points at byte \(position), where the batch at offset \(found) starts"))
            } else if batchOffsets[Int(position)] == nil && !batchOffsets.isEmpty {
                problems.append(Problem(file: name, position: at, offset: offset, kind: "index_entry_mismatch",
                                        detail: "entry for offset \(offset) points at byte \(position), which is not the start of a valid batch"))
            }
            previous = (relative, position)
        }
        return problems
    }
}
