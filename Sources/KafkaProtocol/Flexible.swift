import NIOCore

/// Compact (flexible-version) encodings and tagged fields, for ApiVersions v3, InitProducerId v2–4
/// (KIP-360), TxnOffsetCommit v3 (KIP-447), the admin APIs' flexible versions (CreateTopics v5+,
/// DeleteTopics v4+, DescribeConfigs v4, CreatePartitions v2+, AlterConfigs v2,
/// IncrementalAlterConfigs v1, DeleteRecords v2, ElectLeaders v2, DescribeLogDirs v2+), and the APIs
/// with no other kind (DescribeCluster, DescribeTransactions, ListTransactions, the partition
/// reassignment APIs); and for skipping any tagged fields a client adds.
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

/// A Kafka UUID (topic ids): 16 bytes, all zero meaning none.
public struct KafkaUuid: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var high: UInt64
    public var low: UInt64
    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }
    public static let zero = KafkaUuid(high: 0, low: 0)
    /// 32 hex digits.
    public var description: String {
        [high, low].map { let hex = String($0, radix: 16); return String(repeating: "0", count: 16 - hex.count) + hex }.joined()
    }
}

/// The same field in either encoding, for APIs with classic and flexible versions: `compact` (the
/// message's `apiKey.isFlexible(version)`) picks compact strings and arrays over int16/int32 lengths.
/// Arrays of structs must also end each element with `skipTaggedFields(if:)` /
/// `writeEmptyTaggedFields(if:)`; arrays of strings or integers carry no tagged fields.
extension ByteBuffer {
    public mutating func readKafkaString(_ field: @autoclosure () -> String, compact: Bool) throws -> String {
        compact ? try readCompactString(field()) : try readKafkaString(field())
    }

    public mutating func readNullableKafkaString(_ field: @autoclosure () -> String, compact: Bool) throws -> String? {
        compact ? try readCompactNullableString(field()) : try readNullableKafkaString(field())
    }

    public mutating func readNullableKafkaArray<T>(_ field: @autoclosure () -> String, compact: Bool,
                                                   _ element: (inout ByteBuffer) throws -> T) throws -> [T]? {
        guard compact else { return try readNullableKafkaArray(field(), element) }
        guard let count = try readCompactArrayCount(field()) else { return nil }
        var elements: [T] = []
        elements.reserveCapacity(count)
        for _ in 0..<count { elements.append(try element(&self)) }
        return elements
    }

    /// A non-nullable array; null reads as empty, as Kafka treats it.
    public mutating func readKafkaArray<T>(_ field: @autoclosure () -> String, compact: Bool,
                                           _ element: (inout ByteBuffer) throws -> T) throws -> [T] {
        try readNullableKafkaArray(field(), compact: compact, element) ?? []
    }

    public mutating func skipTaggedFields(if flexible: Bool) throws {
        if flexible { try skipTaggedFields() }
    }

    public mutating func readKafkaUuid(_ field: @autoclosure () -> String) throws -> KafkaUuid {
        KafkaUuid(high: try readKafka(UInt64.self, field()), low: try readKafka(UInt64.self, field()))
    }

    public mutating func writeKafkaString(_ value: String, compact: Bool) {
        if compact { writeCompactString(value) } else { writeKafkaString(value) }
    }

    public mutating func writeNullableKafkaString(_ value: String?, compact: Bool) {
        if compact { writeCompactNullableString(value) } else { writeNullableKafkaString(value) }
    }

    public mutating func writeNullableKafkaArray<T>(_ elements: [T]?, compact: Bool, _ element: (inout ByteBuffer, T) -> Void) {
        guard compact else { writeNullableKafkaArray(elements, element); return }
        guard let elements else { writeUnsignedVarint(0); return }
        writeCompactArray(elements, element)
    }

    public mutating func writeKafkaArray<T>(_ elements: [T], compact: Bool, _ element: (inout ByteBuffer, T) -> Void) {
        if compact { writeCompactArray(elements, element) } else { writeKafkaArray(elements, element) }
    }

    public mutating func writeEmptyTaggedFields(if flexible: Bool) {
        if flexible { writeEmptyTaggedFields() }
    }

    public mutating func writeKafkaUuid(_ value: KafkaUuid) {
        writeInteger(value.high, endianness: .big)
        writeInteger(value.low, endianness: .big)
    }
}
