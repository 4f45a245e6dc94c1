import CCRC32C
import NIOCore

/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of RecordBatch v2.
///
/// Every produced and replicated batch is checked, so this is on the write path of every byte. On a
/// CPU with SSE 4.2 the `crc32` instruction does it (CCRC32C, eight bytes per instruction); elsewhere,
/// slicing-by-8: eight 256-entry tables, stored end to end in one array, let the loop consume eight
/// bytes per step, several times faster than the byte-at-a-time form.
public enum CRC32C {
    /// Whether `update` uses the CPU's instruction (decided once, at first use).
    public static let usesHardware = samsa_crc32c_hardware_available() == 1

    static let table: [UInt32] = {
        var table = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            table[byte] = crc
        }
        for byte in 0..<256 {
            var crc = table[byte]
            for slice in 1..<8 {
                crc = table[Int(crc & 0xFF)] ^ (crc >> 8)
                table[slice * 256 + byte] = crc
            }
        }
        return table
    }()

    /// Continues a checksum over `bytes`; start from 0 for a fresh checksum.
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard usesHardware else { return updateByTable(crc, bytes) }
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return crc }
        return ~samsa_crc32c_hardware(~crc, base, bytes.count)
    }

    /// `update` by slicing-by-8 tables, without the CPU's instruction (also what the tests compare
    /// the instruction against).
    static func updateByTable(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        table.withUnsafeBufferPointer { t in
            var crc = ~crc
            var index = 0
            let count = bytes.count
            while count - index >= 8 {
                let word = UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8
                    | UInt32(bytes[index + 2]) << 16 | UInt32(bytes[index + 3]) << 24
                let one = crc ^ word
                crc = t[7 * 256 + Int(one & 0xFF)] ^ t[6 * 256 + Int((one >> 8) & 0xFF)]
                    ^ t[5 * 256 + Int((one >> 16) & 0xFF)] ^ t[4 * 256 + Int(one >> 24)]
                    ^ t[3 * 256 + Int(bytes[index + 4])] ^ t[2 * 256 + Int(bytes[index + 5])]
                    ^ t[1 * 256 + Int(bytes[index + 6])] ^ t[Int(bytes[index + 7])]
                index += 8
            }
            while index < count {
                crc = t[Int((crc ^ UInt32(bytes[index])) & 0xFF)] ^ (crc >> 8)
                index += 1
            }
            return ~crc
        }
    }

    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 {
        Array(bytes).withUnsafeBytes { update(0, $0) }
    }

    /// The checksum of `length` bytes of `buffer` starting at absolute `index`, without copying.
    /// Nil when the range is not within the readable bytes.
    public static func checksum(_ buffer: ByteBuffer, at index: Int, length: Int) -> UInt32? {
        buffer.withUnsafeReadableBytes { raw -> UInt32? in
            let offset = index - buffer.readerIndex
            guard offset >= 0, length >= 0, offset + length <= raw.count else { return nil }
            return update(0, UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + length)]))
        }
    }
}
