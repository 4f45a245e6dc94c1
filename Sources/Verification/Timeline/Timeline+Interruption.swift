import Foundation

/// The runner's `kind: "interrupted"` record: a signal (SIGINT, SIGTERM) stopped the run before it
/// ended by itself. Its fields: `signal`, `phase` (what the run was doing), `elapsed_ms` (since the
/// workload started, when it had).
public struct RunInterruption: Sendable, Hashable, Codable {
    public var signal: String
    public var phase: String?
    public var elapsedMs: Int64?

    public init(signal: String, phase: String? = nil, elapsedMs: Int64? = nil) {
        self.signal = signal
        self.phase = phase
        self.elapsedMs = elapsedMs
    }

    enum CodingKeys: String, CodingKey {
        case signal, phase
        case elapsedMs = "elapsed_ms"
    }

    /// "interrupted by SIGINT at +6.2 s of the workload".
    public var summary: String {
        var text = "interrupted by \(signal)"
        if let elapsedMs { text += String(format: " at +%.1f s of the workload", Double(elapsedMs) / 1000) }
        else if let phase { text += " while \(phase)" }
        return text
    }
}

extension Timeline {
    /// The first interruption the runner recorded; nil for a run that ended by itself.
    public var interruption: RunInterruption? {
        for record in records {
            if case .interrupted(let interruption) = record.body { return interruption }
        }
        return nil
    }
}
