import NIOCore

/// Kafka's primitive types on `ByteBuffer`, as the protocol guide defines them: big-endian fixed
/// integers, int16-length strings, int32-length bytes, int32-count arrays, where -1 means null; and
/// for flexible versions the compact forms, whose lengths are unsigned varints holding N + 1.
///
/// Every reader throws `ProtocolError.truncated` rather than trapping, and every length is checked
/// against the bytes actually left, so a hostile frame cannot make the decoder allocate more than the
/// frame it already holds.
extension ByteBuffer {
    @inlinable
    public mutating func readKafka<T: FixedWidthInteger>(_ type: T.Type = T.self, _ field: @autoclosure () -> String) throws -> T {
        guard let value = readInteger(endianness: .big, as: T.self) else { throw ProtocolError.truncated(field()) }
        return value
    }

    public mutating func readInt8(_ field: @autoclosure () -> String) throws -> Int8 { try readKafka(Int8.self, field()) }
    public mutating func readInt16(_ field: @autoclosure () -> String) throws -> Int16 { try readKafka(Int16.self, field()) }
    public mutating func readInt32(_ field: @autoclosure () -> String) throws -> Int32 { try readKafka(Int32.self, field()) }
    public mutating func readInt64(_ field: @autoclosure () -> String) throws -> Int64 { try readKafka(Int64.self, field()) }
    public mutating func readUInt32(_ field: @autoclosure () -> String) throws -> UInt32 { try readKafka(UInt32.self, field()) }

    public mutating func readBool(_ field: @autoclosure () -> String) throws -> Bool {
        try readInt8(field()) != 0
    }

    /// A STRING: int16 length then UTF-8 bytes. Null (-1) is an error here.
    public mutating func readKafkaString(_ field: @autoclosure () -> String) throws -> String {
        guard let value = try readNullableKafkaString(field()) else { throw ProtocolError.invalid("\(field()) is null") }
        return value
    }

    /// A NULLABLE_STRING: int16 length, -1 for null.
    public mutating func readNullableKafkaString(_ field: @autoclosure () -> String) throws -> String? {
        let length = try readInt16(field())
        if length == -1 { return nil }
        guard length >= 0 else { throw ProtocolError.invalid("\(field()) has length \(length)") }
        guard let bytes = readSlice(length: Int(length)) else { throw ProtocolError.truncated(field()) }
        return try bytes.validUTF8String(field())
    }

    /// The readable bytes as a String, rejecting malformed UTF-8 instead of repairing it. Repair
    /// (what `readString` does) turns each bad byte into U+FFFD, three bytes long: a 32767-byte name
    /// would become one whose UTF-8 no longer fits an int16 length when the broker echoes it back,
    /// as it does for an unknown or invalid topic name.
    func validUTF8String(_ field: @autoclosure () -> String) throws -> String {
        let value = String(buffer: self)
        guard value.utf8.elementsEqual(readableBytesView) else { throw ProtocolError.invalid("\(field()) is not valid UTF-8") }
        return value
    }

    /// A NULLABLE_BYTES: int32 length, -1 for null. The result is a slice sharing this buffer's storage.
    public mutating func readNullableKafkaBytes(_ field: @autoclosure () -> String) throws -> ByteBuffer? {
        let length = try readInt32(field())
        if length == -1 { return nil }
        guard length >= 0 else { throw ProtocolError.invalid("\(field()) has length \(length)") }
        guard let value = readSlice(length: Int(length)) else { throw ProtocolError.truncated(field()) }
        return value
    }

    public mutating func readKafkaBytes(_ field: @autoclosure () -> String) throws -> ByteBuffer {
        guard let value = try readNullableKafkaBytes(field()) else { throw ProtocolError.invalid("\(field()) is null") }
        return value
    }

    /// An ARRAY count: int32, -1 for null (returned as nil). A count cannot exceed the bytes left,
    /// since every element takes at least one byte; this bounds what a decoder reserves.
    public mutating func readArrayCount(_ field: @autoclosure () -> String) throws -> Int? {
        let count = try readInt32(field())
        if count == -1 { return nil }
        guard count >= 0, Int(count) <= readableBytes else {
            throw ProtocolError.invalid("\(field()) has \(count) elements with \(readableBytes) bytes left")
        }
        return Int(count)
    }

    /// Reads a non-nullable ARRAY; a null array reads as empty, which is how Kafka treats it.
    public mutating func readKafkaArray<T>(_ field: @autoclosure () -> String, _ element: (inout ByteBuffer) throws -> T) throws -> [T] {
        guard let count = try readArrayCount(field()) else { return [] }
        var result: [T] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(try element(&self)) }
        return result
    }

    public mutating func readNullableKafkaArray<T>(_ field: @autoclosure () -> String, _ element: (inout ByteBuffer) throws -> T) throws -> [T]? {
        guard let count = try readArrayCount(field()) else { return nil }
        var result: [T] = []
        result.reserveCapacity(count)
        for _ in 0..<count { result.append(try element(&self)) }
        return result
    }

    // MARK: Writing

    public mutating func writeInt8(_ value: Int8) { writeInteger(value, endianness: .big) }
    public mutating func writeInt16(_ value: Int16) { writeInteger(value, endianness: .big) }
    public mutating func writeInt32(_ value: Int32) { writeInteger(value, endianness: .big) }
    public mutating func writeInt64(_ value: Int64) { writeInteger(value, endianness: .big) }
    public mutating func writeUInt32(_ value: UInt32) { writeInteger(value, endianness: .big) }
    public mutating func writeBool(_ value: Bool) { writeInt8(value ? 1 : 0) }

    public mutating func writeKafkaString(_ value: String) {
        let start = writerIndex
        writeInt16(0)
        let length = writeString(value)
        precondition(length <= Int(Int16.max), "a Kafka STRING holds at most 32767 bytes")
        setInteger(Int16(length), at: start, endianness: .big)
    }

    public mutating func writeNullableKafkaString(_ value: String?) {
        guard let value else { writeInt16(-1); return }
        writeKafkaString(value)
    }

    public mutating func writeNullableKafkaBytes(_ value: ByteBuffer?) {
        guard var value else { writeInt32(-1); return }
        writeInt32(Int32(value.readableBytes))
        writeBuffer(&value)
    }

    public mutating func writeKafkaBytes(_ value: ByteBuffer) { writeNullableKafkaBytes(value) }

    public mutating func writeKafkaArray<T>(_ elements: [T], _ element: (inout ByteBuffer, T) -> Void) {
        writeInt32(Int32(elements.count))
        for value in elements { element(&self, value) }
    }

    public mutating func writeNullableKafkaArray<T>(_ elements: [T]?, _ element: (inout ByteBuffer, T) -> Void) {
        guard let elements else { writeInt32(-1); return }
        writeKafkaArray(elements, element)
    }
}
