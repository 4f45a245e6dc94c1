import Foundation
import SamsaConfig
import Yams

/// Reads a YAML document into typed values while collecting every problem with its line and
/// column. Accessors return nil after recording a problem, so a caller keeps going and the user
/// sees all mistakes at once instead of one per run.
final class YAMLReader {
    let file: String
    private(set) var diagnostics: [PlaybookDiagnostic] = []

    init(file: String) { self.file = file }

    /// Parses `text`; a syntax error is recorded with its position and nil returned.
    func compose(_ text: String) -> Node? {
        do {
            guard let root = try Yams.compose(yaml: text) else {
                report(line: 0, column: 0, "the file is empty")
                return nil
            }
            return root
        } catch let error as YamlError {
            switch error {
            case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
                 .composer(let context, let problem, let mark, _):
                report(line: mark.line, column: mark.column, "invalid YAML: \(problem)" + (context.map { " (\($0.text))" } ?? ""))
            case .duplicatedKeysInMapping(let duplicates, let context):
                report(line: context.mark.line, column: context.mark.column,
                       "duplicate key\(duplicates.count == 1 ? "" : "s") \(duplicates.map { "'\($0)'" }.joined(separator: ", "))")
            case .reader(let problem, _, _, _):
                report(line: 0, column: 0, "cannot read the file: \(problem)")
            default:
                report(line: 0, column: 0, "invalid YAML: \(error)")
            }
            return nil
        } catch {
            report(line: 0, column: 0, "invalid YAML: \(error)")
            return nil
        }
    }

    func report(line: Int, column: Int, _ message: String) {
        diagnostics.append(PlaybookDiagnostic(file: file, line: line, column: column, message: message))
    }

    func report(_ node: Node?, _ message: String) {
        let mark = node?.mark
        report(line: mark?.line ?? 0, column: mark?.column ?? 0, message)
    }

    // MARK: Shapes

    /// A mapping whose keys must come from `allowed`: an unknown key is reported at the key, with
    /// the nearest allowed key as a hint. Returns the entries by key (with each key's node, for
    /// positions) in document order.
    func mapping(_ node: Node, _ what: String, allowed: [String]) -> Fields? {
        guard case .mapping(let mapping) = node else {
            report(node, "\(what) must be a mapping (key: value lines), not \(kind(of: node))")
            return nil
        }
        var fields = Fields(node: node)
        for (key, value) in mapping {
            guard let name = key.scalar?.string else {
                report(key, "\(what): keys must be plain words")
                continue
            }
            guard allowed.contains(name) else {
                let hint = NearestName.closest(to: name, among: allowed).map { "; did you mean '\($0)'?" } ?? ""
                report(key, "unknown key '\(name)' in \(what)\(hint) (expected one of: \(allowed.joined(separator: ", ")))")
                continue
            }
            fields.entries.append((name, key, value))
        }
        return fields
    }

    /// A mapping of free-form keys (broker properties, topic configs) to scalar values.
    func stringMap(_ node: Node, _ what: String) -> [(key: String, keyNode: Node, value: String, valueNode: Node)]? {
        guard case .mapping(let mapping) = node else {
            report(node, "\(what) must be a mapping of names to values, not \(kind(of: node))")
            return nil
        }
        var entries: [(key: String, keyNode: Node, value: String, valueNode: Node)] = []
        for (key, value) in mapping {
            guard let name = key.scalar?.string, let text = value.scalar?.string else {
                report(value.scalar == nil ? value : key, "\(what): every entry must be a name and a single value")
                continue
            }
            entries.append((name, key, text, value))
        }
        return entries
    }

    func sequence(_ node: Node, _ what: String) -> [Node]? {
        guard case .sequence(let sequence) = node else {
            report(node, "\(what) must be a list (lines starting with '- '), not \(kind(of: node))")
            return nil
        }
        return Array(sequence)
    }

    // MARK: Scalars

    func string(_ node: Node, _ what: String) -> String? {
        guard let scalar = node.scalar else {
            report(node, "\(what) must be a single value, not \(kind(of: node))")
            return nil
        }
        return scalar.string
    }

    func bool(_ node: Node, _ what: String) -> Bool? {
        guard let scalar = node.scalar, scalar.style == .plain, let value = node.bool else {
            report(node, "\(what) must be true or false, not \(describe(node))")
            return nil
        }
        return value
    }

    func int(_ node: Node, _ what: String, in range: ClosedRange<Int>) -> Int? {
        guard let scalar = node.scalar, scalar.style == .plain, let value = Int(scalar.string) else {
            report(node, "\(what) must be a whole number, not \(describe(node))")
            return nil
        }
        guard range.contains(value) else {
            report(node, "\(what) must be between \(range.lowerBound) and \(range.upperBound), not \(value)")
            return nil
        }
        return value
    }

    func double(_ node: Node, _ what: String, in range: ClosedRange<Double>) -> Double? {
        guard let scalar = node.scalar, scalar.style == .plain, let value = Double(scalar.string), value.isFinite else {
            report(node, "\(what) must be a number, not \(describe(node))")
            return nil
        }
        guard range.contains(value) else {
            report(node, "\(what) must be between \(range.lowerBound) and \(range.upperBound), not \(scalar.string)")
            return nil
        }
        return value
    }

    /// A duration with a unit (`500ms`, `5s`, `2m`, `1h`), in milliseconds.
    func duration(_ node: Node, _ what: String, in range: ClosedRange<Int64>) -> Int64? {
        guard let scalar = node.scalar else {
            report(node, "\(what) must be a duration like 5s or 300ms, not \(kind(of: node))")
            return nil
        }
        guard let ms = Self.parseDuration(scalar.string) else {
            let text = scalar.string
            let bare = Int64(text) != nil
            report(node, "\(what) must be a duration like 5s or 300ms, not '\(text)'" + (bare ? " (add a unit: ms, s, m or h)" : ""))
            return nil
        }
        guard range.contains(ms) else {
            report(node, "\(what) must be between \(Self.formatDuration(range.lowerBound)) and \(Self.formatDuration(range.upperBound)), not \(scalar.string)")
            return nil
        }
        return ms
    }

    static func parseDuration(_ text: String) -> Int64? {
        let units: [(String, Double)] = [("ms", 1), ("s", 1000), ("m", 60_000), ("h", 3_600_000)]
        for (unit, factor) in units where text.hasSuffix(unit) {
            let number = text.dropLast(unit.count).trimmingCharacters(in: .whitespaces)
            guard let value = Double(number), value.isFinite, value >= 0, value * factor < 1e15 else { return nil }
            return Int64((value * factor).rounded())
        }
        return nil
    }

    static func formatDuration(_ ms: Int64) -> String {
        if ms % 3_600_000 == 0 && ms >= 3_600_000 { return "\(ms / 3_600_000)h" }
        if ms % 60_000 == 0 && ms >= 60_000 { return "\(ms / 60_000)m" }
        if ms % 1000 == 0 && ms >= 1000 { return "\(ms / 1000)s" }
        return "\(ms)ms"
    }

    private func kind(of node: Node) -> String {
        switch node {
        case .scalar(let scalar): return "the value '\(scalar.string)'"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }

    private func describe(_ node: Node) -> String {
        guard let scalar = node.scalar else { return kind(of: node) }
        return scalar.style == .plain ? "'\(scalar.string)'" : "the quoted text '\(scalar.string)'"
    }
}

/// The entries of one mapping, already checked against its allowed keys.
struct Fields {
    let node: Node
    var entries: [(name: String, key: Node, value: Node)] = []

    subscript(_ name: String) -> Node? { entries.first { $0.name == name }?.value }

    func key(_ name: String) -> Node? { entries.first { $0.name == name }?.key }
}
