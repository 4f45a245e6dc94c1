import CSnappy
import NIOCore

extension Compression {
    /// Snappy in both framings Kafka clients send: librdkafka writes one raw block, the Java client
    /// (snappy-java's SnappyOutputStream) writes a 16-byte header and length-prefixed raw blocks.
    /// Consumers (librdkafka, Java) tell them apart by the magic, and so does the broker.
    enum Snappy {
        /// `82 'S' 'N' 'A' 'P' 'P' 'Y' 00`, then int32 version and int32 compatible version (both 1).
        static let framedMagic: [UInt8] = [0x82, 0x53, 0x4E, 0x41, 0x50, 0x50, 0x59, 0x00]
        static let framedHeaderBytes = 16
        /// snappy-java's default block: 32 KiB of input per raw block.
        static let framedBlockBytes = 32 * 1024

        static func isFramed(_ input: UnsafeRawBufferPointer) -> Bool {
            input.count >= framedHeaderBytes && zip(input.prefix(8), framedMagic).allSatisfy { $0 == $1 }
        }

        static func decompress(_ input: UnsafeRawBufferPointer, maxOutputBytes: Int) throws -> ByteBuffer {
            var output = ByteBufferAllocator().buffer(capacity: 0)
            guard isFramed(input) else {
                try appendRawBlock(input, to: &output, maxOutputBytes: maxOutputBytes)
                return output
            }
            var index = framedHeaderBytes
            while index < input.count {
                guard input.count - index >= 4 else { throw CompressionError.malformed(.snappy, "block length cut short at byte \(index)") }
                let length = input[index..<index + 4].reduce(0) { $0 << 8 | Int($1) }
                index += 4
                guard length <= input.count - index else {
                    throw CompressionError.malformed(.snappy, "block of \(length) bytes at byte \(index - 4), \(input.count - index) remain")
                }
                if length > 0 {
                    try appendRawBlock(UnsafeRawBufferPointer(rebasing: input[index..<index + length]), to: &output, maxOutputBytes: maxOutputBytes)
                }
                index += length
            }
            return output
        }

        /// Inflates one raw block after `output`'s bytes. The block states its own inflated length
        /// up front, so the bound is checked before anything is allocated.
        static func appendRawBlock(_ block: UnsafeRawBufferPointer, to output: inout ByteBuffer, maxOutputBytes: Int) throws {
            guard let base = block.baseAddress, block.count > 0 else { throw CompressionError.malformed(.snappy, "empty block") }
            let compressed = base.assumingMemoryBound(to: CChar.self)
            var length = 0
            guard snappy_uncompressed_length(compressed, block.count, &length) == SNAPPY_OK else {
                throw CompressionError.malformed(.snappy, "block of \(block.count) bytes has no valid length preamble")
            }
            guard length <= maxOutputBytes - output.writerIndex else { throw CompressionError.outputTooLarge(.snappy, limit: maxOutputBytes) }
            guard length > 0 else { return }
            var status = SNAPPY_INVALID_INPUT
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { out in
                var written = length
                status = snappy_uncompress(compressed, block.count, out.baseAddress!.assumingMemoryBound(to: CChar.self), &written)
                return status == SNAPPY_OK ? written : 0
            }
            guard status == SNAPPY_OK else { throw CompressionError.malformed(.snappy, "block of \(block.count) bytes does not decode") }
        }

        static func compressRaw(_ input: UnsafeRawBufferPointer) throws -> ByteBuffer {
            var output = ByteBufferAllocator().buffer(capacity: 0)
            try appendRawCompressed(input, to: &output)
            return output
        }

        /// snappy-java's framing: the header, then each 32 KiB of input as a length-prefixed raw block.
        static func compressFramed(_ input: UnsafeRawBufferPointer) throws -> ByteBuffer {
            var output = ByteBufferAllocator().buffer(capacity: framedHeaderBytes + input.count / 2)
            output.writeBytes(framedMagic)
            output.writeInteger(Int32(1))
            output.writeInteger(Int32(1))
            var index = 0
            while index < input.count {
                let end = min(input.count, index + framedBlockBytes)
                let lengthAt = output.writerIndex
                output.writeInteger(Int32(0))
                try appendRawCompressed(UnsafeRawBufferPointer(rebasing: input[index..<end]), to: &output)
                output.setInteger(Int32(output.writerIndex - lengthAt - 4), at: lengthAt)
                index = end
            }
            return output
        }

        static func appendRawCompressed(_ input: UnsafeRawBufferPointer, to output: inout ByteBuffer) throws {
            let bound = snappy_max_compressed_length(input.count)
            var status = SNAPPY_INVALID_INPUT
            let empty: CChar = 0
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { out in
                var written = bound
                withUnsafePointer(to: empty) { emptyPointer in
                    let source = input.baseAddress?.assumingMemoryBound(to: CChar.self) ?? emptyPointer
                    status = snappy_compress(source, input.count, out.baseAddress!.assumingMemoryBound(to: CChar.self), &written)
                }
                return status == SNAPPY_OK ? written : 0
            }
            guard status == SNAPPY_OK else { throw CompressionError.malformed(.snappy, "snappy_compress failed (\(status))") }
        }
    }
}
