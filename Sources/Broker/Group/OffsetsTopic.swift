import KafkaProtocol
import NIOCore

/// The internal topic `__consumer_offsets`: which partition holds a group, and the binary key/value
/// layouts of its records, following Kafka's (`GroupMetadataManager`): offset commits under key
/// version 1 (group, topic, partition) with value version 3; group metadata under key version 2
/// (group) with value version 3; a null value deletes.
public enum OffsetsTopic {
    public static let name = "__consumer_offsets"

    /// Kafka's `Utils.abs(groupId.hashCode) % partitions`, with Java's String.hashCode over UTF-16.
    public static func partition(for groupId: String, partitions: Int32) -> Int32 {
        var hash: Int32 = 0
        for unit in groupId.utf16 { hash = hash &* 31 &+ Int32(unit) }
        return (hash & 0x7fff_ffff) % partitions
    }

    public struct CommittedOffset: Sendable, Equatable {
        public var offset: Int64
        public var leaderEpoch: Int32
        public var metadata: String
        public var commitTimestampMs: Int64
    }

    public struct StoredMember: Sendable, Equatable {
        public var memberId: String
        public var groupInstanceId: String?
        public var clientId: String
        public var clientHost: String
        public var rebalanceTimeoutMs: Int32
        public var sessionTimeoutMs: Int32
        public var subscription: ByteBuffer
        public var assignment: ByteBuffer
    }

    public struct StoredGroup: Sendable, Equatable {
        public var protocolType: String
        public var generationId: Int32
        public var protocolName: String?
        public var leaderId: String?
        public var stateTimestampMs: Int64
        public var members: [StoredMember]
    }

    public enum Entry: Sendable, Equatable {
        case offset(group: String, partition: TopicPartition, CommittedOffset?)
        case group(String, StoredGroup?)
    }

    public static func offsetKey(group: String, partition: TopicPartition) -> ByteBuffer {
        var key = ByteBuffer()
        key.writeInt16(1)
        key.writeKafkaString(group)
        key.writeKafkaString(partition.topic)
        key.writeInt32(partition.partition)
        return key
    }

    public static func offsetValue(_ committed: CommittedOffset) -> ByteBuffer {
        var value = ByteBuffer()
        value.writeInt16(3)
        value.writeInt64(committed.offset)
        value.writeInt32(committed.leaderEpoch)
        value.writeKafkaString(committed.metadata)
        value.writeInt64(committed.commitTimestampMs)
        return value
    }

    public static func groupKey(_ group: String) -> ByteBuffer {
        var key = ByteBuffer()
        key.writeInt16(2)
        key.writeKafkaString(group)
        return key
    }

    public static func groupValue(_ stored: StoredGroup) -> ByteBuffer {
        var value = ByteBuffer()
        value.writeInt16(3)
        value.writeKafkaString(stored.protocolType)
        value.writeInt32(stored.generationId)
        value.writeNullableKafkaString(stored.protocolName)
        value.writeNullableKafkaString(stored.leaderId)
        value.writeInt64(stored.stateTimestampMs)
        value.writeKafkaArray(stored.members) { buffer, member in
            buffer.writeKafkaString(member.memberId)
            buffer.writeNullableKafkaString(member.groupInstanceId)
            buffer.writeKafkaString(member.clientId)
            buffer.writeKafkaString(member.clientHost)
            buffer.writeInt32(member.rebalanceTimeoutMs)
            buffer.writeInt32(member.sessionTimeoutMs)
            buffer.writeKafkaBytes(member.subscription)
            buffer.writeKafkaBytes(member.assignment)
        }
        return value
    }

    /// Decodes one record of the topic; nil for keys of versions this broker does not write.
    public static func decode(key: ByteBuffer?, value: ByteBuffer?) throws -> Entry? {
        guard var key else { return nil }
        let version = try key.readInt16("key.version")
        switch version {
        case 0, 1:
            let group = try key.readKafkaString("key.group")
            let partition = TopicPartition(try key.readKafkaString("key.topic"), try key.readInt32("key.partition"))
            guard var value else { return .offset(group: group, partition: partition, nil) }
            let valueVersion = try value.readInt16("value.version")
            let offset = try value.readInt64("value.offset")
            let epoch = valueVersion >= 3 ? try value.readInt32("value.leader_epoch") : -1
            let metadata = try value.readKafkaString("value.metadata")
            let timestamp = try value.readInt64("value.commit_timestamp")
            return .offset(group: group, partition: partition, CommittedOffset(offset: offset, leaderEpoch: epoch, metadata: metadata, commitTimestampMs: timestamp))
        case 2:
            let group = try key.readKafkaString("key.group")
            guard var value else { return .group(group, nil) }
            _ = try value.readInt16("value.version")
            let protocolType = try value.readKafkaString("value.protocol_type")
            let generation = try value.readInt32("value.generation")
            let protocolName = try value.readNullableKafkaString("value.protocol")
            let leader = try value.readNullableKafkaString("value.leader")
            let timestamp = try value.readInt64("value.current_state_timestamp")
            let members = try value.readKafkaArray("value.members") { buffer in
                StoredMember(memberId: try buffer.readKafkaString("member_id"), groupInstanceId: try buffer.readNullableKafkaString("group_instance_id"),
                             clientId: try buffer.readKafkaString("client_id"), clientHost: try buffer.readKafkaString("client_host"),
                             rebalanceTimeoutMs: try buffer.readInt32("rebalance_timeout"), sessionTimeoutMs: try buffer.readInt32("session_timeout"),
                             subscription: try buffer.readKafkaBytes("subscription"), assignment: try buffer.readKafkaBytes("assignment"))
            }
            return .group(group, StoredGroup(protocolType: protocolType, generationId: generation, protocolName: protocolName, leaderId: leader,
                                             stateTimestampMs: timestamp, members: members))
        default:
            return nil
        }
    }
}
