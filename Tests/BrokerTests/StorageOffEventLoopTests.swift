import Dispatch
import Foundation
import KafkaProtocol
import Logging
import NIOCore
import NIOPosix
import Replication
import Testing
@testable import Broker

/// Storage work (appends, reads) runs on the storage threads: a partition whose disk is stuck must not
/// stall the other connections served by the same event loop.
@Suite struct StorageOffEventLoopTests {
    let directory = NSTemporaryDirectory() + "samsa-storage-io-" + UUID().uuidString
    let topicPartition = TopicPartition("orders", 0)

    /// A standalone broker's request router over one partition this broker leads, on a one-thread loop.
    func makeRouter() throws -> (RequestRouter, Partition, any EventLoop, MultiThreadedEventLoopGroup) {
        let harness = try RouterHarness.make(directory: directory, topicPartition: topicPartition)
        return (harness.router, harness.partition, harness.loop, harness.group)
    }

    func frame(_ message: any KafkaMessage, version: Int16, correlationId: Int32) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        let key = type(of: message).apiKey
        RequestHeader(apiKey: key.rawValue, apiVersion: version, correlationId: correlationId, clientId: "test")
            .encode(into: &buffer, headerVersion: key.requestHeaderVersion(version))
        message.encode(into: &buffer, version: version)
        return buffer
    }

    func produceFrame() -> ByteBuffer {
        let batch = RecordBatchBuilder().build([.init(key: nil, value: ByteBuffer(string: "v"), timestampMs: 1)])
        let request = ProduceRequest(acks: 1, timeoutMs: 5_000, topics: [.init(name: topicPartition.topic, partitions: [
            .init(index: topicPartition.partition, records: batch),
        ])])
        return frame(request, version: 7, correlationId: 1)
    }

    func fetchFrame() -> ByteBuffer {
        let request = FetchRequest(replicaId: -1, maxWaitMs: 0, minBytes: 1, maxBytes: 1 << 20, isolationLevel: 0, topics: [
            .init(topic: topicPartition.topic, partitions: [.init(partition: topicPartition.partition, fetchOffset: 0, partitionMaxBytes: 1 << 20)]),
        ])
        return frame(request, version: 11, correlationId: 2)
    }

    /// Handles `stuckFrame` on the loop while the partition's lock is held (as by a write the disk
    /// does not finish), then an ApiVersions request on the same loop: the second must be answered
    /// while the first still waits. Returns the first's outcome once the partition is released.
    func answerWhileStuck(_ stuckFrame: ByteBuffer) throws -> RequestOutcome {
        let (router, partition, loop, group) = try makeRouter()
        defer { try? group.syncShutdownGracefully() }
        let held = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            partition.withLog { _, _ in
                held.signal()
                release.wait()
            }
        }
        held.wait()
        let connection = ConnectionInfo(remote: "127.0.0.1:1", host: "/127.0.0.1")
        let stuck = loop.flatSubmit { router.handle(frame: stuckFrame, connection: connection, eventLoop: loop) }
        let apiVersions = frame(ApiVersionsRequest(), version: 0, correlationId: 3)
        let answered = DispatchSemaphore(value: 0)
        loop.flatSubmit { router.handle(frame: apiVersions, connection: connection, eventLoop: loop) }.whenComplete { _ in answered.signal() }
        let waited = answered.wait(timeout: .now() + .seconds(10))
        release.signal()
        #expect(waited == .success, "a request on the same loop waited for a partition's storage")
        return try stuck.wait()
    }

    @Test func aStuckAppendDoesNotStallAnotherRequestOnTheSameLoop() throws {
        let outcome = try answerWhileStuck(produceFrame())
        guard case .respond(var response) = outcome else { Issue.record("no produce response: \(outcome)"); return }
        _ = try ResponseHeader(from: &response, headerVersion: 0)
        let produced = try ProduceResponse(from: &response, version: 7)
        #expect(produced.responses.first?.partitions.first?.errorCode == 0)
        #expect(produced.responses.first?.partitions.first?.baseOffset == 0)
    }

    @Test func aStuckReadDoesNotStallAnotherRequestOnTheSameLoop() throws {
        let outcome = try answerWhileStuck(fetchFrame())
        guard case .respondParts(let parts) = outcome else { Issue.record("no fetch response: \(outcome)"); return }
        var response = ByteBuffer()
        for var part in parts { response.writeBuffer(&part) }
        _ = try ResponseHeader(from: &response, headerVersion: 0)
        let fetched = try FetchResponse(from: &response, version: 11)
        #expect(fetched.responses.first?.partitions.first?.errorCode == 0)
    }

    /// TxnOffsetCommit is answered by the group coordinator at once; the transaction handler must
    /// not leave a promise of its own uncompleted on that path (NIO traps on a leaked promise in
    /// debug builds, and the client would never hear back).
    @Test func aTxnOffsetCommitIsAnsweredAndLeavesNoPromiseBehind() throws {
        let (router, _, loop, group) = try makeRouter()
        defer { try? group.syncShutdownGracefully() }
        let request = TxnOffsetCommitRequest(transactionalId: "t", groupId: "g", producerId: 1, producerEpoch: 0, topics: [
            .init(name: topicPartition.topic, partitions: [.init(partitionIndex: topicPartition.partition, committedOffset: 1)]),
        ])
        let connection = ConnectionInfo(remote: "127.0.0.1:1", host: "/127.0.0.1")
        let request0 = frame(request, version: 0, correlationId: 4)
        let outcome = try loop.flatSubmit { router.handle(frame: request0, connection: connection, eventLoop: loop) }.wait()
        guard case .respond(var response) = outcome else { Issue.record("no TxnOffsetCommit response: \(outcome)"); return }
        let header = try ResponseHeader(from: &response, headerVersion: 0)
        #expect(header.correlationId == 4)
    }
}
