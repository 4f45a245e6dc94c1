import KafkaProtocol
import NIOCore

extension PartitionLog {
    /// Calls `body` with the header of every batch from the log start to the end, reading segments in
    /// 1 MiB chunks (headers only are parsed). Used to rebuild state kept beside the log, such as the
    /// idempotent producers' sequences after a restart or a truncation.
    public func forEachBatchHeader(_ body: (RecordBatchHeader) throws -> Void) throws {
        for segment in segments {
            var position = 0
            while position < segment.size {
                let chunk = try segment.read(at: position, length: min(1 << 20, segment.size - position))
                var consumed = 0
                while let header = RecordBatchHeader(chunk, at: chunk.readerIndex + consumed) {
                    if header.baseOffset >= logStartOffset || header.lastOffset >= logStartOffset { try body(header) }
                    let total = header.totalSize
                    guard total > 0 else { return }
                    if consumed + total > chunk.readableBytes {
                        // The batch runs past this chunk: continue from its start in the next read.
                        if consumed == 0 { consumed = total }
                        break
                    }
                    consumed += total
                }
                guard consumed > 0 else { break }
                position += consumed
            }
        }
    }
}
