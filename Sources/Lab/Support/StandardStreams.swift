import Foundation

/// Writes to standard output and standard error with `write(2)`, treating a reader that went away
/// as a normal end instead of a crash.
///
/// `FileHandle.write(_:)` traps on any error ("Fatal error: 'try!' ... Broken pipe") once SIGPIPE is
/// ignored, as it is in every samsa process (`ignoreBrokenPipes()`, and SwiftNIO's own): `samsa
/// topics describe --json | head -1` would die with SIGILL and a backtrace. Here EPIPE on standard
/// output ends the process with status 0 by default (nobody reads what is left; a pipeline's
/// status is the reader's business), or only stops writing (`exitOnClosedOutput = false`, for
/// long-running commands that must shut down their children first); EPIPE on standard error drops
/// the message. Other errors drop the write too: output is never a reason to crash.
public enum StandardStreams {
    /// Whether a closed standard output ends the process (status 0). Long-running commands that own
    /// child processes (`cluster up`, `run`, `suite`, `shell`, `broker`) set it to false at startup,
    /// so their shutdown still runs, and so do commands whose exit status is their answer (`check`,
    /// `validate`, `fault`); their later output is dropped and they exit as they would have.
    // nonisolated(unsafe): written once at startup, before any other thread writes, then only read.
    public nonisolated(unsafe) static var exitOnClosedOutput = true

    /// Ignores SIGPIPE, so a closed pipe shows up as EPIPE on the write. Call first thing in main.
    public static func ignoreBrokenPipes() {
        signal(SIGPIPE, SIG_IGN)
    }

    public static func writeOutput(_ text: String) { writeOutput(Data(text.utf8)) }

    public static func writeOutput(_ data: Data) {
        // Text written with `print` may sit in the C buffer: it goes first, in order.
        fflush(nil)
        if writeAll(data, to: STDOUT_FILENO) == EPIPE, exitOnClosedOutput { exit(0) }
    }

    public static func writeError(_ text: String) { writeError(Data(text.utf8)) }

    public static func writeError(_ data: Data) {
        _ = writeAll(data, to: STDERR_FILENO)
    }

    /// Writes all of `data`; returns 0 or the errno that stopped it.
    private static func writeAll(_ data: Data, to descriptor: Int32) -> Int32 {
        data.withUnsafeBytes { buffer -> Int32 in
            guard var pointer = buffer.baseAddress else { return 0 }
            var left = buffer.count
            while left > 0 {
                let written = write(descriptor, pointer, left)
                if written < 0 {
                    if errno == EINTR { continue }
                    return errno
                }
                left -= written
                pointer += written
            }
            return 0
        }
    }
}
