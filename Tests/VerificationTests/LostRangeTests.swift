import Testing
@testable import Verification

@Suite struct LostRangeTests {
    func event(_ time: Int64, _ broker: Int32, _ kind: BrokerEventKind, epoch: Int32? = nil, from: Int64? = nil, to: Int64? = nil) -> TimelineRecord {
        TimelineRecord(timeNs: time, .brokerEvent(BrokerEvent(
            broker: broker, event: kind, topic: "t", partition: 0, leaderEpoch: epoch, fromOffset: from, toOffset: to)))
    }

    @Test func lostWritesAreToldAsRangesWithTheirLeaderTakeoverAndTruncation() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)   // acked at 2 ms
        h.send("producer-1", "b", offset: 1)   // 4 ms
        h.send("producer-1", "c", offset: 2)   // 6 ms
        h.send("producer-1", "d", offset: 3)   // 8 ms
        h.send("producer-1", "e", offset: 4)   // 10 ms
        h.finalReadBounds([(0, 0, 5)])
        // b and c are gone (x, y in their place), d survives, e is gone.
        h.finalRead([(0, "a"), (1, "x"), (2, "y"), (3, "d"), (4, "z")])
        let timeline = Timeline(records: [
            event(1_000_000, 3, .becameLeader, epoch: 2),
            event(11_000_000, 1, .becameLeader, epoch: 3),
            event(12_000_000, 3, .truncate, from: 5, to: 1),
        ])
        let report = check(h, timeline: timeline)
        #expect(report.lostWrite.count == 3)
        #expect(report.lostRanges.map { [$0.firstOffset, $0.lastOffset] } == [[1, 2], [4, 4]])
        let first = report.lostRanges[0]
        #expect(first.count == 2)
        #expect(first.acknowledgedBy.map(\.broker) == [3])
        #expect(first.tookOver?.broker == 1)
        #expect(first.tookOver?.leaderEpoch == 3)
        #expect(first.truncations.map { [$0.broker, Int32($0.fromOffset), Int32($0.toOffset)] } == [[3, 5, 1]])
        let words = first.words(startNs: 0)
        #expect(words.contains("t/0 offsets 1–2: 2 acknowledged write(s) lost"))
        #expect(words.contains("while broker 3 (epoch 2) led"))
        #expect(words.contains("broker 1 (epoch 3) took over at +0.01 s"))
        #expect(words.contains("broker 3 truncated from 5 to 1"))
    }

    @Test func aRangeNoBrokerTruncatedSaysSo() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.finalReadBounds([(0, 0, 0)])
        let report = check(h, timeline: Timeline(records: [event(1_000, 1, .becameLeader, epoch: 1)]))
        #expect(report.lostRanges.first?.brokerEventsRecorded == true)
        #expect(report.lostRanges.first?.words(startNs: 0).contains("no broker reported truncating them") == true)
        #expect(report.lostRanges.first?.words(startNs: 0).contains("the final read found the log ending at 0") == true)
    }

    /// Without any broker event (a broker that writes no Samsa event log), "no truncation" is not
    /// claimed: the words say the evidence was not there.
    @Test func withoutBrokerEventsNoTruncationIsClaimed() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.finalReadBounds([(0, 0, 0)])
        let report = check(h)
        let words = report.lostRanges.first?.words(startNs: 0) ?? ""
        #expect(report.lostRanges.first?.brokerEventsRecorded == false)
        #expect(!words.contains("no broker reported truncating them"))
        #expect(words.contains("truncations are known only from Samsa's broker event logs, and none was recorded in this run"))
    }
}
