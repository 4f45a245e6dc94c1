/// The fault model's values (`FaultCommand`, `Target`, `Condition`, `FaultKind`) are the lab's
/// vocabulary: every client of the lab (playbooks, the shell, the command line) names them, so the
/// lab carries them along with its own API.
@_exported import FaultModel
