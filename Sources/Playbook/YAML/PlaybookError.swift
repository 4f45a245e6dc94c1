/// One problem found in a playbook, schedule or suite file, where the user can find it.
public struct PlaybookDiagnostic: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    /// 1-based; 0 when the problem is about the file as a whole.
    public var line: Int
    public var column: Int
    public var message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    /// `file:line:column: message`, the form compilers use, so editors can jump to it.
    public var description: String { line > 0 ? "\(file):\(line):\(column): \(message)" : "\(file): \(message)" }
}

/// Everything wrong with a file, found before anything starts. Validation goes on after the first
/// problem so that one run shows every mistake.
public struct PlaybookError: Error, Sendable, Equatable, CustomStringConvertible {
    public var diagnostics: [PlaybookDiagnostic]

    public init(_ diagnostics: [PlaybookDiagnostic]) { self.diagnostics = diagnostics }

    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
