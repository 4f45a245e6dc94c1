import Foundation
import KafkaProtocol
import Logging
import NIOCore
@testable import LogStore

/// A temporary directory removed when the test ends.
final class TemporaryDirectory {
    let path: String
    init() {
        path = NSTemporaryDirectory() + "samsa-logstore-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
}

func batch(_ values: [String], timestampMs: Int64 = 1_000) -> ByteBuffer {
    RecordBatchBuilder().build(values.map {
        .init(key: nil, value: ByteBuffer(string: $0), timestampMs: timestampMs)
    })
}

func values(in records: ByteBuffer) throws -> [(Int64, String)] {
    try RecordBatches.split(records).batches.flatMap { try RecordBatches.records(of: $0) }.map { ($0.offset, String(buffer: $0.value!)) }
}

func openLog(_ directory: TemporaryDirectory, config: LogConfig = LogConfig(), now: @escaping @Sendable () -> Int64 = { 10_000 }) throws -> PartitionLog {
    try PartitionLog(directory: directory.path + "/orders-0", config: config, logger: Logger(label: "test"), nowMs: now)
}

/// Appends `count` single-record batches "v0", "v1", ... as leader.
func fill(_ log: PartitionLog, count: Int, from start: Int = 0, epoch: Int32 = 0, timestamp: (Int) -> Int64 = { _ in 1_000 }) throws {
    for i in start..<(start + count) {
        try log.appendAsLeader([batch(["v\(i)"], timestampMs: timestamp(i))], leaderEpoch: epoch, logAppendTimeMs: nil)
    }
}
