import Coordination
import Testing

/// The store's contract, written once and run against the in-memory ensemble and a real ZooKeeper.
/// Serialized: the real-server cases share one server and time-sensitive session expiry.
@Suite(.serialized, .sharedZooKeeper)
struct CoordinationBehaviourTests {
    @Test(arguments: Backend.allCases)
    func firstEventIsConnectedWithTheSessionId(backend: Backend) throws {
        let harness = try Harness(backend)
        let (client, events) = try harness.connect()
        #expect(client.sessionId != 0)
        #expect(events.waitFor(.session(.connected(sessionId: client.sessionId))))
        #expect(events.all.first == .session(.connected(sessionId: client.sessionId)))
        #expect(client.sessionTimeoutMs == Harness.sessionTimeoutMs)
    }

    @Test(arguments: Backend.allCases)
    func createGetSetDeleteTrackVersions(backend: Backend) throws {
        let harness = try Harness(backend)
        let (client, _) = try harness.connect()
        let path = harness.path("node")
        #expect(try client.create(path, data: bytes("one"), mode: .persistent) == path)
        let created = try client.get(path)
        #expect(created.data == bytes("one"))
        #expect(created.stat.version == 0)
        #expect(created.stat.dataLength == 3)
        #expect(created.stat.ephemeralOwner == 0)
        #expect(created.stat.czxid == created.stat.mzxid)

        let updated = try client.set(path, data: bytes("two!"), expectedVersion: 0)
        #expect(updated.version == 1)
        #expect(updated.dataLength == 4)
        #expect(updated.mzxid > created.stat.mzxid)
        #expect(try client.get(path).data == bytes("two!"))

        let parent = try #require(try client.exists(harness.root))
        #expect(parent.numChildren == 1)
        #expect(parent.cversion == 1)

        try client.delete(path, expectedVersion: 1)
        #expect(try client.exists(path) == nil)
        #expect(try client.exists(harness.root)?.cversion == 2)
    }

    @Test(arguments: Backend.allCases)
    func staleConditionalWriteFailsWithBadVersion(backend: Backend) throws {
        let harness = try Harness(backend)
        let (leader, _) = try harness.connect()
        let (deposed, _) = try harness.connect()
        let path = harness.path("state")
        try leader.create(path, data: bytes("isr=1,2,3"), mode: .persistent)
        let readByDeposed = try deposed.get(path).stat.version
        let readByLeader = try leader.get(path).stat.version
        try leader.set(path, data: bytes("isr=1,2"), expectedVersion: readByLeader)
        #expect(throws: CoordinationError.badVersion(path: path)) {
            try deposed.set(path, data: bytes("isr=3"), expectedVersion: readByDeposed)
        }
        #expect(throws: CoordinationError.badVersion(path: path)) {
            try deposed.delete(path, expectedVersion: readByDeposed)
        }
        #expect(try leader.get(path).data == bytes("isr=1,2"))
    }

    @Test(arguments: Backend.allCases)
    func errorsNameThePathAndTheirCause(backend: Backend) throws {
        let harness = try Harness(backend)
        let (client, _) = try harness.connect()
        let path = harness.path("a")
        try client.create(path, data: [], mode: .persistent)
        #expect(throws: CoordinationError.nodeExists(path: path)) { try client.create(path, data: [], mode: .persistent) }
        let orphan = harness.path("missing/child")
        #expect(throws: CoordinationError.noNode(path: orphan)) { try client.create(orphan, data: [], mode: .persistent) }
        #expect(throws: CoordinationError.noNode(path: orphan)) { try client.get(orphan) }
        #expect(throws: CoordinationError.noNode(path: orphan)) { try client.set(orphan, data: []) }
        #expect(throws: CoordinationError.noNode(path: orphan)) { try client.children(orphan) }
        try client.create(path + "/child", data: [], mode: .persistent)
        #expect(throws: CoordinationError.notEmpty(path: path)) { try client.delete(path) }
        for invalid in ["relative", harness.root + "/", harness.root + "//x", harness.root + "/./x"] {
            #expect(throws: CoordinationError.badArguments(path: invalid)) { try client.exists(invalid) }
        }
    }

    @Test(arguments: Backend.allCases)
    func emptyAndLargeDataRoundTrip(backend: Backend) throws {
        let harness = try Harness(backend)
        let (client, _) = try harness.connect()
        let empty = harness.path("empty")
        try client.create(empty, data: [], mode: .persistent)
        #expect(try client.get(empty).data == [])
        let large = harness.path("large")
        let payload = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try client.create(large, data: payload, mode: .persistent)
        let read = try client.get(large)
        #expect(read.stat.dataLength == 300_000)
        #expect(read.data == payload)
    }

    @Test(arguments: Backend.allCases)
    func sequentialSuffixCountsTheParentsChildCreations(backend: Backend) throws {
        let harness = try Harness(backend)
        let (client, _) = try harness.connect()
        let first = try client.create(harness.path("seq-"), data: [], mode: .persistentSequential)
        let second = try client.create(harness.path("seq-"), data: [], mode: .ephemeralSequential)
        #expect(first == harness.path("seq-0000000000"))
        #expect(second == harness.path("seq-0000000001"))
        try client.delete(first)
        #expect(try client.exists(harness.root)?.cversion == 3, "cversion counts the deletion")
        let third = try client.create(harness.path("seq-"), data: [], mode: .persistentSequential)
        #expect(third == harness.path("seq-0000000002"), "the suffix does not")
        #expect(try client.children(harness.root).sorted() == ["seq-0000000001", "seq-0000000002"])
    }

    @Test(arguments: Backend.allCases)
    func ephemeralNodeIsOwnedBySessionAndCannotHaveChildren(backend: Backend) throws {
        let harness = try Harness(backend)
        let (client, _) = try harness.connect()
        let path = harness.path("broker-1")
        try client.create(path, data: bytes("{}"), mode: .ephemeral)
        #expect(try client.exists(path)?.ephemeralOwner == client.sessionId)
        #expect(throws: CoordinationError.noChildrenForEphemerals(path: path + "/x")) {
            try client.create(path + "/x", data: [], mode: .persistent)
        }
    }

    @Test(arguments: Backend.allCases)
    func ephemeralNodeDisappearsWhenItsSessionCloses(backend: Backend) throws {
        let harness = try Harness(backend)
        let (owner, _) = try harness.connect()
        let (observer, _) = try harness.connect()
        let path = harness.path("broker-1")
        try owner.create(path, data: [], mode: .ephemeral)
        owner.close()
        #expect(try observer.exists(path) == nil, "close returns after the server removed the ephemeral")
        #expect(throws: CoordinationError.closed(path: path)) { try owner.get(path) }
        owner.close()
    }

    @Test(arguments: Backend.allCases)
    func ephemeralNodeDisappearsWhenItsSessionExpires(backend: Backend) throws {
        let harness = try Harness(backend)
        let (owner, ownerEvents) = try harness.connect()
        let (observer, observerEvents) = try harness.connect()
        let path = harness.path("broker-1")
        try owner.create(path, data: [], mode: .ephemeral)
        #expect(try observer.exists(path, watch: true) != nil)

        try harness.expire(owner)
        #expect(observerEvents.waitFor(.watch(.nodeDeleted(path: path))))
        #expect(try observer.exists(path) == nil)
        #expect(ownerEvents.waitFor(.session(.expired)))
        #expect(throws: CoordinationError.sessionExpired(path: path)) { try owner.exists(path) }
        #expect(throws: CoordinationError.sessionExpired(path: path)) { try owner.create(path, data: [], mode: .ephemeral) }
    }

    @Test(arguments: Backend.allCases)
    func dataWatchFiresOnceForTwoChanges(backend: Backend) throws {
        let harness = try Harness(backend)
        let (watcher, events) = try harness.connect()
        let (writer, _) = try harness.connect()
        let path = harness.path("state")
        try writer.create(path, data: bytes("0"), mode: .persistent)
        _ = try watcher.get(path, watch: true)
        try writer.set(path, data: bytes("1"))
        #expect(events.waitFor(.watch(.nodeDataChanged(path: path))))
        try writer.set(path, data: bytes("2"))
        try barrier(harness, watcher: watcher, events: events, writer: writer)
        #expect(events.count(.watch(.nodeDataChanged(path: path))) == 1)
    }

    @Test(arguments: Backend.allCases)
    func watchesFireOnCreationAndDeletion(backend: Backend) throws {
        let harness = try Harness(backend)
        let (watcher, events) = try harness.connect()
        let (writer, _) = try harness.connect()
        let path = harness.path("controller")
        #expect(try watcher.exists(path, watch: true) == nil)
        try writer.create(path, data: [], mode: .ephemeral)
        #expect(events.waitFor(.watch(.nodeCreated(path: path))))
        _ = try watcher.get(path, watch: true)
        _ = try watcher.children(path, watch: true)
        try writer.delete(path)
        #expect(events.waitFor(.watch(.nodeDeleted(path: path))))
        try barrier(harness, watcher: watcher, events: events, writer: writer)
        #expect(events.count(.watch(.nodeDeleted(path: path))) == 1, "data and child watch fire as one deletion")
    }

    @Test(arguments: Backend.allCases)
    func childWatchFiresOnceOnChildChange(backend: Backend) throws {
        let harness = try Harness(backend)
        let (watcher, events) = try harness.connect()
        let (writer, _) = try harness.connect()
        let ids = harness.path("ids")
        try writer.create(ids, data: [], mode: .persistent)
        #expect(try watcher.children(ids, watch: true) == [])
        try writer.create(ids + "/1", data: [], mode: .ephemeral)
        #expect(events.waitFor(.watch(.nodeChildrenChanged(path: ids))))
        try writer.create(ids + "/2", data: [], mode: .ephemeral)
        #expect(try watcher.children(ids, watch: true).sorted() == ["1", "2"])
        try writer.delete(ids + "/1")
        #expect(events.waitFor(.watch(.nodeChildrenChanged(path: ids)), occurrences: 2))
        try writer.set(ids, data: bytes("x"))
        try barrier(harness, watcher: watcher, events: events, writer: writer)
        #expect(events.count(.watch(.nodeChildrenChanged(path: ids))) == 2)
        #expect(events.count(.watch(.nodeDataChanged(path: ids))) == 0, "a child watch ignores data changes")
    }

    @Test(arguments: Backend.allCases)
    func multiAppliesEveryStepAndReportsResults(backend: Backend) throws {
        let harness = try Harness(backend)
        let (client, _) = try harness.connect()
        let epoch = harness.path("controller_epoch")
        let state = harness.path("state")
        let old = harness.path("old")
        try client.create(epoch, data: bytes("1"), mode: .persistent)
        try client.create(state, data: bytes("a"), mode: .persistent)
        try client.create(old, data: [], mode: .persistent)
        let results = try client.multi([
            .check(path: epoch, expectedVersion: 0),
            .set(path: state, data: bytes("b"), expectedVersion: 0),
            .create(path: harness.path("seq-"), data: [], mode: .persistentSequential),
            .delete(path: old, expectedVersion: 0),
        ])
        #expect(results.count == 4)
        #expect(results[0] == .checked)
        guard case .set(let stat) = results[1] else { Issue.record("no stat for set: \(results)"); return }
        #expect(stat.version == 1)
        #expect(results[2] == .created(path: harness.path("seq-0000000003")))
        #expect(results[3] == .deleted)
        #expect(try client.get(state).data == bytes("b"))
        #expect(try client.exists(old) == nil)
        #expect(try client.multi([]) == [])
    }

    @Test(arguments: Backend.allCases)
    func multiWithFailingCheckChangesNothing(backend: Backend) throws {
        let harness = try Harness(backend)
        let (client, _) = try harness.connect()
        let epoch = harness.path("controller_epoch")
        let state = harness.path("state")
        try client.create(epoch, data: bytes("1"), mode: .persistent)
        try client.create(state, data: bytes("a"), mode: .persistent)
        try client.set(epoch, data: bytes("2"))
        let fresh = harness.path("fresh")
        #expect(throws: CoordinationError.multiFailed(index: 2, error: .badVersion(path: epoch))) {
            try client.multi([
                .create(path: fresh, data: [], mode: .persistent),
                .set(path: state, data: bytes("b"), expectedVersion: 0),
                .check(path: epoch, expectedVersion: 0),
            ])
        }
        #expect(try client.exists(fresh) == nil)
        let unchanged = try client.get(state)
        #expect(unchanged.data == bytes("a"))
        #expect(unchanged.stat.version == 0)
        #expect(throws: CoordinationError.multiFailed(index: 0, error: .nodeExists(path: state))) {
            try client.multi([.create(path: state, data: [], mode: .persistent)])
        }
    }

    @Test(arguments: Backend.allCases)
    func controllerElectionHasOneWinnerAndFailsOverWhenTheWinnerCloses(backend: Backend) throws {
        try controllerElection(backend: backend) { harness, winner in winner.close() }
    }

    @Test(arguments: Backend.allCases)
    func controllerElectionFailsOverWhenTheWinnersSessionExpires(backend: Backend) throws {
        try controllerElection(backend: backend) { harness, winner in try harness.expire(winner) }
    }

    @Test(arguments: Backend.allCases)
    func recipesCreateParentsAndDeleteTrees(backend: Backend) throws {
        let harness = try Harness(backend)
        let (client, _) = try harness.connect()
        let deep = harness.path("brokers/topics/orders/partitions/0/state")
        try client.ensurePath(harness.path("brokers/ids"))
        try client.ensurePath(harness.path("brokers/ids"))
        try client.createWithParents(deep, data: bytes("{}"), mode: .persistent)
        #expect(try client.get(deep).data == bytes("{}"))

        let first = try client.createOrGet(harness.path("cluster_id"), data: bytes("A"))
        let second = try client.createOrGet(harness.path("cluster_id"), data: bytes("B"))
        #expect(first.created && first.data == bytes("A"))
        #expect(!second.created && second.data == bytes("A"))

        try client.deleteRecursive(harness.path("brokers"))
        #expect(try client.exists(harness.path("brokers")) == nil)
        try client.deleteRecursive(harness.path("brokers"))
    }

    /// Two brokers race for an ephemeral `/controller`; the loser watches it and takes over once the
    /// winner's session ends through `end`.
    private func controllerElection(
        backend: Backend, end: (Harness, any CoordinationClient) throws -> Void
    ) throws {
        let harness = try Harness(backend)
        let (first, _) = try harness.connect()
        let (second, secondEvents) = try harness.connect()
        let controller = harness.path("controller")
        var winners: [any CoordinationClient] = []
        var losers: [any CoordinationClient] = []
        for candidate in [first, second] {
            do {
                try candidate.create(controller, data: bytes("\(candidate.sessionId)"), mode: .ephemeral)
                winners.append(candidate)
            } catch CoordinationError.nodeExists {
                losers.append(candidate)
            }
        }
        #expect(winners.count == 1 && losers.count == 1)
        #expect(winners.first === first)
        #expect(try second.exists(controller, watch: true)?.ephemeralOwner == first.sessionId)

        try end(harness, first)
        #expect(secondEvents.waitFor(.watch(.nodeDeleted(path: controller))))
        try second.create(controller, data: bytes("\(second.sessionId)"), mode: .ephemeral)
        #expect(try second.get(controller).stat.ephemeralOwner == second.sessionId)
    }

    /// Proves that every event caused before this point has been delivered: a session's events
    /// arrive in order, so once a watch triggered now fires, any earlier one would have too.
    private func barrier(
        _ harness: Harness, watcher: any CoordinationClient, events: EventRecorder, writer: any CoordinationClient
    ) throws {
        let marker = harness.path("barrier-\(events.all.count)")
        #expect(try watcher.exists(marker, watch: true) == nil)
        try writer.create(marker, data: [], mode: .persistent)
        #expect(events.waitFor(.watch(.nodeCreated(path: marker))))
    }
}
