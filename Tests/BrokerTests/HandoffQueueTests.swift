import Testing
@testable import Broker

struct HandoffQueueTests {
    @Test func theFirstClaimerDeliversEverythingInOrder() {
        var queue = HandoffQueue<Int>()
        #expect(queue.claim() == nil)
        queue.add([1, 2])
        #expect(queue.claim() == [1, 2])
        // Another producer, while the first delivers: its work waits for the deliverer.
        queue.add([3])
        #expect(queue.claim() == nil)
        queue.add([4, 5])
        #expect(queue.next() == [3, 4, 5])
        #expect(queue.next() == nil)
        #expect(queue.isEmpty)
    }

    @Test func afterTheDelivererStopsTheNextProducerClaims() {
        var queue = HandoffQueue<String>()
        queue.add(["a"])
        #expect(queue.claim() == ["a"])
        #expect(queue.next() == nil)
        queue.add(["b"])
        #expect(queue.claim() == ["b"])
        #expect(queue.next() == nil)
    }
}
