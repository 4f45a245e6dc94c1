#if canImport(Glibc)
import Glibc
#endif

/// Word wrapping for the shell's own text (help), so a terminal never breaks a word in two.
enum TextWrap {
    /// `text` in lines of at most `width` characters, broken only at spaces, each line after the first
    /// (and the first too when `indentFirst`) starting with `indent`. A word longer than a line stands alone.
    static func wrap(_ text: String, width: Int, indent: String = "", indentFirst: Bool = true) -> [String] {
        wrap(words: text.split(separator: " ").map(String.init), width: width, indent: indent, indentFirst: indentFirst)
    }

    /// A usage line's words, with each `[...]` group kept as one (`[--partitions N]` is never split).
    static func usageWords(_ usage: String) -> [String] {
        var words: [String] = []
        var depth = 0
        for piece in usage.split(separator: " ") {
            if depth > 0, let last = words.popLast() { words.append(last + " " + piece) } else { words.append(String(piece)) }
            depth += piece.filter { $0 == "[" }.count - piece.filter { $0 == "]" }.count
            depth = max(0, depth)
        }
        return words
    }

    static func wrap(words: [String], width: Int, indent: String = "", indentFirst: Bool = true) -> [String] {
        var lines: [String] = []
        var line = indentFirst ? indent : ""
        var lineHasWord = false
        for word in words {
            if lineHasWord && line.count + 1 + word.count > width {
                lines.append(line)
                line = indent
                lineHasWord = false
            }
            line += (lineHasWord ? " " : "") + word
            lineHasWord = true
        }
        if lineHasWord || lines.isEmpty { lines.append(line) }
        return lines
    }

    /// The terminal's width on standard output, else $COLUMNS, else 80.
    static func terminalWidth() -> Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col >= 20 { return Int(size.ws_col) }
        if let columns = getenv("COLUMNS").flatMap({ Int(String(cString: $0)) }), columns >= 20 { return columns }
        return 80
    }
}
