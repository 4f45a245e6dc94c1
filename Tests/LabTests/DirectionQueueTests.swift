import NIOCore
import Testing

@testable import Lab

@Suite struct DirectionQueueTests {
    let start = NIODeadline.uptimeNanoseconds(1_000_000_000)
    var random = SeededRandom(seed: 42)

    func bytes(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }

    @Test mutating func connectedDirectionPassesBytesAtOnce() {
        var queue = DirectionQueue(condition: .init(), now: start)
        queue.enqueue(bytes("hello"), now: start, using: &random)
        #expect(queue.nextAction(now: start, receiverWritable: true, writesInFlight: 0) == .write(bytes("hello")))
        #expect(queue.nextAction(now: start, receiverWritable: true, writesInFlight: 0) == .idle)
        #expect(queue.queuedBytes == 0)
    }

    @Test mutating func unwritableReceiverKeepsBytesQueued() {
        var queue = DirectionQueue(condition: .init(), now: start)
        queue.enqueue(bytes("hello"), now: start, using: &random)
        #expect(queue.nextAction(now: start, receiverWritable: false, writesInFlight: 0) == .idle)
        #expect(queue.queuedBytes == 5)
        #expect(queue.nextAction(now: start, receiverWritable: true, writesInFlight: 0) == .write(bytes("hello")))
    }

    @Test mutating func blackholeHoldsBytesAndEndUntilHealThenReleasesThemInOrder() {
        var queue = DirectionQueue(condition: .init(blackholed: true), now: start)
        queue.enqueue(bytes("one"), now: start, using: &random)
        queue.enqueue(bytes("two"), now: start, using: &random)
        queue.recordEnd(.eof, now: start, using: &random)
        let later = start + .seconds(30)
        #expect(queue.nextAction(now: later, receiverWritable: true, writesInFlight: 0) == .idle)
        #expect(queue.queuedBytes == 6)
        queue.apply(.init(), now: later, using: &random)
        #expect(queue.nextAction(now: later, receiverWritable: true, writesInFlight: 0) == .write(bytes("one")))
        #expect(queue.nextAction(now: later, receiverWritable: true, writesInFlight: 0) == .write(bytes("two")))
        #expect(queue.nextAction(now: later, receiverWritable: true, writesInFlight: 0) == .end(.eof))
        #expect(queue.nextAction(now: later, receiverWritable: true, writesInFlight: 0) == .idle)
    }

    @Test mutating func noReadsWhileCutPastTheHoldLimitOrAfterTheEnd() {
        var cut = DirectionQueue(condition: .init(blackholed: true), now: start)
        #expect(!cut.wantsRead)
        cut.apply(.init(), now: start, using: &random)
        #expect(cut.wantsRead)

        var full = DirectionQueue(condition: .init(), now: start)
        full.enqueue(ByteBuffer(repeating: 0, count: DirectionQueue.holdLimitBytes), now: start, using: &random)
        #expect(!full.wantsRead)
        _ = full.nextAction(now: start, receiverWritable: true, writesInFlight: 0)
        #expect(full.wantsRead)

        var ended = DirectionQueue(condition: .init(), now: start)
        ended.recordEnd(.eof, now: start, using: &random)
        #expect(!ended.wantsRead)
    }

    @Test mutating func endWaitsForEveryWriteToComplete() {
        var queue = DirectionQueue(condition: .init(), now: start)
        queue.enqueue(bytes("last"), now: start, using: &random)
        queue.recordEnd(.close, now: start, using: &random)
        #expect(queue.nextAction(now: start, receiverWritable: true, writesInFlight: 0) == .write(bytes("last")))
        #expect(queue.nextAction(now: start, receiverWritable: true, writesInFlight: 1) == .idle)
        #expect(queue.nextAction(now: start, receiverWritable: true, writesInFlight: 0) == .end(.close))
    }

    @Test mutating func resetAfterEofIsPassedOnButAWeakerEndIsNot() {
        var queue = DirectionQueue(condition: .init(), now: start)
        queue.recordEnd(.eof, now: start, using: &random)
        #expect(queue.nextAction(now: start, receiverWritable: true, writesInFlight: 0) == .end(.eof))
        queue.recordEnd(.eof, now: start, using: &random)
        #expect(queue.nextAction(now: start, receiverWritable: true, writesInFlight: 0) == .idle)
        queue.recordEnd(.reset, now: start, using: &random)
        queue.recordEnd(.close, now: start, using: &random)
        #expect(queue.nextAction(now: start, receiverWritable: true, writesInFlight: 0) == .end(.reset))
    }

    @Test mutating func closedReceiverDropsWhatItCanNoLongerReceive() {
        var queue = DirectionQueue(condition: .init(), now: start)
        queue.enqueue(bytes("lost with the socket"), now: start, using: &random)
        queue.closeReceiver()
        #expect(queue.queuedBytes == 0)
        #expect(!queue.wantsRead)
        #expect(queue.nextAction(now: start, receiverWritable: true, writesInFlight: 0) == .idle)
    }

    @Test mutating func delayReleasesEachChunkAtArrivalPlusLatency() {
        var queue = DirectionQueue(condition: .init(latency: .milliseconds(50)), now: start)
        queue.enqueue(bytes("a"), now: start, using: &random)
        let due = start + .milliseconds(50)
        #expect(queue.nextAction(now: start, receiverWritable: true, writesInFlight: 0) == .wake(at: due))
        #expect(queue.nextAction(now: due - .nanoseconds(1), receiverWritable: true, writesInFlight: 0) == .wake(at: due))
        #expect(queue.nextAction(now: due, receiverWritable: true, writesInFlight: 0) == .write(bytes("a")))
    }

    @Test mutating func endIsDelayedLikeTheBytesBeforeIt() {
        var queue = DirectionQueue(condition: .init(latency: .milliseconds(50)), now: start)
        queue.recordEnd(.eof, now: start, using: &random)
        #expect(queue.nextAction(now: start, receiverWritable: true, writesInFlight: 0) == .wake(at: start + .milliseconds(50)))
    }

    /// Drains a queue fed `count` one-byte chunks `spacing` apart, returning each chunk's delivery time.
    mutating func deliveryTimes(_ condition: DirectionCondition, count: Int, spacing: TimeAmount) -> [(arrival: NIODeadline, due: NIODeadline, byte: UInt8)] {
        var queue = DirectionQueue(condition: condition, now: start)
        var arrivals: [NIODeadline] = []
        for index in 0..<count {
            let arrival = start + .nanoseconds(spacing.nanoseconds * Int64(index))
            arrivals.append(arrival)
            queue.enqueue(ByteBuffer(bytes: [UInt8(index % 256)]), now: arrival, using: &random)
        }
        var now = start
        var delivered: [(NIODeadline, NIODeadline, UInt8)] = []
        while delivered.count < count {
            switch queue.nextAction(now: now, receiverWritable: true, writesInFlight: 0) {
            case .write(var buffer):
                delivered.append((arrivals[delivered.count], now, buffer.readInteger(as: UInt8.self)!))
            case .wake(let deadline):
                now = deadline
            case .end, .idle:
                Issue.record("queue stalled after \(delivered.count) chunks")
                return delivered
            }
        }
        return delivered
    }

    @Test mutating func jitteredDelaysStayWithinBoundsAndKeepOrder() {
        let condition = DirectionCondition(latency: .milliseconds(20), jitter: .milliseconds(10))
        let delivered = deliveryTimes(condition, count: 2_000, spacing: .milliseconds(1))
        #expect(delivered.count == 2_000)
        var previous = start
        var delays: Set<Int64> = []
        for (index, chunk) in delivered.enumerated() {
            #expect(chunk.byte == UInt8(index % 256), "order")
            #expect(chunk.due >= previous, "delivery times never go back")
            #expect(chunk.due >= chunk.arrival + .milliseconds(10), "at least latency - jitter")
            #expect(chunk.due <= max(previous, chunk.arrival + .milliseconds(30)), "at most the later of the previous delivery and latency + jitter")
            delays.insert((chunk.due - chunk.arrival).nanoseconds)
            previous = chunk.due
        }
        #expect(delays.count > 100, "the delay varies")
    }

    @Test mutating func jitterLargerThanLatencyNeverMakesDelaysNegative() {
        let condition = DirectionCondition(latency: .milliseconds(2), jitter: .milliseconds(10))
        for _ in 0..<1_000 {
            let delay = DirectionQueue.sampleDelay(condition, using: &random)
            #expect(delay >= .zero && delay <= .milliseconds(12))
        }
    }

    @Test mutating func healedDelayReleasesTheBacklogAtOnce() {
        var queue = DirectionQueue(condition: .init(latency: .seconds(10)), now: start)
        queue.enqueue(bytes("slow"), now: start, using: &random)
        let now = start + .milliseconds(5)
        queue.apply(.init(), now: now, using: &random)
        #expect(queue.nextAction(now: now, receiverWritable: true, writesInFlight: 0) == .write(bytes("slow")))
    }

    @Test mutating func bandwidthCapPacesBytesAtTheRate() {
        let rate = 100_000
        var queue = DirectionQueue(condition: .init(bandwidthBytesPerSecond: rate), now: start)
        let total = 50_000
        queue.enqueue(ByteBuffer(repeating: 7, count: total), now: start, using: &random)
        var now = start
        var written = 0
        var largestWrite = 0
        var writes = 0
        while written < total {
            switch queue.nextAction(now: now, receiverWritable: true, writesInFlight: 0) {
            case .write(let buffer):
                written += buffer.readableBytes
                writes += 1
                largestWrite = max(largestWrite, buffer.readableBytes)
                // Time passes between two calls, as it does on a real event loop.
                now = now + .microseconds(50)
            case .wake(let deadline):
                #expect(deadline > now)
                now = deadline
            case .end, .idle:
                Issue.record("queue stalled after \(written) bytes")
                return
            }
        }
        let burst = rate / 100
        let elapsed = Double((now - start).nanoseconds) / 1e9
        #expect(largestWrite <= burst)
        #expect(writes <= total / burst + 1, "whole bursts, not a trickle of tiny writes")
        #expect(elapsed >= Double(total - burst) / Double(rate))
        #expect(elapsed <= Double(total) / Double(rate) + 0.011)
    }
}

@Suite struct TokenBucketTests {
    let start = NIODeadline.uptimeNanoseconds(5_000_000_000)

    @Test func startsFullAndRefillsAtTheRateUpToTheBurst() {
        var bucket = TokenBucket(rateBytesPerSecond: 10_000, now: start)
        #expect(bucket.burstBytes == 100)
        #expect(bucket.take(upTo: 1_000, now: start) == 100)
        #expect(bucket.take(upTo: 1_000, now: start) == 0)
        #expect(bucket.take(upTo: 1_000, now: start + .milliseconds(5)) == 0, "half a burst is not enough")
        #expect(bucket.take(upTo: 50, now: start + .milliseconds(5)) == 50, "but it is for a small write")
        #expect(bucket.take(upTo: 1_000, now: start + .milliseconds(15)) == 100)
        #expect(bucket.take(upTo: 1_000, now: start + .seconds(60)) == 100)
    }

    @Test func tellsWhenTokensWillBeAvailable() {
        var bucket = TokenBucket(rateBytesPerSecond: 10_000, now: start)
        _ = bucket.take(upTo: 100, now: start)
        let ready = bucket.availableAt(bytes: 40, now: start)
        #expect(ready == start + .milliseconds(4))
        #expect(bucket.take(upTo: 40, now: ready) == 40)
        #expect(bucket.availableAt(bytes: 10_000, now: start + .seconds(1)) == start + .seconds(1))
    }
}
