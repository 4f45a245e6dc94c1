import NIOCore
import Testing
@testable import KafkaProtocol

@Suite struct CRC32CTests {
    /// Known vectors: RFC 3720 (iSCSI) appendix B.4 and the common "123456789" check value.
    @Test func knownVectors() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
        #expect(CRC32C.checksum((0..<32).map { UInt8($0) }) == 0x46DD_794E)
        #expect(CRC32C.checksum((0..<32).map { UInt8(31 - $0) }) == 0x113F_DB5C)
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    @Test func incrementalEqualsWhole() {
        let bytes = (0..<1000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let whole = CRC32C.checksum(bytes)
        for split in [0, 1, 7, 8, 9, 500, 999, 1000] {
            let first = bytes[..<split].withUnsafeBytes { CRC32C.update(0, $0) }
            let both = bytes[split...].withUnsafeBytes { CRC32C.update(first, $0) }
            #expect(both == whole, "split at \(split)")
        }
    }

    /// The CPU's instruction and the tables agree on every length from 0 to 300 and at every start
    /// alignment, around the lengths where the instruction's path joins three lanes, and on long
    /// buffers; the known vectors above go through whichever `update` uses.
    @Test func theInstructionAndTheTablesAgree() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<70_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        bytes.withUnsafeBytes { all in
            for start in 0..<8 {
                for length in 0...300 {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    #expect(CRC32C.update(0, slice) == CRC32C.updateByTable(0, slice), "start \(start), length \(length)")
                    #expect(CRC32C.update(0x1234_5678, slice) == CRC32C.updateByTable(0x1234_5678, slice))
                }
            }
            #expect(CRC32C.update(0, all) == CRC32C.updateByTable(0, all))
            // Around the sizes where the instruction's path computes three lanes at once and joins
            // them (3 x 256 and 3 x 4096 bytes), and lengths that mix both kinds of lane.
            for length in [767, 768, 769, 775, 776, 1535, 1536, 1537, 2303, 2304, 12_287, 12_288, 12_289, 12_295,
                           13_056, 13_057, 24_575, 24_576, 24_577, 25_343, 25_344, 36_871, 69_993] {
                for start in [0, 3, 7] {
                    let slice = UnsafeRawBufferPointer(rebasing: all[start..<(start + length)])
                    #expect(CRC32C.update(0, slice) == CRC32C.updateByTable(0, slice), "start \(start), length \(length)")
                    #expect(CRC32C.update(0xDEAD_BEEF, slice) == CRC32C.updateByTable(0xDEAD_BEEF, slice), "start \(start), length \(length)")
                }
            }
        }
        #expect(CRC32C.updateByTable(0, UnsafeRawBufferPointer(start: nil, count: 0)) == 0)
    }

    /// This machine type has SSE 4.2; if a build stopped using the instruction, it would only be slower.
    @Test func theInstructionIsUsedWhereTheCPUHasIt() throws {
        #if arch(x86_64)
        let cpuinfo = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        if cpuinfo.contains(" sse4_2") { #expect(CRC32C.usesHardware) }
        #endif
    }
}
