import Foundation

/// Something wrong with a checker's input: a line that does not parse, an operation that cannot
/// be paired. Any problem makes the verdicts that depend on that input `unknown`.
public struct InputProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    /// "history.jsonl", "timeline.jsonl", or the path read.
    public var source: String
    /// 1-based line number, when the problem belongs to one line.
    public var line: Int?
    public var message: String

    public init(source: String, line: Int? = nil, message: String) {
        self.source = source
        self.line = line
        self.message = message
    }

    public var description: String {
        if let line { return "\(source):\(line): \(message)" }
        return "\(source): \(message)"
    }
}

/// A bounded list of input problems with the total count: one bad line per operation in a
/// million-line file must not make a million-entry report.
public struct InputProblems: Sendable, Hashable, Codable {
    /// How many problems are listed at most.
    public static let listLimit = 100

    public private(set) var listed: [InputProblem] = []
    public private(set) var total = 0

    public init() {}

    public var isEmpty: Bool { total == 0 }

    public mutating func append(_ problem: InputProblem) {
        total += 1
        if listed.count < Self.listLimit { listed.append(problem) }
    }

    /// Adds `count` to every listed problem's line number: problems found in a part of a file,
    /// placed in the whole.
    mutating func offsetLines(by count: Int) {
        guard count != 0 else { return }
        for index in listed.indices { listed[index].line = listed[index].line.map { $0 + count } }
    }

    public mutating func append(contentsOf other: InputProblems) {
        for problem in other.listed { append(problem) }
        total += other.total - other.listed.count
    }
}

/// Items decoded from JSON Lines, with what could not be decoded.
public struct Decoded<Item: Sendable>: Sendable {
    public var items: [Item]
    public var problems: InputProblems

    public init(items: [Item] = [], problems: InputProblems = InputProblems()) {
        self.items = items
        self.problems = problems
    }
}

/// JSON Lines: one JSON object per line, blank lines ignored.
public enum JSONL {
    /// Decodes every line of a file. A line that fails to decode becomes a problem carrying its
    /// line number, and reading goes on so all bad lines are reported; a file that cannot be read
    /// at all is one problem.
    public static func read<Item: Decodable & Sendable>(
        _ type: Item.Type, path: String, source: String? = nil,
        maxLineBytes: Int = LineReader.defaultMaxLineBytes
    ) -> Decoded<Item> {
        let name = source ?? path
        var result = Decoded<Item>()
        do {
            let reader = try LineReader(path: path, maxLineBytes: maxLineBytes)
            let decoder = JSONDecoder()
            while let line = try reader.next() {
                decodeLine(line, number: reader.lineNumber, source: name, decoder: decoder, into: &result)
            }
        } catch {
            result.problems.append(InputProblem(source: name, message: "\(error)"))
        }
        return result
    }

    /// Decodes JSON Lines held in memory.
    public static func decode<Item: Decodable & Sendable>(_ type: Item.Type, from data: Data, source: String)
        -> Decoded<Item>
    {
        var result = Decoded<Item>()
        let decoder = JSONDecoder()
        let bytes = [UInt8](data)
        var number = 0
        for var line in bytes.split(separator: 0x0A, omittingEmptySubsequences: false) {
            number += 1
            if line.last == 0x0D { line = line.dropLast() }
            decodeLine(line, number: number, source: source, decoder: decoder, into: &result)
        }
        return result
    }

    /// One line per item, each ending in "\n".
    public static func encode<Item: Encodable>(_ items: some Sequence<Item>) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = Data()
        for item in items {
            data.append(try encoder.encode(item))
            data.append(0x0A)
        }
        return data
    }

    /// One item as one line (ending in "\n"), for writers that append as a run goes.
    public static func encodeLine<Item: Encodable>(_ item: Item) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(item)
        data.append(0x0A)
        return data
    }

    /// Writes items as JSON Lines, replacing the file.
    public static func write<Item: Encodable>(_ items: some Sequence<Item>, to path: String) throws {
        try encode(items).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    private static func decodeLine<Item: Decodable>(
        _ line: ArraySlice<UInt8>, number: Int, source: String, decoder: JSONDecoder,
        into result: inout Decoded<Item>
    ) {
        guard line.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { return }
        do {
            result.items.append(try decoder.decode(Item.self, from: Data(line)))
        } catch {
            result.problems.append(InputProblem(source: source, line: number, message: describe(error)))
        }
    }

    /// DecodingError's default description is long and names Swift types; say where and what.
    static func describe(_ error: any Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "" : " at \(keys.joined(separator: "."))"
        }
        switch decoding {
        case .keyNotFound(let key, let context): return "missing field \"\(key.stringValue)\"\(path(context))"
        case .typeMismatch(_, let context): return "wrong type\(path(context)): \(context.debugDescription)"
        case .valueNotFound(_, let context): return "null value\(path(context)): \(context.debugDescription)"
        case .dataCorrupted(let context):
            // A value refused by its type (an unknown kind) sits at a path; bad syntax does not.
            return context.codingPath.isEmpty ? "invalid JSON: \(context.debugDescription)"
                : "bad value\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}
