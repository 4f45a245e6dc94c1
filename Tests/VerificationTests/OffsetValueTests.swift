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

    // MARK: A client's re-send under a bumped producer epoch

    /// "a" sent once (op 1), written at offset 2 under producer 7 epoch 0, re-sent by the client
    /// after it bumped to `bumpEpoch` and acknowledged at offset 5.
    private func resentHistory(bumpInWindow: Bool = true, bumpEpoch: Int64 = 1) -> HistoryBuilder {
        var h = HistoryBuilder()
        let bump = OpValue.other(.object(["producer_id": .int(7), "epoch": .int(bumpEpoch), "reason": .string("skipped sequence numbers")]))
        if !bumpInWindow {
            h.line("producer-1", .invoke, "epoch_bump", bump, opId: -1)
            h.line("producer-1", .ok, "epoch_bump", bump, opId: -1)
        }
        h.invokeSend("producer-1", "a", opId: 1)
        h.send("producer-2", "b", offset: 3)
        if bumpInWindow {
            h.line("producer-1", .invoke, "epoch_bump", bump, opId: -1)
            h.line("producer-1", .ok, "epoch_bump", bump, opId: -1)
        }
        h.completeSend("producer-1", "a", offset: 5, opId: 1)
        h.finalRead([(2, "a"), (3, "b"), (5, "a")])
        return h
    }

    private func digest(resentEpoch: Int16) -> ReplicaDigestInput {
        let batches = [
            BatchDigest(baseOffset: 2, lastOffset: 2, leaderEpoch: 0, producerId: 7, producerEpoch: 0, baseSequence: 2, crc: 1),
            BatchDigest(baseOffset: 3, lastOffset: 4, leaderEpoch: 0, producerId: 8, producerEpoch: 0, baseSequence: 0, crc: 2),
            BatchDigest(baseOffset: 5, lastOffset: 5, leaderEpoch: 1, producerId: 7, producerEpoch: resentEpoch, baseSequence: 0, crc: 3),
        ]
        let replica = ReplicaLog(broker: 1, logStart: 2, logEnd: 6, highWatermark: 6, leaderEpochs: nil, batches: batches)
        return .digest(ReplicaDigest(source: .stopped, createdNs: 0, topics: ["t"], brokers: [1],
                                     partitions: [PartitionReplicas(topic: "t", partition: 0, replicas: [replica])]))
    }

    private func checked(_ h: HistoryBuilder, _ replicas: ReplicaDigestInput) -> CheckReport {
        CheckReport(history: h.history, timeline: Timeline(records: []), clients: h.cleanExits, replicas: replicas)
    }

    @Test func aCopyUnderTheEpochTheClientBumpedToIsTheClientsReSend() {
        let report = checked(resentHistory(), digest(resentEpoch: 1))
        #expect(report.duplicate.verdict == .valid)
        #expect(report.duplicate.count == 0)
        #expect(report.duplicate.notes.count == 2)
        #expect(report.duplicate.notes.last?.contains("offsets 2, 5 (producer 7, epochs 0, 1)") == true)
        #expect(report.duplicate.notes.last?.contains("skipped sequence numbers") == true)
        #expect(report.inconsistentOffsets.verdict == .valid)
    }

    @Test func twoCopiesInOneEpochAreTheBrokersDuplicateEvenWithABump() {
        // The broker appended the retry twice within epoch 0: a bump elsewhere does not excuse it.
        let report = checked(resentHistory(), digest(resentEpoch: 0))
        #expect(report.duplicate.verdict == .invalid)
        #expect(report.duplicate.anomalies.map(\.value) == ["a"])
    }

    @Test func aCopyUnderAnEpochTheClientDidNotBumpToIsTheBrokers() {
        let report = checked(resentHistory(bumpEpoch: 2), digest(resentEpoch: 1))
        #expect(report.duplicate.verdict == .invalid)
    }

    @Test func aBumpOutsideTheSendDoesNotExplainItsDuplicate() {
        let report = checked(resentHistory(bumpInWindow: false), digest(resentEpoch: 1))
        #expect(report.duplicate.verdict == .invalid)
        #expect(report.duplicate.notes.isEmpty)
    }

    @Test func withoutBatchHeadersTheClientsBumpAloneExplainsAndTheNoteSaysSo() {
        let report = checked(resentHistory(), .absent)
        #expect(report.duplicate.verdict == .valid)
        #expect(report.duplicate.notes.last?.contains("no replicas.json") == true)
    }

    @Test func aReSendWhoseAnswerNeverCameIsStillTheClients() {
        var h = HistoryBuilder()
        let bump = OpValue.other(.object(["producer_id": .int(7), "epoch": .int(1)]))
        h.invokeSend("producer-1", "a", opId: 1)
        h.line("producer-1", .invoke, "epoch_bump", bump, opId: -1)
        h.line("producer-1", .ok, "epoch_bump", bump, opId: -1)
        h.completeSend("producer-1", "a", .info, error: "no answer before the workload ended", opId: 1)
        h.finalRead([(2, "a"), (3, "b"), (5, "a")])
        let report = checked(h, digest(resentEpoch: 1))
        #expect(report.duplicate.verdict == .valid)
        #expect(report.duplicate.notes.last?.contains("epochs 0, 1") == true)
    }

    @Test func copiesInTwoPartitionsAreNeverAReSend() {
        var h = resentHistory()
        h.finalRead([(9, "a")], partition: 1)
        let report = checked(h, digest(resentEpoch: 1))
        #expect(report.duplicate.verdict == .invalid)
    }
}
