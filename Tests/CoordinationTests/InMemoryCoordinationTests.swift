import Coordination
import Testing

/// What only the in-memory ensemble offers: session bookkeeping and a fresh tree like a new server's.
@Suite struct InMemoryCoordinationTests {
    @Test func freshEnsembleHoldsWhatANewZooKeeperHolds() throws {
        let client = InMemoryCoordination().client()
        #expect(try client.children("/") == ["zookeeper"])
        #expect(try client.children("/zookeeper").sorted() == ["config", "quota"])
    }

    @Test func expiringEndsOnlyThatSessionAndIsIdempotent() throws {
        let ensemble = InMemoryCoordination()
        let events = EventRecorder()
        let doomed = ensemble.client(onEvent: events.handler)
        let survivor = ensemble.client()
        #expect(ensemble.liveSessionIds == [doomed.sessionId, survivor.sessionId])
        ensemble.expire(sessionId: doomed.sessionId)
        ensemble.expire(sessionId: doomed.sessionId)
        ensemble.expire(sessionId: 12345)
        #expect(ensemble.liveSessionIds == [survivor.sessionId])
        #expect(events.waitFor(.session(.expired)))
        doomed.close()
        #expect(throws: CoordinationError.sessionExpired(path: "/")) { try doomed.exists("/") }
        #expect(events.count(.session(.expired)) == 1)
        #expect(try survivor.exists("/") != nil)
    }

    @Test func timesComeFromTheInjectedClock() throws {
        let client = InMemoryCoordination(now: { 1_700_000_000_000 }).client()
        try client.create("/n", data: [1])
        let stat = try client.get("/n").stat
        #expect(stat.ctime == 1_700_000_000_000 && stat.mtime == stat.ctime)
    }
}
