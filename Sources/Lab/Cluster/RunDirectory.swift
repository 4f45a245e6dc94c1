import Foundation

/// A lab's run directory. `lab.pid` marks it in use; a directory whose lab process is gone is stale:
/// its leftover processes (listed with their start times in `processes.json`, so a recycled pid is
/// never hit) are killed and its contents removed before a new lab starts there.
public struct RunDirectory: Sendable {
    public let path: String

    public struct InUse: Error, CustomStringConvertible {
        public let path: String
        public let pid: Int32
        public var description: String { "a lab (pid \(pid)) is already running in \(path); stop it or use another --dir" }
    }

    /// A non-empty directory that no lab ever used: never cleaned, never used.
    public struct NotALabDirectory: Error, CustomStringConvertible {
        public let path: String
        public var description: String { "\(path) is not empty and holds no lab; choose an empty or new directory" }
    }

    public init(path: String) {
        self.path = (path as NSString).standardizingPath.hasPrefix("/") ? (path as NSString).standardizingPath
            : FileManager.default.currentDirectoryPath + "/" + path
    }

    var pidFile: String { path + "/lab.pid" }
    var processesFile: String { path + "/processes.json" }

    /// Claims the directory for this process, cleaning a stale one. Returns what was cleaned.
    public func claim() throws -> [String] {
        var cleaned: [String] = []
        let manager = FileManager.default
        let entries = (try? manager.contentsOfDirectory(atPath: path)) ?? []
        if !entries.isEmpty && !manager.fileExists(atPath: pidFile) && !manager.fileExists(atPath: processesFile) {
            throw NotALabDirectory(path: path)
        }
        if let text = try? String(contentsOfFile: pidFile, encoding: .utf8), let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
            if pid != getpid() && kill(pid, 0) == 0 && ProcessTable.commandLine(of: pid).contains("samsa") {
                throw InUse(path: path, pid: pid)
            }
            cleaned.append("stale lab (pid \(pid) is gone)")
        }
        for process in recordedProcesses() where ProcessTable.startTime(of: process.pid) == process.startTime {
            kill(-process.pid, SIGKILL)
            kill(process.pid, SIGKILL)
            cleaned.append("killed leftover \(process.name) (pid \(process.pid))")
        }
        if manager.fileExists(atPath: path) {
            for item in try manager.contentsOfDirectory(atPath: path) { try manager.removeItem(atPath: path + "/" + item) }
        }
        try manager.createDirectory(atPath: path, withIntermediateDirectories: true)
        try "\(getpid())\n".write(toFile: pidFile, atomically: true, encoding: .utf8)
        return cleaned
    }

    public struct RecordedProcess: Codable, Sendable, Equatable {
        public var name: String
        public var pid: Int32
        public var startTime: UInt64
    }

    public func recordedProcesses() -> [RecordedProcess] {
        guard let data = FileManager.default.contents(atPath: processesFile) else { return [] }
        return (try? JSONDecoder().decode([RecordedProcess].self, from: data)) ?? []
    }

    public func record(_ processes: [RecordedProcess]) {
        if let data = try? JSONEncoder().encode(processes) { try? data.write(to: URL(fileURLWithPath: processesFile), options: .atomic) }
    }

    public func release() {
        unlink(pidFile)
        unlink(processesFile)
    }
}

/// Reads `/proc` to tell a live process from a recycled pid.
public enum ProcessTable {
    /// Field 22 of /proc/<pid>/stat: start time in clock ticks since boot; 0 when the pid is gone.
    public static func startTime(of pid: Int32) -> UInt64 {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 19 ? UInt64(fields[19]) ?? 0 : 0
    }

    public static func commandLine(of pid: Int32) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }

    /// Whether the process is alive and not a zombie.
    public static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return false }
        let state = stat[stat.index(after: close)...].split(separator: " ").first
        return state != "Z" && state != "X"
    }
}
