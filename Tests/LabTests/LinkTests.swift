import Lab
import Testing

@Suite struct LinkIDTests {
    @Test func printsAndParsesTheShellsNames() {
        let links = [
            LinkID(from: .client, to: .broker(1)),
            LinkID(from: .broker(1), to: .broker(2)),
            LinkID(from: .broker(1), to: .zookeeper),
        ]
        #expect(links.map(\.description) == ["clients->1", "1->2", "1->zk"])
        #expect(links.map { LinkID($0.description) } == links)
        #expect(LinkID("1-2") == nil)
        #expect(LinkID("x->1") == nil)
        #expect(LinkID("1->-3") == nil)
    }

    @Test func sortsClientsThenBrokersByIdThenZooKeeper() {
        let sorted = [
            LinkID(from: .broker(10), to: .zookeeper), LinkID(from: .broker(2), to: .broker(1)),
            LinkID(from: .client, to: .broker(3)), LinkID(from: .broker(2), to: .zookeeper),
        ].sorted()
        #expect(sorted.map(\.description) == ["clients->3", "2->1", "2->zk", "10->zk"])
    }
}

@Suite struct LinkConditionTests {
    @Test func oneWayBlackholeHoldsOnlyItsDirection() {
        let cut = LinkCondition.blackhole(.forward)
        #expect(cut.forward.blackholed && !cut.backward.blackholed)
        #expect(cut.holdsNewConnections)
        #expect(!LinkCondition.delay(latency: .milliseconds(5)).holdsNewConnections)
    }

    @Test func conditionsCombine() {
        let combined = LinkCondition.delay(latency: .milliseconds(50), jitter: .milliseconds(5))
            .combined(with: .bandwidth(bytesPerSecond: 1_000, directions: .backward))
            .combined(with: .bandwidth(bytesPerSecond: 500))
            .combined(with: .lossy(resetProbability: 0.1))
        #expect(combined.forward == DirectionCondition(latency: .milliseconds(50), jitter: .milliseconds(5), bandwidthBytesPerSecond: 500))
        #expect(combined.backward == combined.forward)
        #expect(combined.resetProbability == 0.1)
        #expect(combined.description == "delay 50ms±5ms, 500 B/s; reset probability 0.1")
        #expect(LinkCondition.connected.combined(with: .blackhole(.backward)).description == "backward: blackhole")
        #expect(LinkCondition.connected.description == "connected")
    }

    @Test func rejectsImpossibleValues() {
        #expect(LinkCondition.connected.problems.isEmpty)
        #expect(LinkCondition.lossy(resetProbability: 1.5).problems.count == 1)
        #expect(LinkCondition.bandwidth(bytesPerSecond: 0).problems.count == 2)
        #expect(LinkCondition.delay(latency: .milliseconds(-1), directions: .forward).problems.count == 1)
    }
}
