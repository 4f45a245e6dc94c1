import NIOCore

/// Compact (flexible-version) encodings and tagged fields. Samsa caps every API at its last
/// non-flexible version except ApiVersions v3, whose request librdkafka sends first, InitProducerId
/// v2–4 (KIP-360), TxnOffsetCommit v3 (KIP-447), and the APIs with no other kind (DescribeCluster, DescribeTransactions,
/// ListTransactions); these readers and writers exist for those and for skipping any tagged fields a
/// client adds.
extension ByteBuffer {
    public mutating func readCompactNullableString(_ field: @autoclosure () -> String) throws -> String? {
        let lengthPlusOne = try readUnsignedVarint(field())
        if lengthPlusOne == 0 { return nil }
        guard let bytes = readSlice(length: Int(lengthPlusOne - 1)) else { throw ProtocolError.truncated(field()) }
        return try bytes.validUTF8String(field())
    }

    public mutating func readCompactString(_ field: @autoclosure () -> String) throws -> String {
        guard let value = try readCompactNullableString(field()) else { throw ProtocolError.invalid("\(field()) is null") }
        return value
    }

    /// Returns the element count of a compact array, nil when null.
    public mutating func readCompactArrayCount(_ field: @autoclosure () -> String) throws -> Int? {
        let countPlusOne = try readUnsignedVarint(field())
        if countPlusOne == 0 { return nil }
        let count = Int(countPlusOne - 1)
        guard count <= readableBytes else {
            throw ProtocolError.invalid("\(field()) has \(count) elements with \(readableBytes) bytes left")
        }
        return count
    }

    /// Skips a tagged-field section: a count, then per field a tag, a size and that many bytes.
    public mutating func skipTaggedFields(_ field: @autoclosure () -> String = "tagged fields") throws {
        let count = try readUnsignedVarint(field())
        for _ in 0..<count {
            _ = try readUnsignedVarint(field())
            let size = try readUnsignedVarint(field())
            guard readableBytes >= Int(size) else { throw ProtocolError.truncated(field()) }
            moveReaderIndex(forwardBy: Int(size))
        }
    }

    public mutating func writeCompactString(_ value: String) {
        writeUnsignedVarint(UInt32(value.utf8.count + 1))
        writeString(value)
    }

    public mutating func writeCompactNullableString(_ value: String?) {
        guard let value else { writeUnsignedVarint(0); return }
        writeCompactString(value)
    }

    public mutating func writeCompactArray<T>(_ elements: [T], _ element: (inout ByteBuffer, T) -> Void) {
        writeUnsignedVarint(UInt32(elements.count + 1))
        for value in elements { element(&self, value) }
    }

    /// An empty tagged-field section.
    public mutating func writeEmptyTaggedFields() { writeUnsignedVarint(0) }
}
