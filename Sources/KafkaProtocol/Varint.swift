import NIOCore

/// The two variable-length integer encodings Kafka uses.
///
/// - Unsigned varints (protobuf base-128) carry lengths in flexible protocol versions: compact
///   strings, arrays and bytes store N + 1 so that 0 can mean null.
/// - Zigzag varints (protobuf `sint32`/`sint64`) carry every length, delta and count inside a
///   RecordBatch v2 record. Mixing the two is the classic bug; the names here say which is which.
extension ByteBuffer {
    /// At most 5 bytes encode a UInt32; a longer run of continuation bits is invalid, not a loop.
    public mutating func readUnsignedVarint(_ field: @autoclosure () -> String) throws -> UInt32 {
        var result: UInt32 = 0
        var shift: UInt32 = 0
        while true {
            guard let byte = readInteger(as: UInt8.self) else { throw ProtocolError.truncated(field()) }
            if shift == 28 && byte > 0x0F { throw ProtocolError.invalid("\(field()): varint longer than 32 bits") }
            result |= UInt32(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    /// At most 10 bytes encode a UInt64.
    public mutating func readUnsignedVarlong(_ field: @autoclosure () -> String) throws -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard let byte = readInteger(as: UInt8.self) else { throw ProtocolError.truncated(field()) }
            if shift == 63 && byte > 0x01 { throw ProtocolError.invalid("\(field()): varlong longer than 64 bits") }
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
    }

    public mutating func readZigZagVarint(_ field: @autoclosure () -> String) throws -> Int32 {
        let raw = try readUnsignedVarint(field())
        return Int32(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    public mutating func readZigZagVarlong(_ field: @autoclosure () -> String) throws -> Int64 {
        let raw = try readUnsignedVarlong(field())
        return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
    }

    @discardableResult
    public mutating func writeUnsignedVarint(_ value: UInt32) -> Int {
        writeUnsignedVarlong(UInt64(value))
    }

    @discardableResult
    public mutating func writeUnsignedVarlong(_ value: UInt64) -> Int {
        var value = value
        var written = 0
        while value >= 0x80 {
            writeInteger(UInt8(truncatingIfNeeded: value) | 0x80)
            value >>= 7
            written += 1
        }
        writeInteger(UInt8(value))
        return written + 1
    }

    @discardableResult
    public mutating func writeZigZagVarint(_ value: Int32) -> Int {
        writeUnsignedVarint(UInt32(bitPattern: (value << 1) ^ (value >> 31)))
    }

    @discardableResult
    public mutating func writeZigZagVarlong(_ value: Int64) -> Int {
        writeUnsignedVarlong(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }
}

/// Sizes of varint encodings without writing them, for computing record lengths up front.
public enum Varint {
    public static func unsignedSize(_ value: UInt64) -> Int {
        var value = value
        var size = 1
        while value >= 0x80 { value >>= 7; size += 1 }
        return size
    }

    public static func zigZagSize(_ value: Int64) -> Int {
        unsignedSize(UInt64(bitPattern: (value << 1) ^ (value >> 63)))
    }
}
