import NIOCore

/// The topic settings a leader applies to a produced batch beyond the format itself.
public struct ProducedBatchRules: Sendable, Equatable {
    /// The topic's `message.timestamp.type` is LogAppendTime.
    public var logAppendTime: Bool
    /// The most bytes a compressed payload may inflate to before the batch is refused.
    public var maxUncompressedBytes: Int

    public init(logAppendTime: Bool, maxUncompressedBytes: Int) {
        self.logAppendTime = logAppendTime
        self.maxUncompressedBytes = maxUncompressedBytes
    }

    /// A bound derived from the topic's `max.message.bytes`: producers compress batches up to that
    /// size, and text or JSON rarely shrinks more than tenfold, so 64 times it (at least 16 MiB, at
    /// most 1 GiB) passes every real batch while a bomb stops after a bounded amount of work and
    /// memory. Kafka streams records and sets no bound; Samsa inflates a payload whole.
    public static func uncompressedLimit(maxMessageBytes: Int32) -> Int {
        min(max(64 * Int(max(0, maxMessageBytes)), 16 << 20), 1 << 30)
    }
}

extension RecordBatches {
    /// Checks a batch as a leader must before appending a producer's bytes, as Kafka's LogValidator
    /// and DefaultRecord.readFrom do: the header and CRC (`validate(_:)`), then the producer fields,
    /// then every record, after inflating the payload if it is compressed. The batch itself is not
    /// changed: a compressed batch is stored as the producer sent it.
    ///
    /// Returns the header; throws the first violation found.
    public static func validateProduced(_ batch: ByteBuffer, rules: ProducedBatchRules) throws -> RecordBatchHeader {
        let header = try validate(batch)
        try checkProducerFields(header, rules: rules)
        guard var payload = batch.getSlice(at: batch.readerIndex + RecordBatchHeader.size, length: header.totalSize - RecordBatchHeader.size) else {
            throw BatchValidationError.truncated(needed: header.totalSize, available: batch.readableBytes)
        }
        if header.compression != .none {
            do {
                payload = try Compression.decompress(header.compression, payload, maxOutputBytes: rules.maxUncompressedBytes)
            } catch let error as CompressionError {
                throw BatchValidationError.decompression(error)
            }
        }
        try scanRecords(&payload, declared: header.recordsCount)
        return header
    }

    /// Rules on the header's producer and timestamp fields (Kafka's LogValidator.validateBatch and
    /// validateTimestamp).
    static func checkProducerFields(_ header: RecordBatchHeader, rules: ProducedBatchRules) throws {
        if header.isControl { throw BatchValidationError.controlBatchFromClient }
        if header.isTransactional && !header.hasProducerId { throw BatchValidationError.transactionalWithoutProducerId }
        if header.hasProducerId && header.baseSequence < 0 {
            throw BatchValidationError.sequenceMissing(producerId: header.producerId, baseSequence: header.baseSequence)
        }
        // Kafka refuses the LogAppendTime bit from a producer when the topic stamps append times
        // itself, and when the batch has no timestamp to stand for its records' (-1).
        if header.timestampType == .logAppendTime && (rules.logAppendTime || header.maxTimestamp == -1) {
            throw BatchValidationError.logAppendTimeFromProducer
        }
    }

    /// Walks `declared` records through `body` without copying keys, values or headers, and
    /// requires the body to end exactly after the last one.
    static func scanRecords(_ body: inout ByteBuffer, declared: Int32) throws {
        var index = 0
        while index < Int(declared) {
            guard body.readableBytes > 0 else { throw BatchValidationError.missingRecords(declared: declared, present: index) }
            try scanRecord(&body, index: index)
            index += 1
        }
        guard body.readableBytes == 0 else { throw BatchValidationError.trailingBytes(body.readableBytes, afterRecords: declared) }
    }

    /// One record: length varint, attributes, timestamp delta, offset delta, key, value, headers.
    /// Its length must cover exactly its fields, and its offset delta must equal its position.
    static func scanRecord(_ body: inout ByteBuffer, index: Int) throws {
        func malformed(_ reason: String) -> BatchValidationError { .malformedRecord(index: index, reason: reason) }
        let length: Int32
        do { length = try body.readZigZagVarint("length") } catch { throw malformed("\(error)") }
        guard length >= 0 else { throw malformed("negative length \(length)") }
        guard var record = body.readSlice(length: Int(length)) else {
            throw malformed("length \(length) but \(body.readableBytes) bytes remain")
        }
        let offsetDelta: Int32
        do {
            // The attributes byte is unused in magic v2; like Kafka, any value is accepted.
            _ = try record.readInt8("attributes")
            _ = try record.readZigZagVarlong("timestamp delta")
            offsetDelta = try record.readZigZagVarint("offset delta")
            try skipBytes(&record, "key", nullable: true, malformed)
            try skipBytes(&record, "value", nullable: true, malformed)
            let headerCount = try record.readZigZagVarint("header count")
            // A header takes at least two bytes (an empty key and a null value).
            guard headerCount >= 0, Int(headerCount) <= record.readableBytes / 2 else {
                throw malformed("header count \(headerCount) with \(record.readableBytes) bytes left")
            }
            for header in 0..<Int(headerCount) {
                try skipBytes(&record, "header \(header) key", nullable: false, malformed)
                try skipBytes(&record, "header \(header) value", nullable: true, malformed)
            }
        } catch let error as ProtocolError {
            throw malformed("\(error)")
        }
        guard record.readableBytes == 0 else {
            throw malformed("length \(length) but its fields end \(record.readableBytes) bytes sooner")
        }
        guard offsetDelta == Int32(truncatingIfNeeded: index) else {
            throw BatchValidationError.offsetDeltaOutOfSequence(index: index, offsetDelta: offsetDelta)
        }
    }

    /// Skips a zigzag-length-prefixed byte string: -1 is null (where allowed), other negatives and
    /// lengths past the record's end are malformed.
    private static func skipBytes(_ record: inout ByteBuffer, _ field: String, nullable: Bool,
                                  _ malformed: (String) -> BatchValidationError) throws {
        let length = try record.readZigZagVarint(field)
        if length == -1 && nullable { return }
        guard length >= 0 else { throw malformed("\(field) length \(length)") }
        guard record.readableBytes >= Int(length) else {
            throw malformed("\(field) of \(length) bytes, \(record.readableBytes) left in the record")
        }
        record.moveReaderIndex(forwardBy: Int(length))
    }
}
