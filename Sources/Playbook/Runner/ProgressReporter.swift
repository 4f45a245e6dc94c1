import Foundation
import Lab
import NIOConcurrencyHelpers

/// The live display of `samsa run`: on a terminal one status line redrawn in place (step i/n,
/// elapsed, active faults, sent/acked/failed/indeterminate, ISR of the partitions, lag); otherwise a
/// plain line every few seconds. Events (steps, heals, phases) are printed as their own lines.
public final class ProgressReporter: Sendable {
    let interactive: Bool
    let quiet: Bool
    private let state = NIOLockedValueBox(State())

    struct State {
        var lastLineMs: Int64 = -10_000
        var counts = Counts()
        var offsets: [String: UInt64] = [:]
        var statusShown = false
    }

    public struct Counts: Sendable, Equatable {
        public var sent = 0, acked = 0, failed = 0, indeterminate = 0, read = 0
    }

    public init(interactive: Bool, quiet: Bool = false) {
        self.interactive = interactive
        self.quiet = quiet
    }

    public func phase(_ text: String) { line("» \(text)") }
    public func event(_ text: String) { line("  \(text)") }

    private func line(_ text: String) {
        guard !quiet else { return }
        let clear = state.withLockedValue { state -> Bool in
            defer { state.statusShown = false }
            return state.statusShown && interactive
        }
        StandardStreams.writeError(((clear ? "\r\u{1B}[2K" : "") + text + "\n"))
    }

    func tick(elapsedMs: Int64, durationMs: Int64, stepsDone: Int, stepsTotal: Int, session: any ScheduleSession, histories: String) async {
        guard !quiet else { return }
        let due = state.withLockedValue { state -> Bool in
            let every: Int64 = interactive ? 500 : 5000
            guard elapsedMs - state.lastLineMs >= every else { return false }
            state.lastLineMs = elapsedMs
            return true
        }
        guard due else { return }
        let counts = countOperations(histories)
        let (faults, snapshot) = await session.progressView()
        let isr = snapshot.partitions.filter { !$0.topic.hasPrefix("__") }.prefix(6)
            .map { "\($0.topic)/\($0.partition):\($0.leader < 0 ? "-" : String($0.leader))[\($0.isr.map(String.init).joined(separator: ","))]" }.joined(separator: " ")
        let maxLag = snapshot.lag.map(\.lag).max()
        let text = String(format: "[%3.0fs/%.0fs] steps %d/%d | faults %@ | sent %d acked %d failed %d info %d read %d | %@%@",
                          Double(elapsedMs) / 1000, Double(durationMs) / 1000, stepsDone, stepsTotal,
                          faults.isEmpty ? "none" : faults.map(\.description).joined(separator: "; "),
                          counts.sent, counts.acked, counts.failed, counts.indeterminate, counts.read, isr,
                          maxLag.map { " | lag \($0)" } ?? "")
        if interactive {
            StandardStreams.writeError(("\r\u{1B}[2K" + String(text.prefix(terminalWidth()))))
            state.withLockedValue { $0.statusShown = true }
        } else {
            StandardStreams.writeError((text + "\n"))
        }
    }

    /// Counts sends and reads in the workload histories, reading only what was appended since the last call.
    func countOperations(_ directory: String) -> Counts {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".jsonl") }) ?? []
        return state.withLockedValue { state in
            for file in files {
                guard let handle = FileHandle(forReadingAtPath: directory + "/" + file) else { continue }
                defer { try? handle.close() }
                let start = state.offsets[file] ?? 0
                try? handle.seek(toOffset: start)
                guard let data = try? handle.readToEnd(), let last = data.lastIndex(of: 0x0A) else { continue }
                let chunk = data[data.startIndex...last]
                for line in chunk.split(separator: 0x0A) {
                    let text = String(decoding: line, as: UTF8.self)
                    if text.contains("\"f\":\"send\"") {
                        if text.contains("\"type\":\"invoke\"") { state.counts.sent += 1 }
                        else if text.contains("\"type\":\"ok\"") { state.counts.acked += 1 }
                        else if text.contains("\"type\":\"fail\"") { state.counts.failed += 1 }
                        else if text.contains("\"type\":\"info\"") { state.counts.indeterminate += 1 }
                    } else if text.contains("\"type\":\"ok\"") && text.contains("\"f\":\"poll\"") {
                        state.counts.read += text.components(separatedBy: "\"offset\":").count - 1
                    }
                }
                state.offsets[file] = start + UInt64(chunk.count)
            }
            return state.counts
        }
    }

    func terminalWidth() -> Int {
        var size = winsize()
        return ioctl(STDERR_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 20 ? Int(size.ws_col) - 1 : 160
    }
}
