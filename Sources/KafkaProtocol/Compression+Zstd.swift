import CZstd
import NIOCore

extension Compression {
    /// zstd frames through libzstd's streaming decoder, which also refuses frames whose window
    /// would need more than 128 MiB of memory (its default `windowLogMax`).
    enum Zstd {
        static func decompress(_ input: UnsafeRawBufferPointer, maxOutputBytes: Int) throws -> ByteBuffer {
            guard input.count > 0 else { throw CompressionError.malformed(.zstd, "empty frame") }
            guard let context = ZSTD_createDCtx() else { throw CompressionError.malformed(.zstd, "libzstd refused to start") }
            defer { ZSTD_freeDCtx(context) }
            var source = ZSTD_inBuffer(src: input.baseAddress, size: input.count, pos: 0)
            var output = BoundedOutput(codec: .zstd, limit: maxOutputBytes, inputBytes: input.count)
            while true {
                let (hint, filled): (Int, Bool) = try output.write { window in
                    var destination = ZSTD_outBuffer(dst: window.baseAddress, size: window.count, pos: 0)
                    let hint = ZSTD_decompressStream(context, &destination, &source)
                    return (ZSTD_isError(hint) == 0 ? destination.pos : 0, (hint, destination.pos == destination.size))
                }
                if ZSTD_isError(hint) != 0 { throw CompressionError.malformed(.zstd, String(cString: ZSTD_getErrorName(hint))) }
                // 0: a frame ended and everything it held was flushed; further input starts the next frame.
                if hint == 0 && source.pos == source.size { return output.buffer }
                if source.pos == source.size && !filled { throw CompressionError.malformed(.zstd, "frame ends early") }
            }
        }

        static func compress(_ input: UnsafeRawBufferPointer) throws -> ByteBuffer {
            let bound = ZSTD_compressBound(input.count)
            var output = ByteBufferAllocator().buffer(capacity: bound)
            var result = 0
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { out in
                result = ZSTD_compress(out.baseAddress, bound, input.baseAddress, input.count, 3)
                return ZSTD_isError(result) == 0 ? result : 0
            }
            guard ZSTD_isError(result) == 0 else { throw CompressionError.malformed(.zstd, String(cString: ZSTD_getErrorName(result))) }
            return output
        }
    }
}
