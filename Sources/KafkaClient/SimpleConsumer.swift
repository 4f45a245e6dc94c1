import KafkaProtocol
import NIOCore

/// A consumer by assignment for the ops commands: fetches from partition leaders (long-polling),
/// follows leader changes, and yields decoded records in offset order per partition.
public final class SimpleConsumer: Sendable {
    public enum Start: Sendable, Equatable {
        case beginning, end
        case offset(Int64)
    }

    public let cluster: KafkaCluster
    public let maxWaitMs: Int32

    public init(cluster: KafkaCluster, maxWaitMs: Int32 = 500) {
        self.cluster = cluster
        self.maxWaitMs = maxWaitMs
    }

    /// Resolves a start position into an offset at the partition's leader.
    public func position(_ tp: TopicPartition, _ start: Start) async throws -> Int64 {
        if case .offset(let offset) = start { return offset }
        _ = try await cluster.leader(of: tp)
        let offsets = await KafkaAdmin(cluster: cluster).listOffsets([tp], timestamp: start == .beginning ? -2 : -1)
        guard let offset = offsets[tp] else { throw KafkaClientError.noLeader(tp) }
        return offset
    }

    public struct FetchResult: Sendable {
        public var records: [ConsumedRecord]
        public var highWatermark: Int64
        public var nextOffset: Int64
    }

    /// One fetch of `tp` at `offset`. Retriable errors refresh metadata and return no records.
    public func fetch(_ tp: TopicPartition, offset: Int64, maxBytes: Int32 = 1 << 20) async throws -> FetchResult {
        do {
            let (leader, _) = try await cluster.leader(of: tp)
            let connection = try await cluster.connection(broker: leader)
            let request = FetchRequest(maxWaitMs: maxWaitMs, minBytes: 1, maxBytes: maxBytes,
                                       topics: [.init(topic: tp.topic, partitions: [.init(partition: tp.partition, fetchOffset: offset, partitionMaxBytes: maxBytes)])])
            let response: FetchResponse = try await connection.send(request, timeoutMs: Int64(maxWaitMs) + cluster.options.requestTimeoutMs)
            guard let answer = response.responses.first?.partitions.first else { return FetchResult(records: [], highWatermark: -1, nextOffset: offset) }
            let code = ErrorCode(rawValue: answer.errorCode) ?? .unknownServerError
            guard code == .none else {
                if code.isRetriable {
                    _ = try? await cluster.leader(of: tp, refresh: true)
                    return FetchResult(records: [], highWatermark: -1, nextOffset: offset)
                }
                throw KafkaClientError.broker(code, "fetching \(tp) at \(offset)")
            }
            var records: [ConsumedRecord] = []
            var next = offset
            for batch in try RecordBatches.split(answer.records).batches {
                for record in try RecordBatches.records(of: batch) where record.offset >= offset {
                    records.append(record)
                }
                next = max(next, batch.header.nextOffset)
            }
            return FetchResult(records: records, highWatermark: answer.highWatermark, nextOffset: next)
        } catch let error as KafkaClientError where error.isRetriable {
            _ = try? await cluster.leader(of: tp, refresh: true)
            try await Task.sleep(for: .milliseconds(100))
            return FetchResult(records: [], highWatermark: -1, nextOffset: offset)
        }
    }
}
