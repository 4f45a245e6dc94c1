import Foundation

/// What a lab says once it is ready: written by the lab itself (`LabSession.writeReadiness`) as
/// one JSON line to `ready.json` in its run directory, and read by `LabLauncher` in whoever started
/// it (the shell, the benchmarks). A typed, versioned record instead of a line of free text, so a
/// launcher never has to grep output, and a lab of another version is refused in words.
public struct LabReadiness: Codable, Sendable, Equatable {
    /// The record's layout. A reader refuses every other version rather than guessing at fields.
    public static let currentVersion = 1
    /// The file, in the lab's run directory.
    public static let fileName = "ready.json"

    public struct Broker: Codable, Sendable, Equatable {
        public var id: Int32
        /// The client port (through the lab's proxy), on 127.0.0.1.
        public var port: Int
        public var pid: Int32

        public init(id: Int32, port: Int, pid: Int32) {
            self.id = id
            self.port = port
            self.pid = pid
        }
    }

    public var version: Int
    public var bootstrap: String
    public var brokers: [Broker]
    /// host:port of the lab's ZooKeeper (direct, not through a proxy).
    public var zookeeper: String
    public var controlSocket: String
    /// The process running the lab (`samsa cluster up` or `samsa run`).
    public var pid: Int32
    public var directory: String

    public init(bootstrap: String, brokers: [Broker], zookeeper: String, controlSocket: String, pid: Int32, directory: String) {
        self.version = Self.currentVersion
        self.bootstrap = bootstrap
        self.brokers = brokers
        self.zookeeper = zookeeper
        self.controlSocket = controlSocket
        self.pid = pid
        self.directory = directory
    }

    /// Why a readiness record was refused.
    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case empty
        /// The line does not end yet: the writer is not done with it (or died while writing).
        case truncated
        case notJSON
        case unsupportedVersion(Int?)
        case missingField(String)

        public var description: String {
            switch self {
            case .empty: return "the readiness record is empty"
            case .truncated: return "the readiness record is truncated (no end of line)"
            case .notJSON: return "the readiness record is not a JSON object"
            case .unsupportedVersion(let found):
                return "the readiness record has version \(found.map(String.init) ?? "none"); this samsa reads version \(LabReadiness.currentVersion)"
            case .missingField(let field): return "the readiness record lacks or mistypes '\(field)'"
            }
        }
    }

    /// The record as one line, newline-terminated: the newline is what tells a reader it is whole.
    public func encodedLine() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var data = (try? encoder.encode(self)) ?? Data()
        data.append(0x0A)
        return data
    }

    /// Parses one record; pure, so every refusal is tested without a lab.
    public static func parse(_ data: Data) throws(ParseError) -> LabReadiness {
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x09 || $0 == 0x0D }) { throw .empty }
        guard data.last == 0x0A else { throw .truncated }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else { throw .notJSON }
        let version = (object["version"] as? NSNumber)?.intValue
        guard version == currentVersion else { throw .unsupportedVersion(version) }
        do {
            return try JSONDecoder().decode(LabReadiness.self, from: data)
        } catch DecodingError.keyNotFound(let key, _) {
            throw .missingField(key.stringValue)
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            throw .missingField(context.codingPath.map(\.stringValue).joined(separator: "."))
        } catch {
            throw .notJSON
        }
    }

    /// Reads `ready.json` of `directory`: nil while there is none.
    public static func read(directory: String) throws(ParseError) -> LabReadiness? {
        guard let data = FileManager.default.contents(atPath: directory + "/" + fileName) else { return nil }
        return try parse(data)
    }

    /// Writes the record into `directory` whole or not at all (a temporary file, then a rename).
    public func write() throws {
        let path = directory + "/" + Self.fileName
        let temporary = path + ".tmp"
        try encodedLine().write(to: URL(fileURLWithPath: temporary))
        guard rename(temporary, path) == 0 else { throw CocoaError(.fileWriteUnknown) }
    }
}
