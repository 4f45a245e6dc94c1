/// A history and a timeline judged once: every checker and the figures over the same inputs. The
/// last stage before a report, shared by `samsa run`/`samsa check` and the shell's `check`
/// (through Lab's `CheckPipeline`), so both judge a history the same way.
public struct CheckedRun {
    public var history: History
    public var timeline: Timeline
    public var parameters: RunParameters
    public var checks: CheckReport
    public var figures: Figures

    public init(history: History, timeline: Timeline, parameters: RunParameters,
                clients: (exits: [ClientExit], problems: InputProblems)?, replicas: ReplicaDigestInput) {
        self.history = history
        self.timeline = timeline
        self.parameters = parameters
        checks = CheckReport(history: history, timeline: timeline, parameters: parameters, clients: clients, replicas: replicas)
        figures = Figures(history: history, timeline: timeline, parameters: parameters, report: checks)
    }

    /// The first and last time on the history or the timeline (0 when both are empty).
    public var spanNs: (start: Int64, end: Int64) {
        let times = history.ops.map(\.timeNs) + timeline.records.map(\.timeNs)
        let start = times.min() ?? 0
        return (start, times.max() ?? start)
    }
}
