import NIOCore

/// Builds a RecordBatch v2, uncompressed or in one of Kafka's codecs, for Samsa's own producer and for tests.
public struct RecordBatchBuilder: Sendable {
    public struct Input: Sendable {
        public var key: ByteBuffer?
        public var value: ByteBuffer?
        public var headers: [Record.Header]
        public var timestampMs: Int64
        public init(key: ByteBuffer?, value: ByteBuffer?, headers: [Record.Header] = [], timestampMs: Int64) {
            self.key = key
            self.value = value
            self.headers = headers
            self.timestampMs = timestampMs
        }
    }

    public var producerId: Int64 = -1
    public var producerEpoch: Int16 = -1
    public var baseSequence: Int32 = -1
    public var baseOffset: Int64 = 0
    public var partitionLeaderEpoch: Int32 = -1
    /// Attribute bits besides the codec's (bit 4 transactional, bit 5 control).
    public var attributes: Int16 = 0

    public init(producerId: Int64 = -1, producerEpoch: Int16 = -1, baseSequence: Int32 = -1) {
        self.producerId = producerId
        self.producerEpoch = producerEpoch
        self.baseSequence = baseSequence
    }

    /// Encodes `records` (at least one) as one batch with a correct length and CRC-32C.
    public func build(_ records: [Input], allocator: ByteBufferAllocator = ByteBufferAllocator()) -> ByteBuffer {
        precondition(!records.isEmpty, "a batch holds at least one record")
        let baseTimestamp = records.map(\.timestampMs).min()!
        let maxTimestamp = records.map(\.timestampMs).max()!
        var buffer = allocator.buffer(capacity: RecordBatchHeader.size + records.count * 32)
        var header = RecordBatchHeader(baseOffset: baseOffset, partitionLeaderEpoch: partitionLeaderEpoch, attributes: attributes,
                                       lastOffsetDelta: Int32(records.count - 1), baseTimestamp: baseTimestamp,
                                       maxTimestamp: maxTimestamp, producerId: producerId,
                                       producerEpoch: producerEpoch, baseSequence: baseSequence,
                                       recordsCount: Int32(records.count))
        header.encode(into: &buffer)
        for (index, input) in records.enumerated() {
            Record(timestampDelta: input.timestampMs - baseTimestamp, offsetDelta: Int32(index),
                   key: input.key, value: input.value, headers: input.headers).encode(into: &buffer)
        }
        header.batchLength = Int32(buffer.readableBytes - RecordBatchHeader.logOverhead)
        buffer.setInteger(header.batchLength, at: 8, endianness: .big)
        let crc = CRC32C.checksum(buffer, at: RecordBatchHeader.attributesOffset,
                                  length: buffer.readableBytes - RecordBatchHeader.attributesOffset)!
        buffer.setInteger(crc, at: RecordBatchHeader.crcOffset, endianness: .big)
        return buffer
    }

    /// Encodes `records` as one batch whose payload is compressed with `codec`, as a Kafka client
    /// compresses it (snappy as one raw block, as librdkafka writes it).
    public func build(_ records: [Input], compression codec: CompressionCodec,
                      allocator: ByteBufferAllocator = ByteBufferAllocator()) throws -> ByteBuffer {
        let plain = build(records, allocator: allocator)
        return try RecordBatches.recoded(plain, to: codec, maxUncompressedBytes: plain.readableBytes)
    }
}
