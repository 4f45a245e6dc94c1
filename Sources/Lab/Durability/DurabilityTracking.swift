import Foundation

/// Durability tracking of a lab's brokers: where the LD_PRELOAD library is, what environment a
/// tracked broker starts with, and the power loss itself (kill first, then `rollBack`).
///
/// A cluster is tracked when it is started so (`LocalCluster.Spec.durabilityLibrary`): `samsa run`
/// does it when a step of the plan uses `power-loss`, `samsa cluster up --track-durability` and the
/// shell's `cluster up --track-durability` on request. Untracked clusters refuse `power-loss`.
public enum DurabilityTracking {
    public static let libraryName = "libSamsaDurability.so"
    /// In the broker's directory, beside (not inside) its data directory, so rolling back the data
    /// never touches the journal.
    public static let journalName = "durability.journal"

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The library next to the `samsa` binary (`swift build` puts both in `.build/<config>/`).
    public static func locateLibrary(samsaBinary: String) throws -> String {
        let directory = URL(fileURLWithPath: samsaBinary).resolvingSymlinksInPath().deletingLastPathComponent().path
        let path = directory + "/" + libraryName
        guard FileManager.default.isReadableFile(atPath: path) else {
            throw Failure(description: "power-loss needs \(libraryName) next to samsa (\(path) is missing); "
                + "`swift build` builds it, `swift build -c release --product SamsaDurability` for the release binary (scripts/setup does)")
        }
        return path
    }

    /// Variables a tracked broker starts with.
    public static func environment(library: String, dataDirectory: String, journal: String,
                                   inherited: [String: String] = ProcessInfo.processInfo.environment) -> [String: String] {
        let preload = [library] + (inherited["LD_PRELOAD"].map { [$0] } ?? [])
        return [
            "LD_PRELOAD": preload.joined(separator: ":"),
            "SAMSA_DURABILITY_ROOT": dataDirectory,
            "SAMSA_DURABILITY_JOURNAL": journal,
        ]
    }

    /// What one broker lost.
    public struct RollBack: Sendable, Equatable {
        public var broker: Int32
        public var plan: PowerLossPlan
        public var journalProblems: [String]
    }

    /// Cuts every file of a broker that is no longer running back to its durable length, and
    /// appends an `L` record to its journal. The broker must be dead: a live one would go on
    /// writing through descriptors whose files just shrank.
    public static func rollBack(broker: Int32, journalPath: String) throws -> RollBack {
        guard let data = FileManager.default.contents(atPath: journalPath) else {
            throw Failure(description: "broker \(broker) has no durability journal at \(journalPath): was it started with tracking?")
        }
        let journal = DurabilityJournal.replay(String(decoding: data, as: UTF8.self))
        guard journal.processes > 0 else {
            throw Failure(description: "broker \(broker)'s durability journal names no process: the library did not load (LD_PRELOAD)")
        }
        var lengths: [String: Int64] = [:]
        for path in journal.durableLengths.keys {
            var info = stat()
            if lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { lengths[path] = Int64(info.st_size) }
        }
        let plan = PowerLossPlan(journal: journal, currentLengths: lengths)
        for cut in plan.cuts where truncate(cut.path, off_t(cut.durableLength)) != 0 {
            throw Failure(description: "power-loss: cannot truncate \(cut.path) to \(cut.durableLength): \(String(cString: strerror(errno)))")
        }
        let fd = open(journalPath, O_WRONLY | O_APPEND | O_CLOEXEC)
        if fd >= 0 {
            let line = "L \(plan.cuts.count) \(plan.droppedBytes)\n"
            _ = line.withCString { write(fd, $0, strlen($0)) }
            close(fd)
        }
        return RollBack(broker: broker, plan: plan, journalProblems: journal.problems)
    }
}
