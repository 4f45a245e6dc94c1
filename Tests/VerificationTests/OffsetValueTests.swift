import Testing
@testable import Verification

@Suite struct OffsetValueTests {
    @Test func valueAtTwoOffsetsIsADuplicate() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.send("producer-1", "b", offset: 1)
        h.finalRead([(0, "a"), (1, "b"), (2, "a")])
        let report = check(h)
        #expect(report.duplicate.verdict == .invalid)
        #expect(report.duplicate.count == 1)
        let duplicate = report.duplicate.anomalies[0]
        #expect(duplicate.value == "a")
        #expect(duplicate.places.map(\.offset) == [0, 2])
        #expect(duplicate.places.allSatisfy { $0.topic == "t" && $0.partition == 0 })
        #expect(report.inconsistentOffsets.verdict == .valid)
    }

    @Test func ackedAtOneOffsetAndReadAtAnotherIsADuplicate() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 5)
        h.finalRead([(7, "a")])
        let report = check(h)
        #expect(report.duplicate.anomalies.map(\.places).first?.map(\.offset) == [5, 7])
    }

    @Test func oneOffsetWithTwoValuesIsInconsistentWithWhoSawWhich() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.send("producer-2", "b", offset: 0)
        h.poll("consumer-1", [(0, "a")])
        h.finalRead([(0, "b")])
        let report = check(h)
        #expect(report.inconsistentOffsets.verdict == .invalid)
        #expect(report.inconsistentOffsets.count == 1)
        let conflict = report.inconsistentOffsets.anomalies[0]
        #expect(conflict.offset == 0)
        #expect(conflict.values.map(\.value) == ["a", "b"])
        let a = conflict.values[0].seenBy
        #expect(a.map(\.source) == [.ack, .poll])
        #expect(a.map(\.process) == ["producer-1", "consumer-1"])
        let b = conflict.values[1].seenBy
        #expect(b.map(\.source) == [.ack, .finalRead])
        #expect(b.map(\.process) == ["producer-2", "final-reader"])
        // "a" was read at 0 by a consumer, then the final read found "b" there: "a" is lost.
        #expect(report.lostWrite.anomalies.map(\.value) == ["a"])
        #expect(report.lostWrite.anomalies.first?.reason == .missingFromFinalRead)
        #expect(report.lostWrite.anomalies.first?.readInstead.map(\.value) == ["b"])
    }

    @Test func evidenceIsBoundedButTheCountIsNot() {
        var h = HistoryBuilder()
        var records: [(Int64, String)] = []
        for offset in 0..<5 {
            h.send("producer-1", "v\(offset)", offset: Int64(offset))
            records.append((Int64(offset), "w\(offset)"))
        }
        h.finalRead(records)
        let report = CheckReport(history: h.history, timeline: Timeline(records: []), parameters: RunParameters(evidenceLimit: 2))
        #expect(report.inconsistentOffsets.count == 5)
        #expect(report.inconsistentOffsets.anomalies.count == 2)
        #expect(report.lostWrite.count == 5)
        #expect(report.lostWrite.anomalies.count == 2)
        #expect(report.lostWrite.verdict == .invalid)
    }
}
