import NIOCore
import Testing

@testable import Lab

/// The byte accounting of `limit-data`, the pieces of `slice` and the stall of `timeout`, on one
/// direction's queue with time and randomness passed in.
@Suite struct ToxicQueueTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    var random = SeededRandom(seed: 7)

    func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    mutating func next(_ queue: inout DirectionQueue, at now: NIODeadline, writesInFlight: Int = 0) -> DirectionQueue.Action {
        queue.nextAction(now: now, receiverWritable: true, writesInFlight: writesInFlight, using: &random)
    }

    @Test mutating func aByteLimitPassesExactlyThatManyBytesThenClosesAndDropsTheRest() {
        var queue = DirectionQueue(condition: .init(limitBytes: 7), now: start)
        queue.enqueue(bytes("hello"), now: start, using: &random)
        queue.enqueue(bytes("world"), now: start, using: &random)
        #expect(next(&queue, at: start) == .write(bytes("hello")))
        #expect(next(&queue, at: start) == .write(bytes("wo")))
        #expect(queue.bytesPassedUnderLimit == 7)
        // The close waits for the writes of the last bytes to complete.
        #expect(next(&queue, at: start, writesInFlight: 1) == .idle)
        #expect(next(&queue, at: start) == .end(.close))
        #expect(queue.queuedBytes == 0)
        #expect(!queue.wantsRead)
        #expect(next(&queue, at: start) == .idle)
    }

    @Test mutating func theLimitCountsFromTheMomentItIsSetAndAHealLiftsIt() {
        var queue = DirectionQueue(condition: .init(), now: start)
        queue.enqueue(bytes("before"), now: start, using: &random)
        #expect(next(&queue, at: start) == .write(bytes("before")))
        queue.apply(.init(limitBytes: 3), now: start, using: &random)
        queue.enqueue(bytes("abcdef"), now: start, using: &random)
        #expect(next(&queue, at: start) == .write(bytes("abc")))
        queue.apply(.init(), now: start, using: &random)
        #expect(next(&queue, at: start) == .write(bytes("def")))
        #expect(next(&queue, at: start) == .idle)
    }

    @Test mutating func slicesComeInPiecesOfTheAverageSizeWithTheDelayBetweenThem() {
        let slicing = DirectionCondition.Slicing(averageSize: 4, delay: .milliseconds(10))
        var queue = DirectionQueue(condition: .init(slicing: slicing), now: start)
        queue.enqueue(bytes("abcdefghij"), now: start, using: &random)
        #expect(next(&queue, at: start) == .write(bytes("abcd")))
        #expect(next(&queue, at: start) == .wake(at: start + .milliseconds(10)))
        #expect(next(&queue, at: start + .milliseconds(10)) == .write(bytes("efgh")))
        #expect(next(&queue, at: start + .milliseconds(15)) == .wake(at: start + .milliseconds(20)))
        #expect(next(&queue, at: start + .milliseconds(20)) == .write(bytes("ij")))
        // Healed: the next bytes go at once and whole.
        queue.enqueue(bytes("klmnopqrstuvwxyz"), now: start + .milliseconds(21), using: &random)
        queue.apply(.init(), now: start + .milliseconds(21), using: &random)
        #expect(next(&queue, at: start + .milliseconds(21)) == .write(bytes("klmnopqrstuvwxyz")))
    }

    @Test mutating func sliceSizesStayWithinTheVariationAndAtLeastOneByte() {
        let slicing = DirectionCondition.Slicing(averageSize: 10, sizeVariation: 6)
        var queue = DirectionQueue(condition: .init(slicing: slicing), now: start)
        queue.enqueue(ByteBuffer(repeating: 1, count: 10_000), now: start, using: &random)
        var sizes: [Int] = []
        while case .write(let piece) = next(&queue, at: start) { sizes.append(piece.readableBytes) }
        #expect(sizes.reduce(0, +) == 10_000)
        #expect(sizes.dropLast().allSatisfy { (4...16).contains($0) })
        #expect(Set(sizes).count > 5, "sizes vary: \(Set(sizes).sorted())")
    }

    @Test mutating func aTimeoutHoldsBytesAndReadsNothingUntilHealed() {
        var queue = DirectionQueue(condition: .init(), now: start)
        queue.apply(.init(stalled: true, closeAfter: .seconds(5)), now: start, using: &random)
        #expect(!queue.wantsRead)
        queue.enqueue(bytes("late"), now: start, using: &random)
        queue.recordEnd(.eof, now: start, using: &random)
        #expect(next(&queue, at: start + .seconds(60)) == .idle)
        #expect(queue.queuedBytes == 4)
        queue.apply(.init(), now: start + .seconds(60), using: &random)
        #expect(queue.wantsRead == false, "the sender's end was seen")
        #expect(next(&queue, at: start + .seconds(60)) == .write(bytes("late")))
        #expect(next(&queue, at: start + .seconds(60)) == .end(.eof))
    }

    @Test func toxicConditionsCombineDescribeAndAreChecked() {
        let combined = LinkCondition.limitData(bytes: 100, directions: .forward)
            .combined(with: .limitData(bytes: 50))
            .combined(with: .slice(.init(averageSize: 8, sizeVariation: 2, delay: .milliseconds(5)), directions: .backward))
            .combined(with: .timeout(closeAfter: .seconds(2), directions: .forward))
            .combined(with: .timeout(closeAfter: .seconds(1), directions: .forward))
        #expect(combined.forward.limitBytes == 50)
        #expect(combined.forward.closeAfter == .seconds(1) && combined.forward.stalled)
        #expect(!combined.backward.stalled && combined.backward.slicing?.averageSize == 8)
        #expect(combined.description == "forward: limit 50 B, timeout, close after 1000ms; backward: limit 50 B, slices of 8±2 B every 5ms")
        #expect(LinkCondition.timeout(closeAfter: nil).description == "timeout")
        #expect(combined.problems.isEmpty)
        #expect(LinkCondition.limitData(bytes: 0).problems == ["forward byte limit 0 is not positive", "backward byte limit 0 is not positive"])
        #expect(LinkCondition.slice(.init(averageSize: 4, sizeVariation: 4), directions: .forward).problems
            == ["forward slice size variation 4 is not in [0, 4)"])
        var closeOnly = LinkCondition()
        closeOnly.backward.closeAfter = .seconds(1)
        #expect(closeOnly.problems == ["backward closes connections after a timeout without stalling them"])
    }
}
