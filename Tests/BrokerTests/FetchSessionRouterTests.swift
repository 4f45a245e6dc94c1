import Dispatch
import Foundation
import KafkaProtocol
import Logging
import NIOCore
import NIOPosix
import Replication
import Testing
@testable import Broker

/// Fetch sessions (KIP-227) through the request router of a standalone broker: full, incremental
/// and sessionless fetches, and the session errors, encoded and decoded as on the wire.
@Suite struct FetchSessionRouterTests {
    let directory = NSTemporaryDirectory() + "samsa-fetch-sessions-" + UUID().uuidString
    let topicPartition = TopicPartition("orders", 0)

    typealias Harness = RouterHarness

    /// A standalone broker leading one partition, with `slots` session slots.
    func makeHarness(slots: Int = 1000) throws -> Harness {
        try RouterHarness.make(directory: directory, topicPartition: topicPartition,
                               properties: "max.incremental.fetch.session.cache.slots=\(slots)\n")
    }

    /// Sends a Fetch v11 through the router and decodes the answer. `maxWaitMs` 0: answered at once.
    func fetch(_ harness: Harness, sessionId: Int32, epoch: Int32, offsets: [Int64] = [], forgotten: [Int32] = [],
               maxWaitMs: Int32 = 0, minBytes: Int32 = 1) throws -> FetchResponse {
        let request = FetchRequest(replicaId: -1, maxWaitMs: maxWaitMs, minBytes: minBytes, maxBytes: 1 << 20, isolationLevel: 0,
                                   sessionId: sessionId, sessionEpoch: epoch,
                                   topics: offsets.isEmpty ? [] : [.init(topic: topicPartition.topic, partitions: offsets.map {
                                       .init(partition: topicPartition.partition, fetchOffset: $0, partitionMaxBytes: 1 << 20)
                                   })],
                                   forgottenTopics: forgotten.isEmpty ? [] : [.init(topic: topicPartition.topic, partitions: forgotten)])
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        RequestHeader(apiKey: ApiKey.fetch.rawValue, apiVersion: 11, correlationId: 7, clientId: "test")
            .encode(into: &buffer, headerVersion: ApiKey.fetch.requestHeaderVersion(11))
        request.encode(into: &buffer, version: 11)
        let frame = buffer
        let connection = ConnectionInfo(remote: "127.0.0.1:1", host: "/127.0.0.1")
        let outcome = try harness.loop.flatSubmit { harness.router.handle(frame: frame, connection: connection, eventLoop: harness.loop) }.wait()
        // A fetch response goes out as parts (its records are not copied into one frame).
        guard case .respondParts(let parts) = outcome else { throw BrokerConfig.Error(message: "no fetch response: \(outcome)") }
        var response = ByteBuffer()
        for var part in parts { response.writeBuffer(&part) }
        _ = try ResponseHeader(from: &response, headerVersion: 0)
        return try FetchResponse(from: &response, version: 11)
    }

    func append(_ harness: Harness) {
        let batch = RecordBatchBuilder().build([.init(key: nil, value: ByteBuffer(string: "v"), timestampMs: 1)])
        _ = harness.partition.appendAsLeader([batch], requiredAcks: 1, nowMs: 1)
    }

    func partitions(_ response: FetchResponse) -> [Int32] { response.responses.flatMap { $0.partitions.map(\.partitionIndex) } }

    @Test func incrementalFetchAnswersOnlyPartitionsWithNews() throws {
        let harness = try makeHarness()
        defer { try? harness.group.syncShutdownGracefully() }
        let full = try fetch(harness, sessionId: 0, epoch: 0, offsets: [0])
        #expect(full.errorCode == 0 && full.sessionId != 0, "a full fetch with epoch 0 opens a session")
        #expect(partitions(full) == [0])
        let idle = try fetch(harness, sessionId: full.sessionId, epoch: 1)
        #expect(idle.errorCode == 0 && idle.sessionId == full.sessionId)
        #expect(partitions(idle).isEmpty, "nothing changed, so nothing is answered")
        append(harness)
        let busy = try fetch(harness, sessionId: full.sessionId, epoch: 2)
        #expect(partitions(busy) == [0], "the session's partition is read although the request named none")
        #expect(busy.responses.first?.partitions.first?.records.readableBytes ?? 0 > 0)
        #expect(busy.responses.first?.partitions.first?.highWatermark == 1)
        let moved = try fetch(harness, sessionId: full.sessionId, epoch: 3, offsets: [1])
        #expect(partitions(moved).isEmpty, "at the new offset there is nothing new")
    }

    /// A long poll that times out answers from its last read only when nothing changed since; a
    /// change while it waits (here too small to complete it) is in the answer.
    @Test func longPollTimeoutAnswersWithChangesMadeWhileWaiting() throws {
        let harness = try makeHarness()
        defer { try? harness.group.syncShutdownGracefully() }
        let full = try fetch(harness, sessionId: 0, epoch: 0, offsets: [0])
        let idle = try fetch(harness, sessionId: full.sessionId, epoch: 1, maxWaitMs: 200, minBytes: 1 << 20)
        #expect(idle.errorCode == 0 && partitions(idle).isEmpty, "nothing changed during the wait")
        let appended = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            Thread.sleep(forTimeInterval: 0.1)
            append(harness)
            appended.signal()
        }
        let busy = try fetch(harness, sessionId: full.sessionId, epoch: 2, maxWaitMs: 600, minBytes: 1 << 20)
        #expect(appended.wait(timeout: .now() + .seconds(20)) == .success)
        #expect(partitions(busy) == [0], "the record appended during the wait is answered at the timeout")
        #expect(busy.responses.first?.partitions.first?.records.readableBytes ?? 0 > 0)
    }

    @Test func sessionErrorsAreAnsweredAtTheTop() throws {
        let harness = try makeHarness()
        defer { try? harness.group.syncShutdownGracefully() }
        let unknown = try fetch(harness, sessionId: 12345, epoch: 1)
        #expect(unknown.errorCode == ErrorCode.fetchSessionIdNotFound.rawValue && partitions(unknown).isEmpty)
        let full = try fetch(harness, sessionId: 0, epoch: 0, offsets: [0])
        let skipped = try fetch(harness, sessionId: full.sessionId, epoch: 5)
        #expect(skipped.errorCode == ErrorCode.invalidFetchSessionEpoch.rawValue)
        let invalid = try fetch(harness, sessionId: 0, epoch: 0, offsets: [0], forgotten: [0])
        #expect(invalid.errorCode == ErrorCode.invalidRequest.rawValue, "a full fetch cannot forget anything")
    }

    @Test func sessionlessFetchStillNamesEveryPartition() throws {
        let harness = try makeHarness()
        defer { try? harness.group.syncShutdownGracefully() }
        let first = try fetch(harness, sessionId: 0, epoch: -1, offsets: [0])
        let second = try fetch(harness, sessionId: 0, epoch: -1, offsets: [0])
        #expect(first.sessionId == 0 && second.sessionId == 0)
        #expect(partitions(first) == [0] && partitions(second) == [0])
    }

    @Test func noSlotsMeansNoSessions() throws {
        let harness = try makeHarness(slots: 0)
        defer { try? harness.group.syncShutdownGracefully() }
        let full = try fetch(harness, sessionId: 0, epoch: 0, offsets: [0])
        #expect(full.errorCode == 0 && full.sessionId == 0 && partitions(full) == [0])
    }
}
