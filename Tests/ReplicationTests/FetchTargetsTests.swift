import KafkaProtocol
import NIOCore
import Testing
@testable import Replication

/// A follower's fetch targets, session builder and the leader's session cache together: with only
/// changed partitions updated each round, the leader's session always holds every partition's
/// latest request, through removals, re-adds, epoch bumps and failed exchanges.
@Suite struct FetchTargetsTests {
    func tp(_ partition: Int32) -> TopicPartition { TopicPartition("t", partition) }

    func request(_ offset: Int64, start: Int64 = 0, epoch: Int32 = 1) -> FetchPartitionRequest {
        FetchPartitionRequest(fetchOffset: offset, logStartOffset: start, maxBytes: 1_048_576, currentLeaderEpoch: epoch)
    }

    /// A deterministic generator (xorshift), so that a failure names a reproducible round.
    struct Random {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }
    }

    /// One exchange: the builder's plan, the leader's resolution, the answer. Returns what the
    /// leader's session holds afterwards (nil for a failed exchange, which the next round repairs).
    func exchange(_ targets: FetchTargets<Int>, _ builder: inout FetchSessionBuilder, _ cache: inout FetchSessionCache,
                  fail: Bool, nowMs: Int64) -> [TopicPartition: FetchPartitionRequest]? {
        let plan = builder.plan(targets.requests)
        let resolution = cache.resolve(sessionId: plan.sessionId, epoch: plan.epoch, privileged: true,
                                       partitions: plan.partitions.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
                                       forgotten: plan.forgotten, nowMs: nowMs)
        if fail {
            builder.failed()
            return nil
        }
        let answer = cache.answer(FetchResponse(responses: []), for: resolution)
        builder.received(plan, errorCode: answer.errorCode, sessionId: answer.sessionId)
        guard answer.errorCode == 0 else { return nil }
        // Incremental or full, the resolution lists every partition the session now holds.
        let held = Dictionary(resolution.partitions.map { ($0.0, $0.1) }, uniquingKeysWith: { _, last in last })
        #expect(Set(cache.partitions(of: answer.sessionId)) == Set(held.keys))
        return held
    }

    @Test func leaderSessionFollowsEveryChangeWhenOnlyChangedPartitionsAreUpdated() {
        var random = Random(state: 0x9E37_79B9_7F4A_7C15)
        var truth: [TopicPartition: FetchPartitionRequest] = [:]
        for index in 0..<50 { truth[tp(Int32(index))] = request(Int64(index)) }
        var targets = FetchTargets<Int>()
        for (key, wanted) in truth { targets.set(key, handle: Int(key.partition), leaderEpoch: 1, request: wanted) }
        var builder = FetchSessionBuilder()
        var cache = FetchSessionCache(maxSlots: 4)
        var checked = 0
        for round in 0..<2_000 {
            // A few partitions change, leave or come back; only they are updated in the targets.
            for _ in 0..<random.next(4) {
                let key = tp(Int32(random.next(60)))
                switch random.next(5) {
                case 0:
                    truth[key] = nil
                    targets.remove(key)
                case 1:
                    let old = truth[key] ?? request(0)
                    truth[key] = request(old.fetchOffset, start: old.logStartOffset, epoch: old.currentLeaderEpoch + 1)
                    targets.set(key, handle: Int(key.partition), leaderEpoch: truth[key]!.currentLeaderEpoch, request: truth[key]!)
                case 2:
                    let old = truth[key] ?? request(0)
                    truth[key] = request(old.fetchOffset + 10, start: old.logStartOffset + 1, epoch: old.currentLeaderEpoch)
                    targets.set(key, handle: Int(key.partition), leaderEpoch: truth[key]!.currentLeaderEpoch, request: truth[key]!)
                default:
                    let old = truth[key] ?? request(0)
                    truth[key] = request(old.fetchOffset + Int64(1 + random.next(100)), start: old.logStartOffset, epoch: old.currentLeaderEpoch)
                    targets.set(key, handle: Int(key.partition), leaderEpoch: truth[key]!.currentLeaderEpoch, request: truth[key]!)
                }
            }
            #expect(targets.requests == truth)
            #expect(Set(targets.fetched.keys) == Set(truth.keys))
            #expect(targets.fetched.allSatisfy { truth[$0.key]?.fetchOffset == $0.value.fetchOffset })
            if let held = exchange(targets, &builder, &cache, fail: random.next(50) == 0, nowMs: Int64(round)) {
                checked += 1
                #expect(held == truth, "round \(round): the leader's session lost an update")
                if held != truth { return }
            }
        }
        #expect(checked > 1_500, "most rounds succeed, so the comparison ran")
    }

    @Test func idleRoundNamesNothing() {
        var targets = FetchTargets<Int>()
        for index in 0..<1_000 { targets.set(tp(Int32(index)), handle: index, leaderEpoch: 1, request: request(Int64(index))) }
        var builder = FetchSessionBuilder()
        var cache = FetchSessionCache(maxSlots: 4)
        _ = exchange(targets, &builder, &cache, fail: false, nowMs: 0)
        let plan = builder.plan(targets.requests)
        #expect(!plan.isFull && plan.partitions.isEmpty && plan.forgotten.isEmpty)
        targets.set(tp(7), handle: 7, leaderEpoch: 1, request: request(8))
        targets.remove(tp(9))
        let next = builder.plan(targets.requests)
        #expect(next.partitions == [tp(7): request(8)])
        #expect(next.forgotten == [tp(9)])
    }
}
