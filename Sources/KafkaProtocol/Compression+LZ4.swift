import CLZ4
import NIOCore

extension Compression {
    /// One LZ4 frame (the format of KIP-57; liblz4 checks the frame header's checksum, which magic
    /// v2 batches must carry correctly). Bytes after the frame's end are malformed: Kafka's Java
    /// reader stops at the end mark and would silently drop them.
    enum LZ4 {
        static func decompress(_ input: UnsafeRawBufferPointer, maxOutputBytes: Int) throws -> ByteBuffer {
            guard let base = input.baseAddress, input.count > 0 else { throw CompressionError.malformed(.lz4, "empty frame") }
            var context: OpaquePointer?
            guard LZ4F_isError(LZ4F_createDecompressionContext(&context, UInt32(LZ4F_VERSION))) == 0, let context else {
                throw CompressionError.malformed(.lz4, "liblz4 refused to start")
            }
            defer { LZ4F_freeDecompressionContext(context) }
            var output = BoundedOutput(codec: .lz4, limit: maxOutputBytes, inputBytes: input.count)
            var consumed = 0
            while true {
                let (hint, used, written): (Int, Int, Int) = try output.write { window in
                    var sourceBytes = input.count - consumed
                    var destinationBytes = window.count
                    let hint = LZ4F_decompress(context, window.baseAddress, &destinationBytes, base + consumed, &sourceBytes, nil)
                    return (LZ4F_isError(hint) == 0 ? destinationBytes : 0, (hint, sourceBytes, destinationBytes))
                }
                if LZ4F_isError(hint) != 0 {
                    throw CompressionError.malformed(.lz4, String(cString: LZ4F_getErrorName(hint)))
                }
                consumed += used
                if hint == 0 {
                    guard consumed == input.count else {
                        throw CompressionError.malformed(.lz4, "\(input.count - consumed) bytes after the end of the frame")
                    }
                    return output.buffer
                }
                if consumed == input.count && written == 0 { throw CompressionError.malformed(.lz4, "frame ends before its end mark") }
                if used == 0 && written == 0 { throw CompressionError.malformed(.lz4, "decoder stalled at byte \(consumed)") }
            }
        }

        /// A frame of independent blocks, as librdkafka and the Java client write them.
        static func compress(_ input: UnsafeRawBufferPointer) throws -> ByteBuffer {
            var preferences = LZ4F_preferences_t()
            preferences.frameInfo.blockMode = LZ4F_blockIndependent
            let bound = LZ4F_compressFrameBound(input.count, &preferences)
            var output = ByteBufferAllocator().buffer(capacity: bound)
            var result = 0
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { out in
                result = LZ4F_compressFrame(out.baseAddress, bound, input.baseAddress, input.count, &preferences)
                return LZ4F_isError(result) == 0 ? result : 0
            }
            guard LZ4F_isError(result) == 0 else { throw CompressionError.malformed(.lz4, String(cString: LZ4F_getErrorName(result))) }
            return output
        }
    }
}
