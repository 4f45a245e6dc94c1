import Foundation

/// The faults an external run has applied and not yet healed, on disk in the executor's state
/// directory (`faults.json`), so that a run that dies — SIGKILL, a lost terminal, a power cut on the
/// runner's machine — leaves behind exactly what must be undone, and the next run heals it before
/// anything else (as the lab's `lab.pid` lets the next `cluster up` find a stale lab). An entry is
/// written before its fault command runs and removed only after its heals succeeded.
///
/// The file names the pid of the run that owns it: a second run on the same state directory while
/// that process lives is refused, since healing its faults under it would break its run.
///
/// Owner: the `ExternalFaultExecutor` actor; every change rewrites the file atomically (a
/// temporary file renamed over it), so a crash leaves the old or the new journal, never half.
public struct FaultJournal: Sendable, Codable, Equatable {
    /// One heal to run: the rendered command for one broker.
    public struct Heal: Sendable, Codable, Equatable {
        public var broker: Int32
        public var action: ExecutorAction
        public var command: String
    }

    /// One applied fault.
    public struct Entry: Sendable, Codable, Equatable {
        public var id: Int
        /// The command in the grammar, for people and for the timeline of the run that heals it.
        public var command: String
        /// The command as a value; nil in journals written before it was recorded (a fault such a
        /// run left is healed from its `heals` alone).
        public var fault: FaultCommand?
        public var kind: ExecutorAction
        public var brokers: [Int32]
        public var heals: [Heal]
        public var startedNs: Int64
        /// The run directory of the run that applied it.
        public var runDirectory: String
    }

    public static let fileName = "faults.json"

    public var ownerPid: Int32
    public var entries: [Entry]

    public init(ownerPid: Int32 = getpid(), entries: [Entry] = []) {
        self.ownerPid = ownerPid
        self.entries = entries
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func path(stateDirectory: String) -> String { stateDirectory + "/" + fileName }

    /// The journal left in `stateDirectory`, nil when there is none.
    public static func load(stateDirectory: String) throws -> FaultJournal? {
        let path = path(stateDirectory: stateDirectory)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(FaultJournal.self, from: data)
        } catch {
            throw Failure(description: "\(path) is not a fault journal Samsa can read (\(error)); "
                          + "undo the faults it lists by hand, then remove it")
        }
    }

    public func save(stateDirectory: String) throws {
        try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: true)
        let path = Self.path(stateDirectory: stateDirectory)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let temporary = path + ".tmp"
        try encoder.encode(self).write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else {
            throw Failure(description: "cannot replace \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// Whether the process that owns the journal is still running (and is not this one).
    public var ownerIsAnotherLiveProcess: Bool {
        ownerPid != getpid() && ownerPid > 0 && (kill(ownerPid, 0) == 0 || errno == EPERM)
    }
}
