import Verification

extension RunReport {
    /// The report of a judged run: its span, checks, figures and fault windows, plus what only
    /// the caller knows (the run's name, its playbook, seed, brokers and expectations).
    public init(_ run: CheckedRun, runName: String, playbook: PlaybookSummary, seed: UInt64? = nil, brokers: [Int32],
                expectations: [Expectation]) {
        let span = run.spanNs
        self.init(runName: runName, playbook: playbook, seed: seed, startNs: span.start, endNs: span.end,
                  cluster: ClusterSummary(brokers: brokers, parameters: run.parameters),
                  checks: run.checks, figures: run.figures, faults: run.timeline.faultWindows, expectations: expectations)
    }
}
