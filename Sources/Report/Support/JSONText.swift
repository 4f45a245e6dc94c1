import Foundation
import Verification

/// Writes `JSONValue` trees as text with object keys sorted, so two reports of similar runs diff
/// line by line.
enum JSONText {
    static func render(_ value: JSONValue, indent: String = "  ") -> String {
        var out = ""
        write(value, into: &out, level: 0, indent: indent)
        out += "\n"
        return out
    }

    /// One line, for evidence items in Markdown and junit.xml.
    static func compact(_ value: JSONValue) -> String {
        var out = ""
        write(value, into: &out, level: 0, indent: nil)
        return out
    }

    /// One line with a space after each comma and colon, for table cells that must wrap.
    static func spaced(_ value: JSONValue) -> String {
        var out = ""
        write(value, into: &out, level: 0, indent: nil, separator: " ")
        return out
    }

    private static func write(_ value: JSONValue, into out: inout String, level: Int, indent: String?, separator: String = "") {
        let newline = indent == nil ? "" : "\n"
        func pad(_ depth: Int) -> String { indent.map { String(repeating: $0, count: depth) } ?? "" }
        switch value {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .int(let number): out += String(number)
        case .double(let number): out += format(number)
        case .string(let text): out += Escape.jsonString(text)
        case .array(let items):
            guard !items.isEmpty else { out += "[]"; return }
            out += "[" + newline
            for (position, item) in items.enumerated() {
                out += pad(level + 1)
                write(item, into: &out, level: level + 1, indent: indent, separator: separator)
                out += (position == items.count - 1 ? "" : "," + separator) + newline
            }
            out += pad(level) + "]"
        case .object(let fields):
            guard !fields.isEmpty else { out += "{}"; return }
            out += "{" + newline
            let keys = fields.keys.sorted()
            for (position, key) in keys.enumerated() {
                out += pad(level + 1) + Escape.jsonString(key) + (indent == nil ? ":" + separator : ": ")
                write(fields[key]!, into: &out, level: level + 1, indent: indent, separator: separator)
                out += (position == keys.count - 1 ? "" : "," + separator) + newline
            }
            out += pad(level) + "}"
        }
    }

    /// Integral values print without a fraction; JSON has no NaN or infinity, so those are null.
    static func format(_ number: Double) -> String {
        guard number.isFinite else { return "null" }
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return "\(number)"
    }

    /// Any Codable figure or anomaly as a tree, through its own coding keys, so the report shows
    /// the field names report.json readers already know from the checkers.
    static func tree<Value: Encodable>(_ value: Value) -> JSONValue {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        do {
            return try JSONDecoder().decode(JSONValue.self, from: encoder.encode(value))
        } catch {
            return .string("could not encode \(Value.self): \(error)")
        }
    }
}

extension JSONValue {
    init(_ text: String?) { self = text.map { .string($0) } ?? .null }
    init(_ number: Int) { self = .int(Int64(number)) }
    init(_ number: Int64?) { self = number.map { .int($0) } ?? .null }
    init(_ number: Double?) { self = number.map { .double($0) } ?? .null }
    init(_ flag: Bool?) { self = flag.map { .bool($0) } ?? .null }

    /// A verdict as JSON: valid true, invalid false, unknown and not applicable null.
    init(_ verdict: Verdict) {
        switch verdict {
        case .valid: self = .bool(true)
        case .invalid: self = .bool(false)
        case .unknown, .notApplicable: self = .null
        }
    }

    /// Fields of an object; empty for anything else.
    var fields: [String: JSONValue] {
        if case .object(let fields) = self { return fields }
        return [:]
    }
}
