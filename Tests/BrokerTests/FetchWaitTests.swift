import Dispatch
import Foundation
import KafkaProtocol
import NIOCore
import NIOPosix
import Testing
@testable import Broker

/// When a consumer's Fetch is answered (Kafka's fetch.min.bytes and fetch.wait.max.ms, as
/// librdkafka sends them: min bytes 1, a long max wait): at once when the data it asks for is
/// there, when data arrives while it waits, and only at the max wait when less than min bytes
/// is there. A broker that held fetches with data until the max wait would read at a few fetches
/// a second whatever the data; these tests fail on such a broker.
@Suite struct FetchWaitTests {
    let directory = NSTemporaryDirectory() + "samsa-fetch-wait-" + UUID().uuidString
    let topicPartition = TopicPartition("orders", 0)

    /// A max wait far beyond any bound asserted below: only a fetch that waited for it gets near it.
    static let longWaitMs: Int32 = 60_000
    /// What "answered without waiting" allows on a loaded machine: a third of the long wait.
    static let promptly: Double = 20

    func makeHarness() throws -> RouterHarness {
        try RouterHarness.make(directory: directory, topicPartition: topicPartition)
    }

    /// A sessionless consumer Fetch v11 of the one partition from `offset`, through the router.
    func fetch(_ harness: RouterHarness, offset: Int64, maxWaitMs: Int32, minBytes: Int32) -> EventLoopFuture<RequestOutcome> {
        let request = FetchRequest(replicaId: -1, maxWaitMs: maxWaitMs, minBytes: minBytes, maxBytes: 50 << 20, isolationLevel: 0,
                                   sessionId: 0, sessionEpoch: -1,
                                   topics: [.init(topic: topicPartition.topic, partitions: [
                                       .init(partition: topicPartition.partition, fetchOffset: offset, partitionMaxBytes: 1 << 20),
                                   ])],
                                   forgottenTopics: [])
        var buffer = ByteBufferAllocator().buffer(capacity: 256)
        RequestHeader(apiKey: ApiKey.fetch.rawValue, apiVersion: 11, correlationId: 7, clientId: "test")
            .encode(into: &buffer, headerVersion: ApiKey.fetch.requestHeaderVersion(11))
        request.encode(into: &buffer, version: 11)
        let frame = buffer
        let connection = ConnectionInfo(remote: "127.0.0.1:1", host: "/127.0.0.1")
        return harness.loop.flatSubmit { harness.router.handle(frame: frame, connection: connection, eventLoop: harness.loop) }
    }

    /// The answer's one partition, decoded as a client would.
    func decode(_ outcome: RequestOutcome) throws -> FetchResponse.Partition {
        guard case .respondParts(let parts) = outcome else { throw BrokerConfig.Error(message: "no fetch response: \(outcome)") }
        var response = ByteBuffer()
        for var part in parts { response.writeBuffer(&part) }
        _ = try ResponseHeader(from: &response, headerVersion: 0)
        let decoded = try FetchResponse(from: &response, version: 11)
        guard let partition = decoded.responses.first?.partitions.first else {
            throw BrokerConfig.Error(message: "a fetch response without the partition")
        }
        return partition
    }

    /// Appends `count` batches of `records` records of 100 B each.
    func append(_ harness: RouterHarness, batches count: Int = 1, records: Int = 1) {
        for _ in 0..<count {
            let batch = RecordBatchBuilder().build((0..<records).map { _ in
                RecordBatchBuilder.Input(key: nil, value: ByteBuffer(string: String(repeating: "x", count: 100)), timestampMs: 1)
            })
            _ = harness.partition.appendAsLeader([batch], requiredAcks: 1, nowMs: 1)
        }
    }

    /// Seconds `body` took.
    func timed<T>(_ body: () throws -> T) rethrows -> (T, Double) {
        let start = DispatchTime.now().uptimeNanoseconds
        let value = try body()
        return (value, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
    }

    @Test func fetchWithDataAnswersAtOnceDespiteALongMaxWait() throws {
        let harness = try makeHarness()
        defer { try? harness.group.syncShutdownGracefully() }
        append(harness, batches: 20, records: 500)
        var offset: Int64 = 0
        // Fetch after fetch, as a consumer reading a backlog does: every one has data and is answered
        // at once, each from where the last ended.
        let (fetches, seconds) = try timed { () throws -> Int in
            var fetches = 0
            while offset < 10_000 && fetches < 100 {
                let partition = try decode(try fetch(harness, offset: offset, maxWaitMs: Self.longWaitMs, minBytes: 1).wait())
                #expect(partition.errorCode == 0)
                let records = partition.records
                var batches = 0
                var index = records.readerIndex
                while let header = RecordBatchHeader(records, at: index), index + header.totalSize <= records.writerIndex {
                    offset = header.nextOffset
                    index += header.totalSize
                    batches += 1
                }
                #expect(batches > 0, "a fetch below the high watermark returns records")
                if batches == 0 { break }
                fetches += 1
            }
            return fetches
        }
        #expect(offset == 10_000, "the backlog was read to its end")
        #expect(fetches > 1, "1 MiB a partition takes more than one fetch for 1 MB of records")
        #expect(seconds < Self.promptly, "\(fetches) fetches with data took \(seconds) s: one waited for the max wait")
    }

    @Test func fetchAtTheEndIsAnsweredWhenDataArrives() throws {
        let harness = try makeHarness()
        defer { try? harness.group.syncShutdownGracefully() }
        let (partition, seconds) = try timed { () throws -> FetchResponse.Partition in
            let waiting = fetch(harness, offset: 0, maxWaitMs: Self.longWaitMs, minBytes: 1)
            // Give the fetch time to find nothing and wait; the append then wakes it.
            usleep(200_000)
            append(harness)
            return try decode(try waiting.wait())
        }
        #expect(partition.errorCode == 0)
        #expect(partition.highWatermark == 1)
        #expect(partition.records.readableBytes > 0, "the record appended while the fetch waited is in its answer")
        #expect(seconds < Self.promptly, "answered \(seconds) s after the request: the append did not wake the fetch")
    }

    @Test func fetchBelowMinBytesWaitsForTheMaxWait() throws {
        let harness = try makeHarness()
        defer { try? harness.group.syncShutdownGracefully() }
        append(harness)
        let maxWaitMs: Int32 = 300
        let (partition, seconds) = try timed {
            try decode(try fetch(harness, offset: 0, maxWaitMs: maxWaitMs, minBytes: 1 << 20).wait())
        }
        #expect(partition.records.readableBytes > 0, "at the max wait the fetch answers with what there is")
        // A timer never fires early, so this lower bound holds on any machine.
        #expect(seconds >= Double(maxWaitMs) / 1000 * 0.9, "answered after \(seconds) s, before fetch.wait.max.ms with less than fetch.min.bytes")
    }
}
