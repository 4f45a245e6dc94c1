import KafkaProtocol
import NIOCore
import Replication

/// The internal topic `__transaction_state`: which partition holds a transactional id, and the
/// binary layout of its records, following Kafka's `TransactionLog` (key version 0: the
/// transactional id; value version 0: producer id and epoch, timeout, status, partitions, update
/// and start times; a null value deletes the id).
public enum TransactionStateTopic {
    public static let name = "__transaction_state"
    /// Kafka's `transaction.state.log.num.partitions` default; the coordinator of an id is the
    /// leader of partition `abs(javaHash(id)) % 50`, as in Kafka.
    public static let partitionCount: Int32 = 50

    public static func partition(for transactionalId: String) -> Int32 {
        OffsetsTopic.partition(for: transactionalId, partitions: partitionCount)
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
