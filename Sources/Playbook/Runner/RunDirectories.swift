import Foundation

/// Where runs write: a fresh directory per run, never one that already holds something.
public enum RunDirectories {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// Creates `requested`, or `runs/<name>-<time>` when nil, and returns its absolute path. An
    /// existing non-empty directory is refused so a run never mixes with an earlier one.
    public static func prepare(_ requested: String?, name: String, now: Date = Date()) throws -> String {
        let path = requested ?? "runs/\(safeName(name))-\(timestamp(now))"
        let url = URL(fileURLWithPath: path).standardized
        let manager = FileManager.default
        var isDirectory: ObjCBool = false
        if manager.fileExists(atPath: url.path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw Failure(description: "\(path) exists and is not a directory") }
            let contents = (try? manager.contentsOfDirectory(atPath: url.path)) ?? []
            guard contents.isEmpty else { throw Failure(description: "\(path) already holds files; choose another --out or remove it") }
        }
        do {
            try manager.createDirectory(at: url, withIntermediateDirectories: true)
        } catch {
            throw Failure(description: "cannot create \(path): \(error.localizedDescription)")
        }
        return url.path
    }

    static func safeName(_ name: String) -> String {
        let cleaned = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "-" })
        return cleaned.isEmpty ? "run" : String(cleaned.prefix(60))
    }

    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return formatter.string(from: date)
    }

    /// A suite file has a top-level `cases:` or `bugs:` key; a playbook never does.
    public static func looksLikeSuite(_ path: String) -> Bool {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else { return false }
        return text.split(separator: "\n").contains { $0.hasPrefix("cases:") || $0.hasPrefix("bugs:") }
    }
}
