import Foundation
import Verification

/// The stages from a lab's clients to a judged run: read every partition back, merge the
/// clients' histories, load them and judge them (`CheckedRun`). The shell's `check` and the
/// playbook runner (and `samsa check DIR`) both go through it; what differs between them (the
/// read's bound, where the timeline and the replica digest come from) is a parameter.
public enum CheckPipeline {
    /// The merged history, in the workloads' directory.
    public static let historyFile = "history.jsonl"

    /// Reads every partition of `topics` back from the start with a real consumer. A read of its
    /// own each time: an earlier final read's history is removed first. Returns the reader's exit
    /// status (not 0: it missed a high watermark; what it missed is unknown, not lost).
    public static func readBack(_ workloads: Workloads, topics: [String], timeoutSeconds: Double,
                                shouldStop: @escaping () -> Bool = { false }) throws -> Int32 {
        try? FileManager.default.removeItem(atPath: workloads.directory + "/histories/final-reader.jsonl")
        return try workloads.finalRead(topics: topics, timeoutSeconds: timeoutSeconds, shouldStop: shouldStop)
    }

    /// Merges every client's history into `history.jsonl` of the workloads' directory; returns its path.
    @discardableResult
    public static func merge(_ workloads: Workloads) throws -> String {
        let path = workloads.directory + "/" + historyFile
        try HistoryMerge.merge(directory: workloads.directory + "/histories", into: path)
        return path
    }

    /// Loads `history.jsonl` and the clients' exits of `directory` and judges them with the
    /// given timeline and replica digest.
    public static func judge(directory: String, timeline: Timeline, parameters: RunParameters, replicas: ReplicaDigestInput) -> CheckedRun {
        CheckedRun(history: History.load(path: directory + "/" + historyFile), timeline: timeline, parameters: parameters,
                   clients: ClientExit.load(path: directory + "/" + Workloads.clientsFile), replicas: replicas)
    }
}
