import Verification

/// A clean exit for every process of `history`, as the lab records them when each ends by itself.
func cleanExits(_ history: History) -> (exits: [ClientExit], problems: InputProblems) {
    (history.processNames.map { ClientExit(process: $0, pid: 1, startedNs: 0, endedNs: 0, exitCode: 0, signal: nil, overran: false, error: nil) },
     InputProblems())
}
