import NIOCore
import Testing
@testable import KafkaProtocol

@Suite struct ConsumerProtocolTests {
    func encoded(_ subscription: ConsumerSubscription) -> ByteBuffer {
        var buffer = ByteBuffer()
        subscription.encode(into: &buffer)
        return buffer
    }

    func encoded(_ assignment: ConsumerAssignment) -> ByteBuffer {
        var buffer = ByteBuffer()
        assignment.encode(into: &buffer)
        return buffer
    }

    /// Every field that exists at a version holds a non-default value.
    func subscription(version: Int16) -> ConsumerSubscription {
        ConsumerSubscription(version: version, topics: ["a", "b"], userData: ByteBuffer(bytes: [1, 2]),
                             ownedPartitions: version >= 1 ? [TopicPartition("a", 1), TopicPartition("a", 3), TopicPartition("b", 0)] : [],
                             generationId: version >= 2 ? 12 : -1, rackId: version >= 3 ? "rack-1" : nil)
    }

    @Test(arguments: Int16(0)...3)
    func subscriptionRoundTripsAtEveryVersion(_ version: Int16) throws {
        var buffer = encoded(subscription(version: version))
        #expect(try ConsumerSubscription(from: &buffer) == subscription(version: version))
        #expect(buffer.readableBytes == 0)
    }

    @Test(arguments: Int16(0)...3)
    func assignmentRoundTripsAtEveryVersion(_ version: Int16) throws {
        let assignment = ConsumerAssignment(version: version, partitions: [TopicPartition("a", 0), TopicPartition("a", 2), TopicPartition("b", 1)],
                                            userData: ByteBuffer(bytes: [9]))
        var buffer = encoded(assignment)
        #expect(try ConsumerAssignment(from: &buffer) == assignment)
    }

    /// Written out from ConsumerProtocolSubscription.json: version, topics, user_data, owned_partitions.
    @Test func subscriptionV1GoldenBytes() throws {
        let golden: [UInt8] = [
            0x00, 0x01, // version 1
            0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74, // topics ["t"]
            0xFF, 0xFF, 0xFF, 0xFF, // user_data null
            0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x74, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, // [t, [0, 5]]
        ]
        let subscription = ConsumerSubscription(version: 1, topics: ["t"], ownedPartitions: [TopicPartition("t", 0), TopicPartition("t", 5)])
        #expect(Array(encoded(subscription).readableBytesView) == golden)
        var buffer = ByteBuffer(bytes: golden)
        #expect(try ConsumerSubscription(from: &buffer) == subscription)
    }

    /// Written out from ConsumerProtocolAssignment.json: version, assigned_partitions, user_data.
    @Test func assignmentGoldenBytesGroupTopicsInOrder() throws {
        let golden: [UInt8] = [
            0x00, 0x00, // version 0
            0x00, 0x00, 0x00, 0x02, // two topics
            0x00, 0x01, 0x61, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02, // a: [2]
            0x00, 0x01, 0x62, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, // b: [0]
            0x00, 0x00, 0x00, 0x00, // user_data empty
        ]
        let assignment = ConsumerAssignment(partitions: [TopicPartition("b", 0), TopicPartition("a", 2)], userData: ByteBuffer())
        #expect(Array(encoded(assignment).readableBytesView) == golden)
        var buffer = ByteBuffer(bytes: golden)
        #expect(try ConsumerAssignment(from: &buffer).partitions == [TopicPartition("a", 2), TopicPartition("b", 0)])
    }

    /// A newer version's appended fields are ignored; an older-style payload that stops before an
    /// appended field still parses.
    @Test func readersTolerateNewerAndShorterPayloads() throws {
        var newer = encoded(subscription(version: 3))
        newer.writeInt32(77)
        var parsed = try ConsumerSubscription(from: &newer)
        #expect(parsed.topics == ["a", "b"] && parsed.rackId == "rack-1")
        var shorter = ByteBuffer()
        shorter.writeInt16(2)
        shorter.writeKafkaArray(["t"]) { $0.writeKafkaString($1) }
        shorter.writeNullableKafkaBytes(nil)
        parsed = try ConsumerSubscription(from: &shorter)
        #expect(parsed == ConsumerSubscription(version: 2, topics: ["t"]))
        var noUserData = ByteBuffer()
        noUserData.writeInt16(0)
        noUserData.writeKafkaArray([Int]()) { _, _ in }
        #expect(try ConsumerAssignment(from: &noUserData) == ConsumerAssignment(partitions: []))
    }

    /// Cut inside a field, a payload is rejected with a ProtocolError, never a trap.
    @Test func truncatedPayloadsThrowOrParseAPrefixOfFields() {
        for version in Int16(0)...3 {
            let full = encoded(subscription(version: version))
            for length in 0..<full.readableBytes {
                var prefix = full.getSlice(at: 0, length: length)!
                do { _ = try ConsumerSubscription(from: &prefix) } catch { #expect(error is ProtocolError) }
            }
            let assignment = encoded(ConsumerAssignment(version: version, partitions: [TopicPartition("a", 0)], userData: ByteBuffer(bytes: [1])))
            for length in 0..<assignment.readableBytes {
                var prefix = assignment.getSlice(at: 0, length: length)!
                do { _ = try ConsumerAssignment(from: &prefix) } catch { #expect(error is ProtocolError) }
            }
        }
        var cutInTopics = encoded(subscription(version: 1)).getSlice(at: 0, length: 8)!
        #expect(throws: ProtocolError.self) { try ConsumerSubscription(from: &cutInTopics) }
    }
}
