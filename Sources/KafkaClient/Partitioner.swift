import NIOCore

/// Kafka's default partitioner for keyed records: murmur2 of the key bytes, made positive, modulo
/// the partition count — the same partition the Java client and librdkafka's `murmur2_random` pick.
public enum Partitioner {
    public static func murmur2(_ bytes: [UInt8]) -> Int32 {
        let seed: UInt32 = 0x9747_b28c
        let m: UInt32 = 0x5bd1_e995
        let r: UInt32 = 24
        let length = bytes.count
        var h = seed ^ UInt32(truncatingIfNeeded: length)
        var index = 0
        while length - index >= 4 {
            var k = UInt32(bytes[index]) | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2]) << 16 | UInt32(bytes[index + 3]) << 24
            k = k &* m
            k ^= k >> r
            k = k &* m
            h = h &* m
            h ^= k
            index += 4
        }
        switch length - index {
        case 3:
            h ^= UInt32(bytes[index + 2]) << 16
            h ^= UInt32(bytes[index + 1]) << 8
            h ^= UInt32(bytes[index])
            h = h &* m
        case 2:
            h ^= UInt32(bytes[index + 1]) << 8
            h ^= UInt32(bytes[index])
            h = h &* m
        case 1:
            h ^= UInt32(bytes[index])
            h = h &* m
        default:
            break
        }
        h ^= h >> 13
        h = h &* m
        h ^= h >> 15
        return Int32(bitPattern: h)
    }

    public static func partition(forKey key: [UInt8], partitions: Int32) -> Int32 {
        (murmur2(key) & 0x7fff_ffff) % partitions
    }
}
