import Foundation
import Logging
import Testing
@testable import LogStore

/// Seeded bug lossy-recovery: a log reopened after an unclean shutdown is cut to its checkpointed HW.
@Suite struct SeededLossyRecoveryTests {
    func reopen(_ dir: TemporaryDirectory, lossy: Bool) throws -> PartitionLog {
        try PartitionLog(directory: dir.path + "/orders-0", config: LogConfig(), logger: Logger(label: "test"), nowMs: { 10_000 },
                         seededLossyRecovery: lossy)
    }

    /// 100 records, HW checkpointed at 60, then the process dies without closing the log.
    func crashedLog() throws -> TemporaryDirectory {
        let dir = TemporaryDirectory()
        let log = try openLog(dir)
        try fill(log, count: 100)
        try log.checkpointHighWatermark(60)
        return dir
    }

    @Test func correctRecoveryKeepsEveryValidBatchAfterAKill() throws {
        let dir = try crashedLog()
        let log = try reopen(dir, lossy: false)
        #expect(log.logEndOffset == 100)
    }

    @Test func lossyRecoveryCutsTheLogToTheCheckpointedHighWatermark() throws {
        let dir = try crashedLog()
        let log = try reopen(dir, lossy: true)
        #expect(log.logEndOffset == 60)
        let read = try log.read(from: 0, maxBytes: 1 << 20, maxOffset: 100, minOneBatch: true)
        #expect(try values(in: read.records).map(\.1) == (0..<60).map { "v\($0)" })
    }

    @Test func lossyRecoveryLeavesACleanlyClosedLogAlone() throws {
        let dir = TemporaryDirectory()
        do {
            let log = try openLog(dir)
            try fill(log, count: 100)
            try log.checkpointHighWatermark(60)
            try log.close()
        }
        #expect(try reopen(dir, lossy: true).logEndOffset == 100)
    }
}
