import CZlib
import NIOCore

extension Compression {
    /// gzip through zlib. A payload may hold several gzip members back to back (Java's
    /// GZIPInputStream reads them as one stream); anything else after a member is malformed.
    enum Gzip {
        static func decompress(_ input: UnsafeRawBufferPointer, maxOutputBytes: Int) throws -> ByteBuffer {
            guard input.count <= Int(UInt32.max) else { throw CompressionError.malformed(.gzip, "\(input.count) bytes of input") }
            guard let base = input.baseAddress, input.count > 0 else { throw CompressionError.malformed(.gzip, "empty stream") }
            var stream = z_stream()
            guard samsa_gzip_inflate_init(&stream) == Z_OK else { throw CompressionError.malformed(.gzip, "zlib refused to start") }
            defer { inflateEnd(&stream) }
            stream.next_in = UnsafeMutablePointer(mutating: base.assumingMemoryBound(to: Bytef.self))
            stream.avail_in = uInt(input.count)
            var output = BoundedOutput(codec: .gzip, limit: maxOutputBytes, inputBytes: input.count)
            while true {
                let status: Int32 = try output.write { window in
                    stream.next_out = window.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_out = uInt(window.count)
                    let status = inflate(&stream, Z_NO_FLUSH)
                    return (window.count - Int(stream.avail_out), status)
                }
                switch status {
                case Z_STREAM_END:
                    if stream.avail_in == 0 { return output.buffer }
                    // Another member follows; a non-gzip tail fails its header check on the next call.
                    guard inflateReset(&stream) == Z_OK else { throw CompressionError.malformed(.gzip, "zlib refused to reset") }
                case Z_OK, Z_BUF_ERROR:
                    // Input exhausted with room left for output: the stream stopped before its end.
                    if stream.avail_in == 0 && stream.avail_out > 0 {
                        throw CompressionError.malformed(.gzip, "stream ends before its trailer")
                    }
                default:
                    let reason = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    throw CompressionError.malformed(.gzip, reason)
                }
            }
        }

        static func compress(_ input: UnsafeRawBufferPointer) throws -> ByteBuffer {
            var stream = z_stream()
            guard samsa_gzip_deflate_init(&stream, Z_DEFAULT_COMPRESSION) == Z_OK else {
                throw CompressionError.malformed(.gzip, "zlib refused to start deflating")
            }
            defer { deflateEnd(&stream) }
            let bound = Int(deflateBound(&stream, uLong(input.count)))
            var output = ByteBufferAllocator().buffer(capacity: bound)
            var status = Z_STREAM_ERROR
            output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: Bytef.self))
                stream.avail_in = uInt(input.count)
                stream.next_out = out.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(bound)
                status = deflate(&stream, Z_FINISH)
                return bound - Int(stream.avail_out)
            }
            // deflateBound's room is enough for one Z_FINISH call to end the stream.
            guard status == Z_STREAM_END else { throw CompressionError.malformed(.gzip, "deflate did not finish (\(status))") }
            return output
        }
    }
}
