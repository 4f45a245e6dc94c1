import Foundation

extension RunReport {
    /// The report files, by name: report.json, report.md, report.html, junit.xml.
    public func files() -> [(name: String, contents: String)] {
        [
            (JSONReport.fileName, JSONReport.render(self)),
            (MarkdownReport.fileName, MarkdownReport.render(self)),
            (HTMLReport.fileName, HTMLReport.render(self)),
            (JUnitReport.fileName, JUnitReport.render(self)),
        ]
    }

    /// Writes every report file into `directory` (created if missing). Each file is written to a
    /// temporary name and renamed into place, so a reader (CI collecting artifacts, a browser
    /// reloading) sees the old file or the new one, never half of one. Returns the files written.
    @discardableResult
    public func write(to directory: URL) throws -> [URL] {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return try files().map { file in
            let url = directory.appendingPathComponent(file.name)
            try Data(file.contents.utf8).write(to: url, options: .atomic)
            return url
        }
    }
}
