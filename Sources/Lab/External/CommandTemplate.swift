/// A command template with `{name}` placeholders, as the executor's commands are written
/// (`ssh {host} sudo systemctl kill -s KILL kafka`). `{{` and `}}` stand for literal braces.
public struct CommandTemplate: Sendable, Equatable {
    public let text: String

    public init(_ text: String) { self.text = text }

    public struct Problem: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// The placeholder names it uses, in order of appearance; a `{` that never closes or an empty
    /// or malformed name is a problem.
    public func placeholders() throws(Problem) -> [String] {
        var names: [String] = []
        _ = try walk { names.append($0); return "" }
        return names
    }

    /// The text with every placeholder replaced; a placeholder without a value is a problem.
    public func render(_ values: [String: String]) throws(Problem) -> String {
        try walk { name throws(Problem) in
            guard let value = values[name] else { throw Problem(description: "'{\(name)}' has no value (known: \(values.keys.sorted().joined(separator: ", ")))") }
            return value
        }
    }

    private func walk(_ replace: (String) throws(Problem) -> String) throws(Problem) -> String {
        var out = ""
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            let next = text.index(after: index)
            if character == "{", next < text.endIndex, text[next] == "{" {
                out.append("{")
                index = text.index(after: next)
            } else if character == "}", next < text.endIndex, text[next] == "}" {
                out.append("}")
                index = text.index(after: next)
            } else if character == "{" {
                guard let close = text[next...].firstIndex(of: "}") else { throw Problem(description: "a '{' is never closed (write '{{' for a brace)") }
                let name = String(text[next..<close])
                guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw Problem(description: "'{\(name)}' is not a placeholder name (letters, digits and '_')")
                }
                out += try replace(name)
                index = text.index(after: close)
            } else {
                out.append(character)
                index = next
            }
        }
        return out
    }

    /// `text` as one POSIX shell word.
    public static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
