import Foundation
import KafkaProtocol
import Logging
import LogStore
import NIOCore
import Testing
import Verification
@testable import Lab

/// A run directory with `broker-N/data/orders-0` logs written by the real `PartitionLog`.
private final class RunFixture {
    let path = NSTemporaryDirectory() + "samsa-digest-" + UUID().uuidString

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func partitionDirectory(_ broker: Int32, _ name: String = "orders-0") -> String { path + "/broker-\(broker)/data/" + name }

    /// Ten single-record batches, 0-4 in epoch 0 and 5-9 in epoch 2, high watermark 10, closed cleanly.
    func writeReplica(_ broker: Int32, topic: String = "orders") throws {
        let log = try PartitionLog(directory: partitionDirectory(broker, "\(topic)-0"), config: LogConfig(), logger: Logger(label: "test"),
                                   nowMs: { 10_000 })
        for i in 0..<10 {
            let batch = RecordBatchBuilder().build([.init(key: nil, value: ByteBuffer(string: "v\(i)"), timestampMs: 1_000 + Int64(i))])
            try log.appendAsLeader([batch], leaderEpoch: i < 5 ? 0 : 2, logAppendTimeMs: nil)
        }
        try log.checkpointHighWatermark(10)
        try log.close()
    }

    var segment: String { "00000000000000000000.log" }

    func bytes(_ broker: Int32) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: partitionDirectory(broker) + "/" + segment)))
    }

    func setBytes(_ broker: Int32, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: partitionDirectory(broker) + "/" + segment))
    }

    /// Byte position of the batch with `baseOffset` in broker's segment.
    func position(of baseOffset: Int64, _ broker: Int32) throws -> Int {
        let data = try bytes(broker)
        var position = 0
        while position + 12 <= data.count {
            let base = data[position..<position + 8].reduce(Int64(0)) { $0 << 8 | Int64($1) }
            if base == baseOffset { return position }
            let length = data[position + 8..<position + 12].reduce(Int32(0)) { $0 << 8 | Int32($1) }
            position += 12 + Int(length)
        }
        throw CheckerError("no batch at \(baseOffset)")
    }

    func allFiles() -> [String: Data] {
        var files: [String: Data] = [:]
        let enumerator = FileManager.default.enumerator(atPath: path)
        while let name = enumerator?.nextObject() as? String {
            if let data = FileManager.default.contents(atPath: path + "/" + name) { files[name] = data }
        }
        return files
    }
}

private func isrTimeline(_ isr: [Int32]) -> Timeline {
    Timeline(records: [TimelineRecord(timeNs: 1, .metadata(MetadataSample(controller: 1, brokers: isr, partitions: [
        PartitionState(topic: "orders", partition: 0, leader: 1, leaderEpoch: 2, replicas: isr, isr: isr),
    ])))])
}

@Suite struct ReplicaDigestTests {
    @Test func digestListsEveryBatchCheckpointAndEpochOfEachReplica() throws {
        let run = RunFixture()
        try run.writeReplica(1)
        try run.writeReplica(2)
        let digest = ReplicaDigestCollector.collect(runDirectory: run.path, topics: ["orders"], source: .stopped)
        #expect(digest.brokers == [1, 2])
        #expect(digest.problems.isEmpty)
        #expect(digest.partitions.count == 1)
        let replicas = digest.partitions[0].replicas
        #expect(replicas.map(\.broker) == [1, 2])
        for replica in replicas {
            #expect(replica.batches.count == 10)
            #expect(replica.batches.map(\.baseOffset) == Array(0..<10))
            #expect(replica.batches.map(\.leaderEpoch) == [0, 0, 0, 0, 0, 2, 2, 2, 2, 2])
            #expect(replica.logStart == 0)
            #expect(replica.logEnd == 10)
            #expect(replica.highWatermark == 10)
            #expect(replica.cleanShutdown == true)
            #expect(replica.leaderEpochs == [EpochStart(epoch: 0, startOffset: 0), EpochStart(epoch: 2, startOffset: 5)])
            #expect(replica.corrupt.isEmpty)
            #expect(replica.problems.isEmpty)
        }
        #expect(replicas[0].batches == replicas[1].batches)
        let checks = CheckReport(history: History(ops: []), timeline: isrTimeline([1, 2]), replicas: .digest(digest))
        #expect(checks.replicaAgreement.verdict == .valid)
    }

    @Test func otherTopicsAreLeftOut() throws {
        let run = RunFixture()
        try run.writeReplica(1)
        try run.writeReplica(1, topic: "__consumer_offsets")
        let digest = ReplicaDigestCollector.collect(runDirectory: run.path, topics: ["orders"], source: .stopped)
        #expect(digest.partitions.map(\.topic) == ["orders"])
    }

    @Test func readingChangesNoFile() throws {
        let run = RunFixture()
        try run.writeReplica(1)
        var bytes = try run.bytes(1)
        bytes += [0, 0, 0, 0, 0, 0, 0, 10, 0, 0]  // a torn tail the broker's recovery would cut
        try run.setBytes(1, bytes)
        let before = run.allFiles()
        _ = ReplicaDigestCollector.collect(runDirectory: run.path, topics: ["orders"], source: .stopped)
        #expect(run.allFiles() == before)
    }

    @Test func tornTailIsAProblemNotACrash() throws {
        let run = RunFixture()
        try run.writeReplica(1)
        let bytes = try run.bytes(1)
        try run.setBytes(1, Array(bytes.dropLast(7)))
        let replica = ReplicaDigestCollector.collect(runDirectory: run.path, topics: ["orders"], source: .stopped).partitions[0].replicas[0]
        #expect(replica.batches.count == 9)
        #expect(replica.logEnd == 9)
        #expect(replica.problems.count == 1)
        #expect(replica.problems[0].hasPrefix("torn tail"))
    }

    @Test func garbageInsteadOfABatchStopsTheReadingWithAProblem() throws {
        let run = RunFixture()
        try run.writeReplica(1)
        var bytes = try run.bytes(1)
        let at = try run.position(of: 4, 1)
        for i in at..<(at + 20) { bytes[i] = 0xff }
        try run.setBytes(1, bytes)
        let replica = ReplicaDigestCollector.collect(runDirectory: run.path, topics: ["orders"], source: .stopped).partitions[0].replicas[0]
        #expect(replica.batches.count == 4)
        #expect(replica.problems.count == 1)
    }

    @Test func flippedRecordByteIsListedAsCorrupt() throws {
        let run = RunFixture()
        try run.writeReplica(1)
        var bytes = try run.bytes(1)
        let at = try run.position(of: 3, 1)
        bytes[at + 61 + 3] ^= 0x01  // inside the records, covered by the CRC
        try run.setBytes(1, bytes)
        let replica = ReplicaDigestCollector.collect(runDirectory: run.path, topics: ["orders"], source: .stopped).partitions[0].replicas[0]
        #expect(replica.batches.count == 10)
        #expect(replica.corrupt == [3])
        #expect(replica.problems.isEmpty)
    }

    @Test func malformedCheckpointsAreProblems() throws {
        let run = RunFixture()
        try run.writeReplica(1)
        try "0\n-4\n".write(toFile: run.partitionDirectory(1) + "/leader-epoch-checkpoint", atomically: true, encoding: .utf8)
        try "ten\n".write(toFile: run.partitionDirectory(1) + "/replication-offset-checkpoint", atomically: true, encoding: .utf8)
        let replica = ReplicaDigestCollector.collect(runDirectory: run.path, topics: ["orders"], source: .stopped).partitions[0].replicas[0]
        #expect(replica.leaderEpochs == nil)
        #expect(replica.highWatermark == nil)
        #expect(replica.problems.count == 2)
    }

    @Test func writtenDigestReadsBackIdentically() throws {
        let run = RunFixture()
        try run.writeReplica(1)
        try run.writeReplica(2)
        var digest = ReplicaDigestCollector.collect(runDirectory: run.path, topics: ["orders"], source: .stopped)
        digest.problems.append("a \"quoted\"\nproblem")
        let path = run.path + "/replicas.json"
        try ReplicaDigestCollector.write(digest, to: path)
        guard case .digest(let read) = ReplicaDigestInput.load(path: path) else {
            Issue.record("replicas.json did not load")
            return
        }
        #expect(read == digest)
    }

    @Test func refreshRecomputesFromDataDirectoriesAndFallsBackToTheSavedFile() throws {
        let run = RunFixture()
        try run.writeReplica(1)
        guard case .digest(let first) = ReplicaDigestCollector.refresh(runDirectory: run.path, topics: ["orders"]) else {
            Issue.record("no digest")
            return
        }
        #expect(first.partitions.count == 1)
        try FileManager.default.removeItem(atPath: run.path + "/broker-1")
        guard case .digest(let saved) = ReplicaDigestCollector.refresh(runDirectory: run.path, topics: ["orders"]) else {
            Issue.record("the saved digest was not used")
            return
        }
        #expect(saved == first)
        try FileManager.default.removeItem(atPath: run.path + "/replicas.json")
        guard case .absent = ReplicaDigestCollector.refresh(runDirectory: run.path, topics: ["orders"]) else {
            Issue.record("expected no digest")
            return
        }
    }

    @Test func followerEpochRewrittenOnDiskIsCaught() throws {
        // The leader epoch lies outside the CRC, so the file stays valid: only a comparison of the
        // replicas can see that broker 2 claims epoch 1 for offsets 6.
        let run = RunFixture()
        try run.writeReplica(1)
        try run.writeReplica(2)
        var bytes = try run.bytes(2)
        let at = try run.position(of: 6, 2) + RecordBatchHeader.partitionLeaderEpochOffset
        bytes.replaceSubrange(at..<(at + 4), with: [0, 0, 0, 1])
        try run.setBytes(2, bytes)
        let digest = ReplicaDigestCollector.collect(runDirectory: run.path, topics: ["orders"], source: .stopped)
        let checks = CheckReport(history: History(ops: []), timeline: isrTimeline([1, 2]), replicas: .digest(digest))
        #expect(checks.replicaAgreement.verdict == .invalid)
        #expect(checks.replicaAgreement.anomalies.contains { $0.kind == .divergentBatch && $0.broker == 2 && $0.firstOffset == 6 })
        #expect(checks.replicaAgreement.anomalies.contains { $0.kind == .epochCheckpoint && $0.broker == 2 })
    }
}
