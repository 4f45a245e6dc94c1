#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A strict, allocation-light JSON reader over one line's bytes.
///
/// `JSONDecoder` reads about 10 MB/s here, which makes a million-operation history take most
/// of a minute to load; the history's hot path reads its few shapes with this instead, field by
/// field, without building an intermediate tree. Everything else (timelines, reports) keeps
/// using Codable.
struct JSONScanner {
    struct Failure: Error, CustomStringConvertible {
        var message: String
        var position: Int
        var description: String { "\(message) at byte \(position)" }
    }

    let bytes: UnsafeBufferPointer<UInt8>
    private(set) var position: Int
    let end: Int
    /// Nesting deeper than this is rejected rather than recursed into.
    static let maxDepth = 64
    private var depth = 0

    init(_ bytes: UnsafeBufferPointer<UInt8>, range: Range<Int>? = nil) {
        self.bytes = bytes
        position = range?.lowerBound ?? 0
        end = range?.upperBound ?? bytes.count
    }

    func failure(_ message: String) -> Failure { Failure(message: message, position: position) }

    mutating func skipWhitespace() {
        while position < end {
            switch bytes[position] {
            case 0x20, 0x09, 0x0A, 0x0D: position += 1
            default: return
            }
        }
    }

    mutating func peek() -> UInt8? {
        skipWhitespace()
        return position < end ? bytes[position] : nil
    }

    mutating func expect(_ byte: UInt8) throws {
        guard peek() == byte else {
            throw failure("expected '\(Character(Unicode.Scalar(byte)))'")
        }
        position += 1
    }

    /// Consumes `null` if it comes next.
    mutating func null() -> Bool {
        guard peek() == UInt8(ascii: "n"), position + 4 <= end,
              bytes[position + 1] == UInt8(ascii: "u"), bytes[position + 2] == UInt8(ascii: "l"),
              bytes[position + 3] == UInt8(ascii: "l")
        else { return false }
        position += 4
        return true
    }

    /// Only whitespace may follow the value.
    mutating func finish() throws {
        if peek() != nil { throw failure("unexpected data after the value") }
    }

    /// An object key, compared as bytes so the hot path makes no string per key.
    struct Key {
        /// The key's bytes between the quotes, as written.
        let raw: UnsafeBufferPointer<UInt8>
        /// Set when the key contains escapes: the decoded text.
        let decoded: String?

        var string: String { decoded ?? String(decoding: raw, as: UTF8.self) }

        @inline(__always)
        func `is`(_ name: StaticString) -> Bool {
            if let decoded { return decoded == name.description }
            guard raw.count == name.utf8CodeUnitCount else { return false }
            return raw.count == 0 || memcmp(raw.baseAddress!, name.utf8Start, raw.count) == 0
        }
    }

    private mutating func key() throws -> Key {
        guard peek() == UInt8(ascii: "\"") else { throw failure("expected a string key") }
        let start = position + 1
        var scan = start
        while scan < end && bytes[scan] != UInt8(ascii: "\"") && bytes[scan] != UInt8(ascii: "\\") { scan += 1 }
        if scan < end && bytes[scan] == UInt8(ascii: "\"") {
            position = scan + 1
            return Key(raw: UnsafeBufferPointer(rebasing: bytes[start..<scan]), decoded: nil)
        }
        let text = try string()
        return Key(raw: UnsafeBufferPointer(rebasing: bytes[start..<start]), decoded: text)
    }

    /// Calls `field` with each key; `field` must read or skip the value.
    mutating func object(_ field: (inout JSONScanner, Key) throws -> Void) throws {
        try expect(UInt8(ascii: "{"))
        try enter()
        if peek() == UInt8(ascii: "}") {
            position += 1
            depth -= 1
            return
        }
        while true {
            let key = try key()
            try expect(UInt8(ascii: ":"))
            try field(&self, key)
            switch peek() {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "}"):
                position += 1
                depth -= 1
                return
            default: throw failure("expected ',' or '}' in object")
            }
        }
    }

    mutating func array(_ element: (inout JSONScanner) throws -> Void) throws {
        try expect(UInt8(ascii: "["))
        try enter()
        if peek() == UInt8(ascii: "]") {
            position += 1
            depth -= 1
            return
        }
        while true {
            try element(&self)
            switch peek() {
            case UInt8(ascii: ","): position += 1
            case UInt8(ascii: "]"):
                position += 1
                depth -= 1
                return
            default: throw failure("expected ',' or ']' in array")
            }
        }
    }

    private mutating func enter() throws {
        depth += 1
        if depth > Self.maxDepth { throw failure("nested deeper than \(Self.maxDepth)") }
    }

    mutating func string() throws -> String {
        try expect(UInt8(ascii: "\""))
        let start = position
        while position < end {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
                position += 1
                return text
            }
            if byte == UInt8(ascii: "\\") { return try escapedString(from: start) }
            if byte < 0x20 { throw failure("control character in string") }
            position += 1
        }
        throw failure("unterminated string")
    }

    private mutating func escapedString(from start: Int) throws -> String {
        var utf8 = Array(UnsafeBufferPointer(rebasing: bytes[start..<position]))
        while position < end {
            let byte = bytes[position]
            position += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard position < end else { break }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(escape)
                case UInt8(ascii: "b"): utf8.append(0x08)
                case UInt8(ascii: "f"): utf8.append(0x0C)
                case UInt8(ascii: "n"): utf8.append(0x0A)
                case UInt8(ascii: "r"): utf8.append(0x0D)
                case UInt8(ascii: "t"): utf8.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800..<0xDC00).contains(scalar) {
                        guard position + 2 <= end, bytes[position] == UInt8(ascii: "\\"),
                              bytes[position + 1] == UInt8(ascii: "u")
                        else { throw failure("unpaired surrogate") }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00..<0xE000).contains(low) else { throw failure("unpaired surrogate") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00..<0xE000).contains(scalar) {
                        throw failure("unpaired surrogate")
                    }
                    utf8.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
                default:
                    throw failure("invalid escape")
                }
            default:
                if byte < 0x20 { throw failure("control character in string") }
                utf8.append(byte)
            }
        }
        throw failure("unterminated string")
    }

    private mutating func hex4() throws -> UInt32 {
        guard position + 4 <= end else { throw failure("short \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw failure("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            position += 1
        }
        return value
    }

    mutating func int64() throws -> Int64 {
        skipWhitespace()
        let negative = position < end && bytes[position] == UInt8(ascii: "-")
        if negative { position += 1 }
        let digitsStart = position
        var value: Int64 = 0
        // Up to 18 digits cannot overflow: summed without checks (most numbers in a history).
        while position < end, position - digitsStart < 18, case let digit = bytes[position] &- UInt8(ascii: "0"), digit < 10 {
            value = value &* 10 &- Int64(digit)
            position += 1
        }
        while position < end, case let byte = bytes[position], byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            let digit = Int64(byte - UInt8(ascii: "0"))
            // Accumulate negatively so Int64.min parses too.
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times10.subtractingReportingOverflow(digit)
            if overflow1 || overflow2 { throw failure("integer out of range") }
            value = next
            position += 1
        }
        guard position > digitsStart else { throw failure("expected an integer") }
        if bytes[digitsStart] == UInt8(ascii: "0") && position - digitsStart > 1 { throw failure("leading zero") }
        if position < end, case let next = bytes[position],
           next == UInt8(ascii: ".") || next == UInt8(ascii: "e") || next == UInt8(ascii: "E")
        {
            throw failure("expected an integer")
        }
        if negative { return value }
        guard value != Int64.min else { throw failure("integer out of range") }
        return -value
    }

    mutating func int32() throws -> Int32 {
        let value = try int64()
        guard let narrow = Int32(exactly: value) else { throw failure("integer out of range") }
        return narrow
    }

    mutating func int() throws -> Int {
        Int(try int64())
    }

    mutating func bool() throws -> Bool {
        skipWhitespace()
        if matches("true") { return true }
        if matches("false") { return false }
        throw failure("expected true or false")
    }

    /// The text of a number if one comes next (validated against JSON's number grammar).
    private mutating func numberText() throws -> String? {
        skipWhitespace()
        let start = position
        if position < end && bytes[position] == UInt8(ascii: "-") { position += 1 }
        let digitsStart = position
        while position < end && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
        guard position > digitsStart else {
            position = start
            return nil
        }
        if bytes[digitsStart] == UInt8(ascii: "0") && position - digitsStart > 1 { throw failure("leading zero") }
        if position < end && bytes[position] == UInt8(ascii: ".") {
            position += 1
            let fraction = position
            while position < end && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
            if position == fraction { throw failure("bad number") }
        }
        if position < end && (bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E")) {
            position += 1
            if position < end && (bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-")) {
                position += 1
            }
            let exponent = position
            while position < end && (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[position]) { position += 1 }
            if position == exponent { throw failure("bad number") }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<position]), as: UTF8.self)
    }

    /// Consumes the string `"word"` (no escapes) if it comes next.
    mutating func matchesString(_ word: StaticString) -> Bool {
        guard peek() == UInt8(ascii: "\"") else { return false }
        let count = word.utf8CodeUnitCount
        guard position + count + 2 <= end, bytes[position + count + 1] == UInt8(ascii: "\""),
              memcmp(bytes.baseAddress! + position + 1, word.utf8Start, count) == 0
        else { return false }
        position += count + 2
        return true
    }

    private mutating func matches(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard position + count <= end else { return false }
        for offset in 0..<count where bytes[position + offset] != word.utf8Start[offset] { return false }
        position += count
        return true
    }

    /// Any value, kept whole.
    mutating func value() throws -> JSONValue {
        switch peek() {
        case UInt8(ascii: "{"):
            var fields: [String: JSONValue] = [:]
            try object { scanner, key in fields[key.string] = try scanner.value() }
            return .object(fields)
        case UInt8(ascii: "["):
            var items: [JSONValue] = []
            try array { scanner in items.append(try scanner.value()) }
            return .array(items)
        case UInt8(ascii: "\""):
            return .string(try string())
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            return .bool(try bool())
        case UInt8(ascii: "n"):
            if null() { return .null }
        default:
            if let text = try numberText() {
                if let integer = Int64(text) { return .int(integer) }
                // As JSONDecoder does, an integral number in exponent form ("-3e2") is an integer.
                if let double = Double(text) { return Int64(exactly: double).map(JSONValue.int) ?? .double(double) }
            }
        }
        throw failure("expected a value")
    }

    /// Skips a value without keeping it, returning the range it occupied.
    mutating func skipValue() throws -> Range<Int> {
        skipWhitespace()
        let start = position
        switch peek() {
        case UInt8(ascii: "{"):
            try object { scanner, _ in _ = try scanner.skipValue() }
        case UInt8(ascii: "["):
            try array { scanner in _ = try scanner.skipValue() }
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "t"), UInt8(ascii: "f"):
            _ = try bool()
        case UInt8(ascii: "n"):
            guard null() else { throw failure("expected a value") }
        default:
            guard try numberText() != nil else { throw failure("expected a value") }
        }
        return start..<position
    }

    private mutating func skipString() throws {
        try expect(UInt8(ascii: "\""))
        while position < end {
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "\"") { return }
            if byte < 0x20 { throw failure("control character in string") }
            if byte == UInt8(ascii: "\\") {
                guard position < end else { break }
                if bytes[position] == UInt8(ascii: "u") {
                    position += 1
                    _ = try hex4()
                } else {
                    position += 1
                }
            }
        }
        throw failure("unterminated string")
    }
}
