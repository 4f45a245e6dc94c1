import Foundation

/// Merges the workload processes' history files into the run's `history.jsonl`: every line of
/// every file, ordered by `time_ns` (ties keep file, then line order), numbered afresh in
/// `index`. Each line is rewritten only where its `index` value stands; everything else is
/// copied byte for byte, so merging costs about as much as copying the files.
///
/// A line that is not a JSON object with an integer `time_ns` is not dropped: it is copied as it
/// is, placed after the previous line of its file, and the checkers report it as a problem with
/// its line number in the merged file.
public enum HistoryMerge {
    /// Merges every `*.jsonl` file of `directory` (in name order) into `path`; returns the lines written.
    @discardableResult
    public static func merge(directory: String, into path: String) throws -> Int {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".jsonl") }.sorted()
        let files = try names.map { name in [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))) }
        let output = merge(files)
        try Data(output.bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        return output.lines
    }

    struct Line {
        var time: Int64
        var file: Int32
        var start: Int
        var end: Int
        /// Where the `index` value stands in the file, or nil when the line has none (or is not an object).
        var index: Range<Int>?
        /// Whether the line parsed as an object with an integer `time_ns`.
        var parsed: Bool
    }

    static func merge(_ files: [[UInt8]]) -> (bytes: [UInt8], lines: Int) {
        var lines: [Line] = []
        for (number, file) in files.enumerated() {
            file.withUnsafeBufferPointer { bytes in
                var previousTime = Int64.min
                var start = 0
                while start < bytes.count {
                    var end = start
                    while end < bytes.count && bytes[end] != 0x0A { end += 1 }
                    defer { start = end + 1 }
                    var contentEnd = end
                    if contentEnd > start && bytes[contentEnd - 1] == 0x0D { contentEnd -= 1 }
                    guard bytes[start..<contentEnd].contains(where: { $0 != 0x20 && $0 != 0x09 }) else { continue }
                    var line = Line(time: previousTime, file: Int32(number), start: start, end: contentEnd, index: nil, parsed: false)
                    if let fields = try? topLevelFields(bytes, start..<contentEnd) {
                        line.index = fields.index
                        if let time = fields.time {
                            line.time = time
                            line.parsed = true
                        }
                    }
                    previousTime = line.time
                    lines.append(line)
                }
            }
        }
        lines.sort { ($0.time, $0.file, $0.start) < ($1.time, $1.file, $1.start) }
        var output: [UInt8] = []
        output.reserveCapacity(files.reduce(0) { $0 + $1.count } + lines.count * 4)
        for (number, line) in lines.enumerated() {
            let file = files[Int(line.file)]
            let digits = Array(String(number).utf8)
            if !line.parsed {
                output.append(contentsOf: file[line.start..<line.end])
            } else if let index = line.index {
                output.append(contentsOf: file[line.start..<index.lowerBound])
                output.append(contentsOf: digits)
                output.append(contentsOf: file[index.upperBound..<line.end])
            } else {
                // No `index` yet: it goes first. The line is an object, so it opens with "{".
                let open = file[line.start..<line.end].firstIndex(of: UInt8(ascii: "{"))!
                output.append(contentsOf: file[line.start...open])
                output.append(contentsOf: Array(#""index":"#.utf8) + digits)
                let rest = file[(open + 1)..<line.end]
                if rest.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0A && $0 != 0x0D && $0 != UInt8(ascii: "}") }) {
                    output.append(UInt8(ascii: ","))
                }
                output.append(contentsOf: rest)
            }
            output.append(0x0A)
        }
        return (output, lines.count)
    }

    /// The range of the top-level `index` value and the integer value of `time_ns`, scanning the
    /// whole line (it must be one valid JSON object).
    static func topLevelFields(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws -> (index: Range<Int>?, time: Int64?) {
        var scanner = JSONScanner(bytes, range: range)
        var index: Range<Int>?
        var time: Int64?
        try scanner.object { scanner, key in
            if key.is("index") {
                index = try scanner.skipValue()
            } else if key.is("time_ns") {
                let value = try scanner.skipValue()
                var inner = JSONScanner(bytes, range: value)
                time = try? inner.int64()
            } else {
                _ = try scanner.skipValue()
            }
        }
        try scanner.finish()
        return (index, time)
    }
}
