import KafkaProtocol
import NIOCore
import Replication

extension RequestRouter {
    /// Produce: validate each partition's batches, append as leader, then answer at once (acks 0/1)
    /// or when the HW passes the last appended offset (acks=all), bounded by the request timeout.
    /// Everything after the request-level checks runs on a storage thread; the answer comes back on
    /// the connection's loop.
    func handleProduce(_ request: ProduceRequest, _ context: RequestContext) -> EventLoopFuture<(any KafkaMessage)?> {
        broker.metrics.produceRequests.add(1)
        let version = context.version
        let acks = request.acks
        guard acks == 0 || acks == 1 || acks == -1 else {
            return context.eventLoop.makeSucceededFuture(Self.produceResponse(request, error: .invalidRequiredAcks))
        }
        if version < SupportedApis.firstRecordBatchProduceVersion {
            return context.eventLoop.makeSucceededFuture(acks == 0 ? nil : Self.produceResponse(request, error: .unsupportedForMessageFormat,
                message: "Produce v\(version) carries a legacy message set; Samsa stores RecordBatch v2 only (Produce v3+)"))
        }
        let now = BrokerClock.wallMs()
        let loop = context.eventLoop
        let storage = broker.replicaManager.storage
        // Validation and the appends run on a storage thread: a pwrite, or a wait for a partition
        // whose lock another append holds, must not stall the other connections of this loop.
        return storage.run(on: loop) { [self] () -> EventLoopFuture<(any KafkaMessage)?> in
            let appended = appendAll(request, acks: acks, nowMs: now)
            if acks == 0 {
                // Kafka's contract for acks=0: no response; on error the connection is closed so the
                // producer notices something went wrong.
                return appended.anyFailure ? loop.makeFailedFuture(ProduceWithoutAcksFailed()) : loop.makeSucceededFuture(nil)
            }
            let assemble: @Sendable ([TopicPartition: ProduceResponse.PartitionResponse]) -> (any KafkaMessage)? = { results in
                ProduceResponse(responses: request.topics.map { topic in
                    ProduceResponse.TopicResponse(name: topic.name, partitions: topic.partitions.map { data in
                        results[TopicPartition(topic.name, data.index)]!
                    })
                })
            }
            if appended.waiting.isEmpty { return loop.makeSucceededFuture(assemble(appended.results)) }
            let timeoutMs = Int64(max(0, request.timeoutMs))
            return DelayedProduce.wait(for: appended.waiting, timeoutMs: timeoutMs, eventLoop: loop, storage: storage).map { errors in
                var final = appended.results
                for (tp, code) in errors where code != .none {
                    final[tp]?.errorCode = code.rawValue
                }
                return assemble(final)
            }
        }.flatMap { $0 }
    }

    /// What a produce request's appends left: each partition's answer, and for acks=all the
    /// partitions to wait on with the offset the HW must reach.
    struct ProduceAppends: Sendable {
        var results: [TopicPartition: ProduceResponse.PartitionResponse] = [:]
        var waiting: [(Partition, Int64)] = []
        var anyFailure = false
    }

    /// Validates and appends every partition's records, in the request's order. Runs on a storage
    /// thread (it writes to the logs).
    func appendAll(_ request: ProduceRequest, acks: Int16, nowMs: Int64) -> ProduceAppends {
        var appends = ProduceAppends()
        for topic in request.topics {
            for data in topic.partitions {
                let tp = TopicPartition(topic.name, data.index)
                switch appendPartition(tp, records: data.records, acks: acks, nowMs: nowMs) {
                case .failed(let code, let message, let recordErrors):
                    appends.anyFailure = true
                    appends.results[tp] = .init(index: data.index, errorCode: code.rawValue, recordErrors: recordErrors, errorMessage: message)
                case .appended(let partition, let first, let last, let appendTime, let logStart):
                    appends.results[tp] = .init(index: data.index, errorCode: 0, baseOffset: first, logAppendTimeMs: appendTime, logStartOffset: logStart)
                    if acks == -1 { appends.waiting.append((partition, last + 1)) }
                }
            }
        }
        return appends
    }

    enum PartitionAppend {
        case appended(Partition, first: Int64, last: Int64, appendTime: Int64, logStart: Int64)
        /// Nothing of the partition's records was appended. `recordErrors` name the record a
        /// validation error is about (Produce v8+ carries them).
        case failed(ErrorCode, String?, recordErrors: [ProduceResponse.RecordError] = [])
    }

    func appendPartition(_ tp: TopicPartition, records: ByteBuffer?, acks: Int16, nowMs: Int64) -> PartitionAppend {
        guard let partition = broker.replicaManager.partition(tp) else { return .failed(missingPartitionError(tp), nil) }
        guard let records, records.readableBytes > 0 else { return reject(tp, .corruptMessage, "empty records") }
        let config = partition.topicConfig
        let batches: [ByteBuffer]
        do {
            let split = try RecordBatches.split(records)
            guard split.partialTailBytes == 0 else {
                return reject(tp, .corruptMessage, "records end with a partial batch of \(split.partialTailBytes) bytes")
            }
            // Before inflating anything: an oversized batch is refused on its size alone.
            for batch in split.batches where batch.bytes.readableBytes > Int(config.maxMessageBytes) {
                return .failed(.messageTooLarge, "batch of \(batch.bytes.readableBytes) bytes exceeds max.message.bytes=\(config.maxMessageBytes)")
            }
            let rules = ProducedBatchRules(logAppendTime: config.logAppendTime,
                                           maxUncompressedBytes: ProducedBatchRules.uncompressedLimit(maxMessageBytes: config.maxMessageBytes))
            for (index, batch) in split.batches.enumerated() {
                do {
                    _ = try RecordBatches.validateProduced(batch.bytes, rules: rules)
                } catch let error as BatchValidationError {
                    let message = split.batches.count > 1 ? "batch \(index): \(error)" : "\(error)"
                    let recordErrors = error.recordIndex.map { [ProduceResponse.RecordError(batchIndex: Int32(clamping: $0), message: message)] } ?? []
                    return reject(tp, error.errorCode, message, recordErrors: recordErrors)
                }
            }
            batches = try split.batches.map { try recoded($0.bytes, config: config, limit: rules.maxUncompressedBytes) }
        } catch let error as OversizedRecoding {
            return .failed(.messageTooLarge, error.description)
        } catch let error as BatchValidationError {
            return reject(tp, error.errorCode, error.description)
        } catch {
            return reject(tp, .corruptMessage, "\(error)")
        }
        switch partition.appendAsLeader(batches, requiredAcks: acks, nowMs: nowMs) {
        case .rejected(let code, let message): return .failed(code, message)
        case .appended(let first, let last, let appendTime, let logStart):
            return .appended(partition, first: first, last: last, appendTime: appendTime, logStart: logStart)
        }
    }

    /// A valid batch in the codec of the topic's `compression.type` (as sent when that is `producer` or
    /// the batch's own): re-encoded on the leader, as Kafka's LogValidator does, so followers copy the
    /// stored bytes. A batch that grows past `max.message.bytes` in the new codec is refused.
    func recoded(_ batch: ByteBuffer, config: TopicConfig, limit: Int) throws -> ByteBuffer {
        guard let codec = config.compression, codec != RecordBatchHeader(batch, at: batch.readerIndex)?.compression else { return batch }
        let bytes = try RecordBatches.recoded(batch, to: codec, maxUncompressedBytes: limit)
        guard bytes.readableBytes <= Int(config.maxMessageBytes) else {
            throw OversizedRecoding(bytes: bytes.readableBytes, codec: codec, limit: config.maxMessageBytes)
        }
        return bytes
    }

    struct OversizedRecoding: Error, CustomStringConvertible {
        var bytes: Int
        var codec: CompressionCodec
        var limit: Int32
        var description: String { "batch re-encoded as \(codec) (compression.type) is \(bytes) bytes, over max.message.bytes=\(limit)" }
    }

    /// Refuses a partition's records that failed validation: counted, logged within the budget
    /// (one line per refusal naming the partition and the reason), answered with `code`.
    func reject(_ tp: TopicPartition, _ code: ErrorCode, _ reason: String,
                recordErrors: [ProduceResponse.RecordError] = []) -> PartitionAppend {
        broker.metrics.rejectedProduceBatches.add(1)
        let decision = produceRejectionLog.withLockedValue { $0.admit(nowMs: BrokerClock.monotonicMs()) }
        if case .log(let suppressed) = decision {
            let unlogged = suppressed > 0 ? " (\(suppressed) earlier refusals were not logged)" : ""
            logger.warning("refused produced records for \(tp.topic)-\(tp.partition): \(code.name): \(reason)\(unlogged)")
        }
        return .failed(code, reason, recordErrors: recordErrors)
    }

    static func produceResponse(_ request: ProduceRequest, error: ErrorCode, message: String? = nil) -> ProduceResponse {
        ProduceResponse(responses: request.topics.map { topic in
            ProduceResponse.TopicResponse(name: topic.name, partitions: topic.partitions.map {
                .init(index: $0.index, errorCode: error.rawValue, errorMessage: message)
            })
        })
    }
}

/// An acks=0 produce failed: the connection is closed instead of answering.
struct ProduceWithoutAcksFailed: Error, CustomStringConvertible {
    var description: String { "acks=0 produce failed; closing the connection as Kafka does" }
}
