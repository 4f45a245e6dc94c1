import Foundation
import NIOConcurrencyHelpers

/// An append-only JSON Lines file: the broker's event log and the lab's `timeline.jsonl`. Each line
/// is one `write(2)` of the whole line on an `O_APPEND` descriptor as it happens, so a `kill -9` of
/// the writer loses nothing already appended and concurrent writers never interleave within a line.
///
/// Owner: the descriptor is only used under the lock; after `close` appends are dropped.
public final class JSONLinesFile: Sendable {
    private let descriptor: NIOLockedValueBox<Int32>
    public let path: String

    /// Opens (creating it and its directory when missing) `path` for appending.
    public init(path: String) throws {
        self.path = path
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path]) }
        descriptor = NIOLockedValueBox(fd)
    }

    /// Appends `object` as one line with sorted keys. Values must be JSON-serialisable (numbers,
    /// strings, bools, arrays, dictionaries); an object that is not is dropped rather than written
    /// half.
    public func append(_ object: [String: Any]) {
        guard var line = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return }
        line.append(0x0A)
        appendRaw(line)
    }

    /// Appends `value` in its own `Encodable` form as one line (sorted keys, slashes unescaped):
    /// the typed records of a file whose layout a reader defines. Throws when it does not encode,
    /// and then writes nothing.
    public func append<Value: Encodable>(encoding value: Value) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(value)
        line.append(0x0A)
        appendRaw(line)
    }

    /// Appends bytes that are already one JSON line, newline included.
    public func appendRaw(_ line: Data) {
        descriptor.withLockedValue { fd in
            guard fd >= 0 else { return }
            line.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if written <= 0 { if errno == EINTR { continue } else { return } }
                    offset += written
                }
            }
        }
    }

    public func close() {
        descriptor.withLockedValue { fd in
            if fd >= 0 { Foundation.close(fd) }
            fd = -1
        }
    }
}
