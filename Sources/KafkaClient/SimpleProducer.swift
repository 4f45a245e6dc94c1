import Foundation
import KafkaProtocol
import NIOCore

/// A plain producer for the ops commands and the shell: sends batches of records to partition
/// leaders (keyed records by Kafka's murmur2 partitioner, others round-robin), retrying retriable
/// errors with a metadata refresh, a bounded number of times.
public final class SimpleProducer: Sendable {
    public struct Record: Sendable {
        public var key: [UInt8]?
        public var value: [UInt8]?
        public var partition: Int32?
        public init(key: [UInt8]?, value: [UInt8]?, partition: Int32? = nil) {
            self.key = key
            self.value = value
            self.partition = partition
        }
    }

    public struct Ack: Sendable, Equatable {
        public var partition: Int32
        public var offset: Int64
    }

    public let cluster: KafkaCluster
    public let acks: Int16
    public let timeoutMs: Int32
    public let maxAttempts: Int
    /// The codec of every batch sent (as a Kafka producer's `compression.type`).
    public let compression: CompressionCodec

    public init(cluster: KafkaCluster, acks: Int16 = -1, timeoutMs: Int32 = 10_000, maxAttempts: Int = 8,
                compression: CompressionCodec = .none) {
        self.cluster = cluster
        self.acks = acks
        self.timeoutMs = timeoutMs
        self.maxAttempts = maxAttempts
        self.compression = compression
    }

    /// Sends `records` to `topic` and returns each record's partition and offset, in order. A topic
    /// the cluster does not have is an error unless `createTopic` lets the broker auto-create it.
    public func send(topic: String, records: [Record], createTopic: Bool = false) async throws -> [Ack] {
        var metadata = try await cluster.refreshMetadata(topics: [topic], allowAutoCreate: createTopic)
        var attempts = 0
        while metadata.topics[topic]?.partitions.isEmpty ?? true {
            attempts += 1
            guard createTopic, attempts < maxAttempts else { throw KafkaClientError.unknownTopic(topic) }
            try await Task.sleep(for: .milliseconds(200))
            metadata = try await cluster.refreshMetadata(topics: [topic], allowAutoCreate: true)
        }
        let partitionCount = Int32(metadata.topics[topic]!.partitions.count)
        var byPartition: [Int32: [(Int, Record)]] = [:]
        for (index, record) in records.enumerated() {
            let partition = record.partition ?? (record.key.map { Partitioner.partition(forKey: $0, partitions: partitionCount) } ?? Int32(index) % partitionCount)
            byPartition[partition, default: []].append((index, record))
        }
        var acks = [Ack?](repeating: nil, count: records.count)
        for (partition, entries) in byPartition {
            for chunk in stride(from: 0, to: entries.count, by: 500).map({ Array(entries[$0..<min($0 + 500, entries.count)]) }) {
                let base = try await sendBatch(TopicPartition(topic, partition), chunk.map(\.1))
                for (position, entry) in chunk.enumerated() { acks[entry.0] = Ack(partition: partition, offset: base + Int64(position)) }
            }
        }
        return acks.map { $0! }
    }

    private func sendBatch(_ tp: TopicPartition, _ records: [Record]) async throws -> Int64 {
        let timestamp = wallClockMs()
        let inputs: [RecordBatchBuilder.Input] = records.map {
            .init(key: $0.key.map { ByteBuffer(bytes: $0) }, value: $0.value.map { ByteBuffer(bytes: $0) }, timestampMs: timestamp)
        }
        let batch = try RecordBatchBuilder().build(inputs, compression: compression)
        var lastError: Error = KafkaClientError.noLeader(tp)
        for attempt in 0..<maxAttempts {
            do {
                let (leader, _) = try await cluster.leader(of: tp, refresh: attempt > 0)
                let connection = try await cluster.connection(broker: leader)
                let request = ProduceRequest(acks: acks, timeoutMs: timeoutMs,
                                             topics: [.init(name: tp.topic, partitions: [.init(index: tp.partition, records: batch)])])
                if acks == 0 {
                    try await connection.sendWithoutResponse(request, version: try connection.version(for: .produce))
                    return -1
                }
                let response: ProduceResponse = try await connection.send(request, timeoutMs: Int64(timeoutMs) + 5000)
                guard let answer = response.responses.first?.partitions.first else { throw KafkaClientError.protocolError("empty produce answer") }
                if answer.errorCode == 0 { return answer.baseOffset }
                let code = ErrorCode(rawValue: answer.errorCode) ?? .unknownServerError
                throw KafkaClientError.broker(code, answer.errorMessage)
            } catch let error as KafkaClientError where error.isRetriable {
                lastError = error
                try await Task.sleep(for: .milliseconds(min(1000, 100 * (attempt + 1))))
            }
        }
        throw lastError
    }
}

func wallClockMs() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
}
