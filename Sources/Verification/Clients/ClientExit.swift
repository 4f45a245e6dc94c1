import Foundation

/// How one workload process (a producer, consumer or the final reader) ended: one line of a run's
/// `clients.jsonl`, written by the lab when it reaps the process.
public struct ClientExit: Sendable, Hashable, Codable {
    public var process: String
    public var pid: Int32
    public var startedNs: Int64
    public var endedNs: Int64
    /// The exit code when the process exited; nil when a signal ended it.
    public var exitCode: Int32?
    /// The signal that ended it, if one did.
    public var signal: Int32?
    /// It did not end within its bound and the lab had to stop it.
    public var overran: Bool
    /// The fatal client error it reported (librdkafka's `err.fatal()`), if any.
    public var error: String?

    public init(process: String, pid: Int32, startedNs: Int64, endedNs: Int64, exitCode: Int32?, signal: Int32?,
                overran: Bool, error: String?) {
        self.process = process
        self.pid = pid
        self.startedNs = startedNs
        self.endedNs = endedNs
        self.exitCode = exitCode
        self.signal = signal
        self.overran = overran
        self.error = error
    }

    enum CodingKeys: String, CodingKey {
        case process, pid, signal, overran, error
        case startedNs = "started_ns"
        case endedNs = "ended_ns"
        case exitCode = "exit_code"
    }

    /// The final reader's status when it could not read every partition to its end: the lost-write
    /// and unseen checks judge that (unknown), not the client check.
    public static let finalReadIncomplete: Int32 = 3
    public static let finalReader = "final-reader"

    /// Whether the process failed as a client: died by a signal, exited non-zero, overran its bound
    /// or reported a fatal client error.
    public var failed: Bool {
        if overran || signal != nil || error != nil { return true }
        guard let exitCode else { return true }
        if exitCode == 0 { return false }
        return !(process == Self.finalReader && exitCode == Self.finalReadIncomplete)
    }

    /// "exited with 4: FATAL client error: …", "killed by signal 9", "overran its bound; stopped by the lab".
    public var summary: String {
        var parts: [String] = []
        if let signal { parts.append("killed by signal \(signal)") }
        if let exitCode { parts.append("exited with \(exitCode)") }
        if overran { parts.append("did not end within its bound; stopped by the lab") }
        if let error { parts.append(error) }
        return parts.joined(separator: "; ")
    }

    /// Reads `clients.jsonl`; nil when the file does not exist (a run from before client exits were
    /// recorded). Unreadable lines are problems.
    public static func load(path: String) -> (exits: [ClientExit], problems: InputProblems)? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let decoded = JSONL.read(ClientExit.self, path: path, source: (path as NSString).lastPathComponent)
        return (decoded.items, decoded.problems)
    }
}

/// A workload process that did not end as a client should.
public struct ClientFailure: Sendable, Hashable, Codable {
    public var process: String
    public var summary: String
    public var exitCode: Int32?
    public var signal: Int32?
    public var overran: Bool
    public var error: String?
    public var endedNs: Int64?

    enum CodingKeys: String, CodingKey {
        case process, summary, signal, overran, error
        case exitCode = "exit_code"
        case endedNs = "ended_ns"
    }
}

/// The `clients` check: every workload process whose operations are in the history ended cleanly.
/// A client that died, was killed, overran its bound or reported a fatal error makes the run
/// invalid: its history stops early, and a fatal error (an idempotent producer's
/// OUT_OF_ORDER_SEQUENCE_NUMBER, say) is itself evidence against the broker. A process of the
/// history whose end was not recorded makes the verdict unknown.
enum ClientChecker {
    static func check(history: History, clients: (exits: [ClientExit], problems: InputProblems)?, limit: Int) -> CheckResult<ClientFailure> {
        guard let clients else {
            return CheckResult(checker: "clients", verdict: .unknown, count: 0, anomalies: [],
                               notes: ["the run recorded no client exits (clients.jsonl): whether every client ended cleanly is unknown"])
        }
        var failures: [ClientFailure] = []
        var ended: Set<String> = []
        for exit in clients.exits {
            ended.insert(exit.process)
            guard exit.failed else { continue }
            failures.append(ClientFailure(process: exit.process, summary: exit.summary, exitCode: exit.exitCode, signal: exit.signal,
                                          overran: exit.overran, error: exit.error, endedNs: exit.endedNs))
        }
        var notes: [String] = []
        let unrecorded = history.processNames.filter { !ended.contains($0) }
        var result = CheckResult.judge("clients", anomalies: failures, limit: limit, problems: clients.problems, notes: notes)
        if result.verdict == .valid && !unrecorded.isEmpty {
            result.verdict = .unknown
            notes.append("no recorded end for \(unrecorded.prefix(5).joined(separator: ", "))\(unrecorded.count > 5 ? " and \(unrecorded.count - 5) more" : "")")
            result.notes += notes
        }
        return result
    }
}
