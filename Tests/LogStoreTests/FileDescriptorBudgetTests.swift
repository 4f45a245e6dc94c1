import Foundation
import KafkaProtocol
import Logging
import NIOCore
import Testing
@testable import LogStore

@Suite struct FileDescriptorBudgetTests {
    private func openLog(_ directory: TemporaryDirectory, _ name: String, budget: FileDescriptorBudget,
                         config: LogConfig = LogConfig()) throws -> PartitionLog {
        try PartitionLog(directory: directory.path + "/" + name, config: config, logger: Logger(label: "test"),
                         nowMs: { 10_000 }, fileBudget: budget)
    }

    /// Descriptors of this process that point into `directory`.
    private func descriptorsOpen(under directory: String) -> Int {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return entries.filter { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + $0))?.hasPrefix(directory) == true }.count
    }

    @Test func manyLogsStayWithinTheBudgetAndKeepTheirData() throws {
        let dir = TemporaryDirectory()
        let budget = FileDescriptorBudget(maxOpenFiles: 8)
        let logs = try (0..<20).map { try openLog(dir, "orders-\($0)", budget: budget) }
        for round in 0..<3 {
            for (number, log) in logs.enumerated() {
                try fill(log, count: 1, from: round)
                #expect(budget.openFiles <= 8, "log \(number) round \(round): \(budget.openFiles) open")
            }
        }
        #if os(Linux)
        #expect(descriptorsOpen(under: dir.path) <= 8)
        #endif
        for log in logs {
            let read = try log.read(from: 0, maxBytes: 1 << 20, maxOffset: 3, minOneBatch: true)
            #expect(try values(in: read.records).map(\.1) == ["v0", "v1", "v2"])
        }
        for log in logs { try log.close() }
        #expect(budget.openFiles == 0)
    }

    @Test func leastRecentlyUsedSegmentIsClosedFirst() throws {
        let dir = TemporaryDirectory()
        let budget = FileDescriptorBudget(maxOpenFiles: 4)
        let a = try openLog(dir, "a-0", budget: budget)
        let b = try openLog(dir, "b-0", budget: budget)
        try fill(a, count: 1)
        try fill(b, count: 1)
        #expect(a.segments[0].files.isOpen && b.segments[0].files.isOpen)
        _ = try a.read(from: 0, maxBytes: 1 << 20, maxOffset: 1, minOneBatch: true)
        let c = try openLog(dir, "c-0", budget: budget)
        #expect(a.segments[0].files.isOpen, "a was used after b")
        #expect(!b.segments[0].files.isOpen, "b was the least recently used")
        #expect(c.segments[0].files.isOpen)
        try fill(b, count: 1, from: 1)
        #expect(b.logEndOffset == 2)
        #expect(budget.openFiles <= 4)
    }

    @Test func segmentsOfOneLogRollAndReopenOnDemand() throws {
        let dir = TemporaryDirectory()
        let budget = FileDescriptorBudget(maxOpenFiles: 4)
        var config = LogConfig()
        config.segmentBytes = 200
        let log = try openLog(dir, "orders-0", budget: budget, config: config)
        try fill(log, count: 40)
        #expect(log.segmentCount > 5)
        #expect(budget.openFiles <= 4)
        let read = try log.read(from: 0, maxBytes: 1 << 20, maxOffset: 40, minOneBatch: true)
        #expect(try values(in: read.records).first?.1 == "v0")
        var all: [String] = []
        var offset: Int64 = 0
        while offset < log.logEndOffset {
            let chunk = try log.read(from: offset, maxBytes: 1 << 20, maxOffset: 40, minOneBatch: true)
            let found = try values(in: chunk.records)
            all += found.map(\.1)
            offset = found.last!.0 + 1
        }
        #expect(all == (0..<40).map { "v\($0)" })
        #expect(try log.truncate(to: 7) == 7)
        #expect(try log.offsetForTimestamp(0)?.offset == 0)
        try fill(log, count: 3, from: 7)
        try log.close()
        let reopened = try openLog(dir, "orders-0", budget: budget, config: config)
        #expect(reopened.logEndOffset == 10)
        #expect(budget.openFiles <= 4)
    }

    @Test func evictedSegmentWithUnsyncedWritesIsSyncedAndFlushStillSucceeds() throws {
        let dir = TemporaryDirectory()
        let budget = FileDescriptorBudget(maxOpenFiles: 4)
        let a = try openLog(dir, "a-0", budget: budget)
        try fill(a, count: 5)
        #expect(a.segments[0].unflushed)
        _ = try openLog(dir, "b-0", budget: budget)
        _ = try openLog(dir, "c-0", budget: budget)
        #expect(!a.segments[0].files.isOpen, "evicted while holding unsynced writes")
        try a.flush()
        #expect(!a.segments[0].unflushed)
        #expect(!a.segments[0].files.isOpen, "a flush of an evicted (already synced) segment does not reopen it")
        try a.close()
        let reopened = try openLog(dir, "a-0", budget: budget)
        #expect(reopened.logEndOffset == 5)
    }

    @Test func deletedLogsReleaseTheirDescriptors() throws {
        let dir = TemporaryDirectory()
        let budget = FileDescriptorBudget(maxOpenFiles: 40)
        let logs = try (0..<5).map { try openLog(dir, "t-\($0)", budget: budget) }
        #expect(budget.openFiles == 10)
        for log in logs { try log.truncateFullyAndStart(at: 0) }
        #expect(budget.openFiles == 10)
        for log in logs { try log.close() }
        #expect(budget.openFiles == 0)
    }

    @Test func concurrentLogsNeverExceedTheBudgetByMuch() async throws {
        let dir = TemporaryDirectory()
        let budget = FileDescriptorBudget(maxOpenFiles: 6)
        let logs = try (0..<8).map { try openLog(dir, "p-\($0)", budget: budget) }
        let boxes = logs.map { UncheckedLog(log: $0) }
        await withTaskGroup(of: Void.self) { group in
            for box in boxes {
                group.addTask {
                    for i in 0..<50 {
                        try? fill(box.log, count: 1, from: i)
                        _ = try? box.log.read(from: 0, maxBytes: 1 << 20, maxOffset: Int64(i + 1), minOneBatch: true)
                    }
                }
            }
        }
        for log in logs {
            #expect(log.logEndOffset == 50)
            let read = try log.read(from: 0, maxBytes: 1 << 20, maxOffset: 50, minOneBatch: true)
            #expect(try values(in: read.records).map(\.1) == (0..<50).map { "v\($0)" })
        }
        // Each in-use segment may be over by one while another thread evicts; never more than the logs.
        #expect(budget.openFiles <= 6 + 2 * logs.count)
    }

    @Test func defaultBudgetIsHalfTheSoftLimit() {
        #expect(FileDescriptorBudget.defaultMaxOpenFiles(softLimit: 1024) == 512)
        #expect(FileDescriptorBudget.defaultMaxOpenFiles(softLimit: Int.max) == 1 << 20)
        #expect(FileDescriptorBudget(maxOpenFiles: 1).maxOpenFiles == FileDescriptorBudget.minimumOpenFiles)
    }
}

/// One log used by one task at a time (as the broker's `Partition` lock ensures).
private struct UncheckedLog: @unchecked Sendable {
    let log: PartitionLog
}
