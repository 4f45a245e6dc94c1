import Dispatch
import Foundation
import KafkaProtocol
import NIOCore
import Replication
import Testing
@testable import Broker

/// A follower's fetch session keeps one waiter per partition between its long polls, still wakes
/// the poll that waits, and gives the waiters up when the follower opens another session.
@Suite struct FetchSessionWaitersTests {
    let directory = NSTemporaryDirectory() + "samsa-session-waiters-" + UUID().uuidString
    let topicPartition = TopicPartition("orders", 0)

    /// Broker 1 leads the partition; broker 2 is its follower.
    func makeHarness() throws -> RouterHarness {
        try RouterHarness.make(directory: directory, topicPartition: topicPartition, replicas: [1, 2])
    }

    /// A Fetch v11 from follower 2 through the router.
    func fetch(_ harness: RouterHarness, sessionId: Int32, epoch: Int32, offsets: [Int64] = [], maxWaitMs: Int32 = 0,
               minBytes: Int32 = 1) throws -> FetchResponse {
        let request = FetchRequest(replicaId: 2, maxWaitMs: maxWaitMs, minBytes: minBytes, maxBytes: 1 << 20, isolationLevel: 0,
                                   sessionId: sessionId, sessionEpoch: epoch,
                                   topics: offsets.isEmpty ? [] : [.init(topic: topicPartition.topic, partitions: offsets.map {
                                       .init(partition: topicPartition.partition, currentLeaderEpoch: 1, fetchOffset: $0, partitionMaxBytes: 1 << 20)
                                   })])
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        RequestHeader(apiKey: ApiKey.fetch.rawValue, apiVersion: 11, correlationId: 7, clientId: "test")
            .encode(into: &buffer, headerVersion: ApiKey.fetch.requestHeaderVersion(11))
        request.encode(into: &buffer, version: 11)
        let frame = buffer
        let connection = ConnectionInfo(remote: "127.0.0.1:1", host: "/127.0.0.1")
        let outcome = try harness.loop.flatSubmit { harness.router.handle(frame: frame, connection: connection, eventLoop: harness.loop) }.wait()
        guard case .respondParts(let parts) = outcome else { throw BrokerConfig.Error(message: "no fetch response: \(outcome)") }
        var response = ByteBuffer()
        for var part in parts { response.writeBuffer(&part) }
        _ = try ResponseHeader(from: &response, headerVersion: 0)
        return try FetchResponse(from: &response, version: 11)
    }

    func append(_ harness: RouterHarness) {
        let batch = RecordBatchBuilder().build([.init(key: nil, value: ByteBuffer(string: "v"), timestampMs: 1)])
        _ = harness.partition.appendAsLeader([batch], requiredAcks: 1, nowMs: 1)
    }

    func records(_ response: FetchResponse) -> Int { response.responses.first?.partitions.first?.records.readableBytes ?? 0 }

    @Test func idleLongPollsReuseTheSessionsWaiter() throws {
        let harness = try makeHarness()
        defer { try? harness.group.syncShutdownGracefully() }
        let full = try fetch(harness, sessionId: 0, epoch: 0, offsets: [0], maxWaitMs: 50)
        #expect(full.errorCode == 0 && full.sessionId != 0)
        #expect(harness.router.fetchSessions.waitingSessions == 1)
        #expect(harness.partition.waiterCount == 1, "the session's waiter stays after its poll")
        for epoch in Int32(1)...3 {
            let idle = try fetch(harness, sessionId: full.sessionId, epoch: epoch, maxWaitMs: 50)
            #expect(idle.errorCode == 0 && records(idle) == 0)
            #expect(harness.partition.waiterCount == 1, "poll \(epoch) registered nothing more and removed nothing")
        }
    }

    /// The kept waiter wakes the poll: minBytes 1 completes it with the record appended while it
    /// waits (a missed wake-up would answer from the read made before the append, without records).
    @Test func appendWhileWaitingIsAnswered() throws {
        let harness = try makeHarness()
        defer { try? harness.group.syncShutdownGracefully() }
        let full = try fetch(harness, sessionId: 0, epoch: 0, offsets: [0], maxWaitMs: 50)
        let appended = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 0.2)
            append(harness)
            appended.signal()
        }
        let busy = try fetch(harness, sessionId: full.sessionId, epoch: 1, maxWaitMs: 30_000)
        #expect(appended.wait(timeout: .now() + .seconds(20)) == .success)
        #expect(busy.errorCode == 0 && records(busy) > 0, "the append woke the poll")
        #expect(harness.partition.waiterCount == 1)
    }

    @Test func newSessionOfTheSameFollowerReleasesTheOldWaiters() throws {
        let harness = try makeHarness()
        defer { try? harness.group.syncShutdownGracefully() }
        let first = try fetch(harness, sessionId: 0, epoch: 0, offsets: [0], maxWaitMs: 50)
        let second = try fetch(harness, sessionId: 0, epoch: 0, offsets: [0], maxWaitMs: 50)
        #expect(first.sessionId != 0 && second.sessionId != 0 && first.sessionId != second.sessionId)
        #expect(harness.router.fetchSessions.waitingSessions == 1)
        #expect(harness.partition.waiterCount == 1, "the abandoned session's waiter is gone")
        let closed = try fetch(harness, sessionId: second.sessionId, epoch: -1, offsets: [0], maxWaitMs: 50)
        #expect(closed.errorCode == 0 && closed.sessionId == 0)
        let reopened = try fetch(harness, sessionId: 0, epoch: 0, offsets: [0], maxWaitMs: 50)
        #expect(reopened.sessionId != 0)
        #expect(harness.router.fetchSessions.waitingSessions == 1)
        #expect(harness.partition.waiterCount == 1)
    }
}
