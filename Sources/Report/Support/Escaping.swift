/// Escaping for every output format. Values come from user data (playbook names, topic names,
/// record values, error strings from clients), so nothing reaches a report unescaped.
enum Escape {
    /// Whether XML 1.0 allows the scalar at all, even as a character reference. Anything else
    /// (NUL, most C0 controls, U+FFFE/U+FFFF) would make report.html and junit.xml unparsable.
    static func isXMLCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: return true
        default: return false
        }
    }

    /// Text content of an XML or XHTML element.
    static func xmlText(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            default: out.unicodeScalars.append(isXMLCharacter(scalar) ? scalar : "\u{FFFD}")
            }
        }
        return out
    }

    /// A double-quoted attribute value. Whitespace other than spaces becomes a character
    /// reference, because parsers normalize literal newlines in attributes to spaces.
    static func xmlAttribute(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\n": out += "&#10;"
            case "\r": out += "&#13;"
            case "\t": out += "&#9;"
            default: out.unicodeScalars.append(isXMLCharacter(scalar) ? scalar : "\u{FFFD}")
            }
        }
        return out
    }

    /// One Markdown table cell or inline text: no HTML (renderers pass it through), no pipes
    /// (they end the cell), no line breaks (they end the row), no emphasis or link syntax.
    /// An underscore inside a word ("no_lost_writes") cannot start emphasis and stays bare, so
    /// names read as they are written.
    static func markdownInline(_ text: String) -> String {
        var out = ""
        let scalars = Array(text.unicodeScalars)
        func isWordScalar(_ position: Int) -> Bool {
            guard scalars.indices.contains(position) else { return false }
            return scalars[position].properties.isAlphabetic || ("0"..."9").contains(scalars[position])
        }
        for (position, scalar) in scalars.enumerated() {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "_" where isWordScalar(position - 1) && isWordScalar(position + 1): out += "_"
            case "\\", "|", "`", "*", "_", "[", "]", "#", "~": out += "\\" + String(scalar)
            case "\n", "\r", "\t": out += " "
            default: out.unicodeScalars.append(scalar.properties.generalCategory == .control ? "\u{FFFD}" : scalar)
            }
        }
        return out
    }

    /// A fenced Markdown code block that no backtick run inside `text` can close early.
    static func markdownCodeBlock(_ text: String, language: String = "") -> String {
        var longest = 0
        var run = 0
        for character in text {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: max(3, longest + 1))
        let clean = String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            scalar == "\n" || scalar.properties.generalCategory != .control ? scalar : "\u{FFFD}"
        }))
        return "\(fence)\(language)\n\(clean)\n\(fence)\n"
    }

    /// Text for a terminal: control characters (escape sequences that could move the cursor or
    /// retitle the window, carriage returns that could overwrite a verdict) become U+FFFD, and
    /// line breaks become spaces unless `keepingNewlines`.
    static func terminal(_ text: String, keepingNewlines: Bool = false) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.map { scalar in
            if scalar == "\n" { return keepingNewlines ? scalar : " " }
            if scalar == "\t" { return " " }
            return scalar.properties.generalCategory == .control ? "\u{FFFD}" : scalar
        }))
    }

    /// A JSON string literal, quotes included.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{C}": out += "\\f"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}
