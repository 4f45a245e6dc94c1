/// A broker process that ended while the lab watched it without the lab ending it: a crash of
/// its own (a failed assertion, a fatal signal, an exit on an error it could not handle) or a
/// kill from outside the lab.
public struct BrokerExit: Sendable, Hashable, Codable {
    public var broker: Int32
    public var pid: Int32?
    public var timeNs: Int64
    public var exitCode: Int32?
    public var signal: Int32?
    /// The last lines the broker wrote before it ended, when the lab could read them.
    public var lastOutput: String?

    enum CodingKeys: String, CodingKey {
        case broker, pid, signal
        case timeNs = "time_ns"
        case exitCode = "exit_code"
        case lastOutput = "last_output"
    }
}

/// The `brokers` check: every broker the lab started stayed up until the lab itself stopped,
/// crashed or killed it. A broker that ended on its own makes the run invalid: the brief of every
/// fault schedule is that the brokers survive what it does to them, and a broker that dies (on a
/// failed assertion, say) took with it whatever state it would have been judged on. Judged from
/// the timeline's process records (`ProcessRecord.unplanned`); unknown when the timeline has no
/// record of a broker the lab started (an external cluster, or a run from before the lab recorded
/// them).
enum BrokerExitChecker {
    static let name = "brokers"

    static func check(_ timeline: Timeline, limit: Int) -> CheckResult<BrokerExit> {
        var exits: [BrokerExit] = []
        var watched: Set<Int32> = []
        for (time, process) in timeline.processes {
            guard let broker = BrokerName.id(process.name) else { continue }
            if process.state == .started { watched.insert(broker) }
            guard process.unplanned == true else { continue }
            exits.append(BrokerExit(broker: broker, pid: process.pid, timeNs: time, exitCode: process.exitCode,
                                    signal: process.signal, lastOutput: process.lastOutput))
        }
        var notes: [String] = []
        if watched.isEmpty {
            notes.append("the timeline records no broker the lab started: whether the brokers stayed up is unknown")
        } else {
            notes.append("watched broker(s) \(watched.sorted().map(String.init).joined(separator: ", ")) for exits the lab did not cause")
        }
        var result = CheckResult.judge(name, anomalies: exits, limit: limit, problems: timeline.problems, notes: notes)
        if watched.isEmpty && result.verdict == .valid { result.verdict = .unknown }
        return result
    }
}
