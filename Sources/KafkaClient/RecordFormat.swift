import KafkaProtocol
import NIOCore

/// kcat's `-f` output format: `%t` topic, `%p` partition, `%o` offset, `%k` key, `%s` value, `%K` and
/// `%S` their sizes (-1 when null), `%T` timestamp (ms), `%h` headers (`k=v,k2=v2`), `%%` a percent
/// sign; `\n`, `\t`, `\r` and `\\` are escapes. Nothing is added: a format prints a newline only where it
/// says `\n`, as kcat's does. Parsed once; a record's bytes are never read as format.
public struct RecordFormat: Sendable, Equatable {
    enum Piece: Sendable, Equatable {
        case literal(String)
        case topic, partition, offset, key, value, keySize, valueSize, timestamp, headers
    }

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var description: String
    }

    let pieces: [Piece]

    /// What `samsa consume` prints without `--format`: each value on its own line.
    public static let values = try! RecordFormat("%s\\n")

    public init(_ format: String) throws {
        var pieces: [Piece] = []
        var literal = ""
        var characters = format.makeIterator()
        func flush() {
            if !literal.isEmpty { pieces.append(.literal(literal)); literal = "" }
        }
        while let character = characters.next() {
            switch character {
            case "%":
                guard let token = characters.next() else { throw ParseError(description: "format ends with a lone '%'") }
                let piece: Piece
                switch token {
                case "t": piece = .topic
                case "p": piece = .partition
                case "o": piece = .offset
                case "k": piece = .key
                case "s": piece = .value
                case "K": piece = .keySize
                case "S": piece = .valueSize
                case "T": piece = .timestamp
                case "h": piece = .headers
                case "%": literal.append("%"); continue
                default:
                    throw ParseError(description: "unknown format token '%\(token)' (known: %t %p %o %k %s %K %S %T %h %%)")
                }
                flush()
                pieces.append(piece)
            case "\\":
                guard let escaped = characters.next() else { literal.append("\\"); continue }
                switch escaped {
                case "n": literal.append("\n")
                case "t": literal.append("\t")
                case "r": literal.append("\r")
                case "\\": literal.append("\\")
                default: literal.append("\\"); literal.append(escaped)
                }
            default:
                literal.append(character)
            }
        }
        flush()
        self.pieces = pieces
    }

    public func render(_ record: ConsumedRecord, topic: String, partition: Int32) -> String {
        var out = ""
        for piece in pieces {
            switch piece {
            case .literal(let text): out += text
            case .topic: out += topic
            case .partition: out += String(partition)
            case .offset: out += String(record.offset)
            case .key: out += record.key.map { String(buffer: $0) } ?? ""
            case .value: out += record.value.map { String(buffer: $0) } ?? ""
            case .keySize: out += String(record.key?.readableBytes ?? -1)
            case .valueSize: out += String(record.value?.readableBytes ?? -1)
            case .timestamp: out += String(record.timestampMs)
            case .headers:
                out += record.headers.map { "\($0.key)=\($0.value.map { String(buffer: $0) } ?? "")" }.joined(separator: ",")
            }
        }
        return out
    }
}
