import Foundation

/// A Java-style `.properties` file as Kafka reads `server.properties`: `key=value` or `key: value`
/// lines, `#` and `!` comments, blank lines, and a trailing backslash continuing a line. Each entry
/// keeps its line number so a bad key or value is reported where the user can find it.
public struct PropertiesFile: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var value: String
        /// 1-based line of the key in the file; 0 for values given on the command line.
        public var line: Int
        public var source: String
    }

    public var entries: [Entry]

    public init(entries: [Entry] = []) { self.entries = entries }

    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public var source: String
        public var line: Int
        public var message: String
        public var description: String { "\(source):\(line): \(message)" }
    }

    public static func load(path: String) throws -> PropertiesFile {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ParseError(source: path, line: 0, message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ParseError(source: path, line: 0, message: "the file is not UTF-8 text")
        }
        return try parse(text, source: path)
    }

    public static func parse(_ text: String, source: String) throws -> PropertiesFile {
        var entries: [Entry] = []
        var pending = ""
        var pendingLine = 0
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = String(rawLine)
            if line.hasSuffix("\r") { line.removeLast() }
            if pending.isEmpty {
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") || trimmed.hasPrefix("!") { continue }
                pendingLine = index + 1
                line = trimmed
            } else {
                line = line.trimmingCharacters(in: .whitespaces)
            }
            if line.hasSuffix("\\") {
                pending += String(line.dropLast())
                continue
            }
            pending += line
            entries.append(try entry(from: pending, line: pendingLine, source: source))
            pending = ""
        }
        if !pending.isEmpty { entries.append(try entry(from: pending, line: pendingLine, source: source)) }
        return PropertiesFile(entries: entries)
    }

    /// Parses `key=value` given with `--override`.
    public static func override(_ text: String) throws -> Entry {
        try entry(from: text, line: 0, source: "--override")
    }

    static func entry(from text: String, line: Int, source: String) throws -> Entry {
        guard let separator = text.firstIndex(where: { $0 == "=" || $0 == ":" }) else {
            throw ParseError(source: source, line: line, message: "expected key=value, found '\(text)'")
        }
        let key = text[..<separator].trimmingCharacters(in: .whitespaces)
        let value = text[text.index(after: separator)...].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else { throw ParseError(source: source, line: line, message: "empty key in '\(text)'") }
        return Entry(key: key, value: value, line: line, source: source)
    }
}
