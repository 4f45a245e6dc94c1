import Foundation
import Yams

/// Which files the loaders read, and how much of a file they may repeat back.
///
/// Playbooks, schedule files and suites name other files by path (`schedule: …`, `cases_from: …`,
/// `--schedule`), so a mistyped or hostile path can point anywhere (`schedule: /etc/shadow`).
/// Diagnostics quote keys and values, so before anything of a file is quoted it must look like
/// what it is meant to be:
/// - its name ends in `.yaml` or `.yml` — otherwise it is not opened at all;
/// - it is at most `maxBytes` long and UTF-8 text;
/// - it parses as YAML (a syntax error gives its line and column and the parser's words, never the
///   text), and its top level is a mapping holding at least one key of its kind (`topics`,
///   `workload`, … for a playbook; `steps` or `random` for a schedule; `cases` or `bugs` for a
///   suite).
/// A file that fails one of these gets a single message about the file as a whole that quotes
/// nothing from it. Only a file that passes gets the usual `file:line:column` diagnostics, which
/// may quote its own keys and values.
enum SourceFile {
    /// A playbook of 1,000 steps (the limit) is about 60 KB; 1 MiB leaves room for comments and
    /// bounds the time spent parsing a file that is not a playbook at all.
    static let maxBytes = 1 << 20
    static let extensions = ["yaml", "yml"]

    /// The text of `path`, or nil with one diagnostic (recorded in `r`) that quotes nothing of it.
    static func read(_ path: String, _ what: String, _ r: YAMLReader) -> String? {
        let name = URL(fileURLWithPath: path).lastPathComponent
        guard extensions.contains(URL(fileURLWithPath: path).pathExtension.lowercased()) else {
            r.report(line: 0, column: 0, "'\(name)' is not read as a \(what): \(what) files must end in .yaml or .yml")
            return nil
        }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              (attributes[.type] as? FileAttributeType) == .typeRegular else {
            r.report(line: 0, column: 0, "cannot read the \(what) (no such file, not a regular file, or not readable)")
            return nil
        }
        if let size = attributes[.size] as? Int, size > maxBytes {
            r.report(line: 0, column: 0, "the \(what) is \(size) bytes; at most \(maxBytes) are read")
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            r.report(line: 0, column: 0, "cannot read the \(what) (not readable)")
            return nil
        }
        guard let text = String(data: data, encoding: .utf8) else {
            r.report(line: 0, column: 0, "the \(what) is not UTF-8 text")
            return nil
        }
        return text
    }

    /// The document's root when it is a mapping with at least one of `keys`; otherwise nil with
    /// one diagnostic that quotes nothing of the file.
    static func document(_ text: String, _ what: String, keys: [String], _ r: YAMLReader) -> Node? {
        guard let root = r.compose(text) else { return nil }
        guard case .mapping(let mapping) = root else {
            r.report(line: 0, column: 0, "this is not a \(what): its top level is not a mapping of keys to values")
            return nil
        }
        let named = mapping.compactMap { $0.key.scalar?.string }
        guard named.contains(where: keys.contains) else {
            r.report(line: 0, column: 0, "this is not a \(what): none of its top-level keys is one of \(keys.joined(separator: ", "))")
            return nil
        }
        return root
    }
}
