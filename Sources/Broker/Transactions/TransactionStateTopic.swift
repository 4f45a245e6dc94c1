import KafkaProtocol
import NIOCore
import Replication

/// The internal topic `__transaction_state`: which partition holds a transactional id, and the
/// binary layout of its records, following Kafka's `TransactionLog` (key version 0: the
/// transactional id; value version 0: producer id and epoch, timeout, status, partitions, update
/// and start times; a null value deletes the id).
public enum TransactionStateTopic {
    public static let name = "__transaction_state"
    /// The partition of an id: `abs(javaHash(id)) % partitions`, as in Kafka, where `partitions` is
    /// the topic's partition count (`transaction.state.log.num.partitions` when it was created).
    /// The coordinator of an id is the leader of that partition.
    public static func partition(for transactionalId: String, partitions: Int32) -> Int32 {
        OffsetsTopic.partition(for: transactionalId, partitions: partitions)
    }

    /// The topic as Kafka creates it on first need: `transaction.state.log.num.partitions`
    /// partitions, `transaction.state.log.replication.factor` replicas but no more than the live
    /// brokers, and `min.insync.replicas` from `transaction.state.log.min.isr` but no more than the
    /// replication factor (Kafka keeps the configured value, which leaves a topic created on fewer
    /// brokers unwritable with acks=all until it is raised by hand). Records are kept forever:
    /// Samsa does not compact, and the coordinator reloads a partition from its start.
    public static func creation(numPartitions: Int32, replicationFactor: Int16, minInsyncReplicas: Int, liveBrokers: Int) -> TopicCreation {
        let replicas = max(1, min(replicationFactor, Int16(clamping: max(1, liveBrokers))))
        return TopicCreation(name: name, numPartitions: numPartitions, replicationFactor: replicas,
                             configs: ["min.insync.replicas": String(max(1, min(minInsyncReplicas, Int(replicas)))),
                                       "retention.ms": "-1", "segment.bytes": "104857600"])
    }

    /// The topic's partition count in `metadata`; nil before it is created.
    public static func partitionCount(in metadata: ClusterMetadata) -> Int32? {
        let count = metadata.partitions.keys.lazy.filter { $0.topic == name }.count
        return count > 0 ? Int32(count) : nil
    }

    public static func key(_ transactionalId: String) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 4 + transactionalId.utf8.count)
        buffer.writeInt16(0)
        buffer.writeKafkaString(transactionalId)
        return buffer
    }

    /// The value of a record; nil (a tombstone) for a Dead transactional id.
    public static func value(_ metadata: TransactionMetadata) -> ByteBuffer? {
        guard metadata.state != .dead else { return nil }
        var buffer = ByteBufferAllocator().buffer(capacity: 64)
        buffer.writeInt16(0)
        buffer.writeInt64(metadata.producerId)
        buffer.writeInt16(metadata.producerEpoch)
        buffer.writeInt32(metadata.transactionTimeoutMs)
        buffer.writeInt8(metadata.state.rawValue)
        let byTopic = Dictionary(grouping: metadata.sortedPartitions, by: \.topic).sorted { $0.key < $1.key }
        buffer.writeKafkaArray(byTopic) { buffer, entry in
            buffer.writeKafkaString(entry.key)
            buffer.writeKafkaArray(entry.value) { $0.writeInt32($1.partition) }
        }
        buffer.writeInt64(metadata.lastUpdateMs)
        buffer.writeInt64(metadata.transactionStartMs)
        return buffer
    }

    public struct DecodeError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Decodes a record: the id and its metadata (state Dead for a tombstone).
    public static func decode(key: ByteBuffer?, value: ByteBuffer?) throws -> TransactionMetadata {
        guard var key else { throw DecodeError(description: "a \(name) record without a key") }
        let keyVersion = try key.readInt16("key version")
        guard keyVersion == 0 else { throw DecodeError(description: "unknown \(name) key version \(keyVersion)") }
        let transactionalId = try key.readKafkaString("transactional_id")
        guard var value else {
            return TransactionMetadata(transactionalId: transactionalId, producerId: -1, producerEpoch: -1, transactionTimeoutMs: 0,
                                       state: .dead, lastUpdateMs: -1)
        }
        let valueVersion = try value.readInt16("value version")
        guard valueVersion == 0 else { throw DecodeError(description: "unknown \(name) value version \(valueVersion)") }
        let producerId = try value.readInt64("producer_id")
        let producerEpoch = try value.readInt16("producer_epoch")
        let timeoutMs = try value.readInt32("transaction_timeout_ms")
        let status = try value.readInt8("transaction_status")
        guard let state = TransactionState(rawValue: status) else { throw DecodeError(description: "unknown transaction status \(status)") }
        let topics = try value.readKafkaArray("transaction_partitions") { buffer in
            let topic = try buffer.readKafkaString("topic")
            return try buffer.readKafkaArray("partition_ids") { TopicPartition(topic, try $0.readInt32("partition")) }
        }
        let lastUpdateMs = try value.readInt64("transaction_last_update_timestamp_ms")
        let startMs = try value.readInt64("transaction_start_timestamp_ms")
        return TransactionMetadata(transactionalId: transactionalId, producerId: producerId, producerEpoch: producerEpoch,
                                   transactionTimeoutMs: timeoutMs, state: state, partitions: Set(topics.flatMap { $0 }),
                                   transactionStartMs: startMs, lastUpdateMs: lastUpdateMs)
    }
}
