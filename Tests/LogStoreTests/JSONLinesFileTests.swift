import Foundation
import LogStore
import Testing

struct JSONLinesFileTests {
    @Test func appendsOneSortedLinePerObjectAndCreatesTheDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("samsa-jsonl-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/nested/events.jsonl"
        let file = try JSONLinesFile(path: path)
        file.append(["b": 2, "a": "x"])
        file.appendRaw(Data("{\"raw\":true}\n".utf8))
        file.close()
        file.append(["after": "close"])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text == "{\"a\":\"x\",\"b\":2}\n{\"raw\":true}\n")
    }

    @Test func reopeningAppendsRatherThanTruncates() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("samsa-jsonl-\(UUID().uuidString.prefix(8)).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        for n in 1...2 {
            let file = try JSONLinesFile(path: path)
            file.append(["n": n])
            file.close()
        }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"n\":1}\n{\"n\":2}\n")
    }

    @Test func typedValuesAreWrittenInTheirOwnEncodingAndOnesThatCannotBeAreRefused() throws {
        struct Record: Encodable {
            var timeNs: Int64
            var path: String
            var ratio: Double
            enum CodingKeys: String, CodingKey {
                case path, ratio
                case timeNs = "time_ns"
            }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("samsa-jsonl-\(UUID().uuidString.prefix(8)).jsonl").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try JSONLinesFile(path: path)
        try file.append(encoding: Record(timeNs: 5, path: "a/b", ratio: 0.5))
        #expect(throws: EncodingError.self) { try file.append(encoding: Record(timeNs: 6, path: "c", ratio: .nan)) }
        file.close()
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "{\"path\":\"a/b\",\"ratio\":0.5,\"time_ns\":5}\n")
    }
}
