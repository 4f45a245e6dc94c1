/// A broker's durability journal, as written by the `SamsaDurability` LD_PRELOAD library
/// (`Sources/SamsaDurability/shim.c` documents the records), replayed into each file's durable
/// length: the prefix a power loss cannot take away.
///
/// What is modelled: file *contents by length*. An fsync/fdatasync makes the file durable up to
/// its size before the call; a truncation or an overwrite lowers the durable length to where it
/// cut or wrote (the bytes that were durable past that point are not kept anywhere, so the model
/// keeps only the prefix before it); a file created while tracked starts with nothing durable.
/// What is not modelled: names. Creations, renames and unlinks count as durable the moment they
/// return, so a file never fsynced is truncated to 0 by a power loss, not removed; directory
/// fsyncs (`D`) are counted but change nothing. Samsa's broker fsyncs the directory after each
/// segment roll and checkpoint rename anyway.
///
/// The journal spans every incarnation of the broker in a run: a file's durable length carries
/// over a crash and restart (the page cache kept the unsynced tail, the disk did not), and a file
/// first seen already existing (before tracking began) counts as durable at its size then.
public struct DurabilityJournal: Sendable, Equatable {
    /// Durable length (bytes) of every file the journal knows, by absolute path.
    public var durableLengths: [String: Int64] = [:]
    /// Files some fsync/fdatasync covered, for the report of a power loss.
    public var synced: Set<String> = []
    /// `V` records: how many processes ran with the library.
    public var processes = 0
    /// `L` records: power losses already applied.
    public var powerLosses = 0
    public var directorySyncs = 0
    /// Malformed or incomplete lines, by line number (1-based), with why.
    public var problems: [String] = []

    public init() {}

    public static func replay(_ text: String) -> DurabilityJournal {
        var journal = DurabilityJournal()
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        // A final piece without its newline was never completely written: one write(2) per record.
        if let last = lines.last {
            if !last.isEmpty { journal.problems.append("line \(lines.count): incomplete last record ignored") }
            lines.removeLast()
        }
        for (index, line) in lines.enumerated() where !line.isEmpty {
            if let problem = journal.apply(line) { journal.problems.append("line \(index + 1): \(problem)") }
        }
        return journal
    }

    /// Applies one record; returns why it is malformed, or nil.
    mutating func apply(_ line: Substring) -> String? {
        guard let kind = line.first, line.dropFirst().first == " " || line.count == 1 else { return "no record kind" }
        let body = line.dropFirst(2)
        switch kind {
        case "V":
            processes += 1
        case "L":
            powerLosses += 1
        case "O":
            let fields = body.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, let existed = Int(fields[0]), let size = Int64(fields[1]), size >= 0, !fields[2].isEmpty else {
                return "open needs <existed> <size> <path>"
            }
            let path = String(fields[2])
            if let durable = durableLengths[path] {
                durableLengths[path] = min(durable, size)
            } else {
                durableLengths[path] = existed == 1 ? size : 0
            }
        case "W", "T", "S":
            let fields = body.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            guard fields.count == 2, let number = Int64(fields[0]), number >= 0, !fields[1].isEmpty else {
                return "\(kind) needs <number> <path>"
            }
            let path = String(fields[1])
            if kind == "S" {
                durableLengths[path] = number
                synced.insert(path)
            } else {
                durableLengths[path] = min(durableLengths[path] ?? number, number)
            }
        case "D":
            guard !body.isEmpty else { return "D needs a path" }
            directorySyncs += 1
        case "U":
            guard !body.isEmpty else { return "U needs a path" }
            forget(String(body))
        case "R":
            let fields = body.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
            guard fields.count == 2, let length = Int(fields[0]), length > 0, fields[1].utf8.count > length + 1 else {
                return "R needs <length> <from> <to>"
            }
            let paths = Array(fields[1].utf8)
            guard paths[length] == UInt8(ascii: " "), let from = String(bytes: paths[..<length], encoding: .utf8),
                  let to = String(bytes: paths[(length + 1)...], encoding: .utf8) else {
                return "R: <length> does not split <from> and <to>"
            }
            rename(from, to)
        default:
            return "unknown record kind '\(kind)'"
        }
        return nil
    }

    /// A file or a directory with everything under it.
    mutating func forget(_ path: String) {
        for key in durableLengths.keys where key == path || key.hasPrefix(path + "/") {
            durableLengths[key] = nil
            synced.remove(key)
        }
    }

    mutating func rename(_ from: String, _ to: String) {
        let moved = durableLengths.filter { $0.key == from || $0.key.hasPrefix(from + "/") }
        let movedSynced = synced.filter { $0 == from || $0.hasPrefix(from + "/") }
        forget(from)
        // Whatever the target was is replaced; an untracked source leaves the target untracked.
        forget(to)
        for (key, length) in moved { durableLengths[to + key.dropFirst(from.count)] = length }
        for key in movedSynced { synced.insert(to + key.dropFirst(from.count)) }
    }
}

/// What a power loss does to the files of one broker: each file the journal knows that is longer
/// than its durable length is cut back to it. Files the journal does not know (they predate
/// tracking, or were written around the library) are left as they are.
public struct PowerLossPlan: Sendable, Equatable {
    public struct Cut: Sendable, Equatable, Codable {
        public var path: String
        public var length: Int64
        public var durableLength: Int64
        public var droppedBytes: Int64 { length - durableLength }

        public init(path: String, length: Int64, durableLength: Int64) {
            self.path = path
            self.length = length
            self.durableLength = durableLength
        }
    }

    /// Sorted by path.
    public var cuts: [Cut]
    public var filesKnown: Int
    public var droppedBytes: Int64 { cuts.reduce(0) { $0 + $1.droppedBytes } }

    /// `currentLengths`: the size now of each file the journal names that still exists.
    public init(journal: DurabilityJournal, currentLengths: [String: Int64]) {
        cuts = journal.durableLengths.compactMap { path, durable in
            guard let length = currentLengths[path], length > durable else { return nil }
            return Cut(path: path, length: length, durableLength: durable)
        }.sorted { $0.path < $1.path }
        filesKnown = journal.durableLengths.count
    }
}
