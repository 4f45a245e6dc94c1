import Testing
@testable import Verification

/// Batches of `size` offsets from `from` to `to` (exclusive) in `epoch`, with CRCs derived from
/// the offsets so two replicas built alike hold identical batches.
private func batches(_ from: Int64, _ to: Int64, epoch: Int32, size: Int64 = 5, crcSalt: UInt32 = 0) -> [BatchDigest] {
    stride(from: from, to: to, by: Int(size)).map { base in
        BatchDigest(baseOffset: base, lastOffset: min(base + size, to) - 1, leaderEpoch: epoch, producerId: 1000, producerEpoch: 0,
                    baseSequence: Int32(base), crc: UInt32(base) &* 2_654_435_761 &+ crcSalt)
    }
}

private func replica(_ broker: Int32, _ batches: [BatchDigest], hw: Int64?, epochs: [EpochStart]? = nil, logStart: Int64? = nil,
                     problems: [String] = [], corrupt: [Int64] = []) -> ReplicaLog {
    let start = logStart ?? batches.first?.baseOffset ?? 0
    let derived = epochs ?? batches.reduce(into: [EpochStart]()) { list, batch in
        if list.last?.epoch != batch.leaderEpoch { list.append(EpochStart(epoch: batch.leaderEpoch, startOffset: max(batch.baseOffset, start))) }
    }
    return ReplicaLog(broker: broker, logStart: start, logEnd: batches.last?.nextOffset ?? start, highWatermark: hw, leaderEpochs: derived,
                      batches: batches, corrupt: corrupt, problems: problems)
}

private func digest(_ replicas: [ReplicaLog], source: ReplicaDigest.Source = .stopped) -> ReplicaDigestInput {
    .digest(ReplicaDigest(source: source, createdNs: 0, topics: ["t"], brokers: [1, 2, 3],
                          partitions: [PartitionReplicas(topic: "t", partition: 0, replicas: replicas)]))
}

/// The last metadata sample: leader 1, replicas 1-3, the given ISR.
private func timeline(isr: [Int32], leader: Int32 = 1) -> Timeline {
    Timeline(records: [TimelineRecord(timeNs: 1, .metadata(MetadataSample(controller: 1, brokers: [1, 2, 3], partitions: [
        PartitionState(topic: "t", partition: 0, leader: leader, leaderEpoch: 2, replicas: [1, 2, 3], isr: isr),
    ])))])
}

private func check(_ input: ReplicaDigestInput, isr: [Int32] = [1, 2, 3]) -> CheckResult<ReplicaDisagreement> {
    ReplicaAgreementChecker.check(input, timeline: timeline(isr: isr), limit: 100)
}

@Suite struct ReplicaAgreementTests {
    let log = batches(0, 20, epoch: 0) + batches(20, 40, epoch: 2)

    @Test func identicalReplicasAreValid() {
        let result = check(digest([replica(1, log, hw: 40), replica(2, log, hw: 40), replica(3, log, hw: 35)]))
        #expect(result.verdict == .valid)
        #expect(result.count == 0)
    }

    @Test func followerKeepingADivergentTailBelowTheHighWatermarkIsInvalid() {
        // Broker 3 led epoch 1 and wrote 20-29 that nobody committed; it became a follower of
        // epoch 2 without truncating (KIP-101 skipped) and fetched on from its own end.
        let divergent = batches(0, 20, epoch: 0) + batches(20, 30, epoch: 1, crcSalt: 7) + batches(30, 40, epoch: 2)
        let result = check(digest([replica(1, log, hw: 40), replica(2, log, hw: 40), replica(3, divergent, hw: 40)]))
        #expect(result.verdict == .invalid)
        let batch = result.anomalies.first { $0.kind == .divergentBatch }
        #expect(batch?.broker == 3)
        #expect(batch?.referenceBroker == 1)
        #expect(batch?.firstOffset == 20)
        #expect(batch?.lastOffset == 29)
        #expect(batch?.count == 2)
        #expect(batch?.held?.contains("epoch 1") == true)
        #expect(batch?.expected?.contains("epoch 2") == true)
        // Its epoch checkpoint is consistent with its own log but starts epoch 2 elsewhere.
        #expect(result.anomalies.contains { $0.kind == .epochStart && $0.broker == 3 })
    }

    @Test func sameOffsetsSameCrcButAnotherEpochIsDivergent() {
        // The leader epoch lies outside the CRC: a rewritten epoch alone must still be seen.
        var other = log
        other[5].leaderEpoch = 1
        let result = check(digest([replica(1, log, hw: 40), replica(2, other, hw: 40, epochs: [EpochStart(epoch: 0, startOffset: 0), EpochStart(epoch: 2, startOffset: 20)])]))
        #expect(result.verdict == .invalid)
        #expect(result.anomalies.contains { $0.kind == .divergentBatch && $0.firstOffset == 25 && $0.broker == 2 })
        #expect(result.anomalies.contains { $0.kind == .epochCheckpoint && $0.broker == 2 })
    }

    @Test func aLoneDivergingLeaderIsTheOneBlamed() {
        var rewritten = log
        rewritten[3].crc ^= 1
        let result = check(digest([replica(1, rewritten, hw: 40), replica(2, log, hw: 40), replica(3, log, hw: 40)]))
        #expect(result.verdict == .invalid)
        let divergent = result.anomalies.filter { $0.kind == .divergentBatch }
        #expect(divergent.map(\.broker) == [1])
        #expect(divergent.first?.referenceBroker == 2)
        #expect(divergent.first?.firstOffset == 15)
    }

    @Test func missingBatchInAnIsrReplicaIsInvalid() {
        let short = Array(log.prefix(6))  // ends at 30
        let result = check(digest([replica(1, log, hw: 40), replica(2, log, hw: 40), replica(3, short, hw: 30)]))
        #expect(result.verdict == .invalid)
        let missing = result.anomalies.first { $0.kind == .missingBatches }
        #expect(missing?.broker == 3)
        #expect(missing?.firstOffset == 30)
        #expect(missing?.lastOffset == 39)
    }

    @Test func holeInsideAnIsrReplicaIsMissing() {
        var holed = log
        holed.remove(at: 2)  // 10-14
        let result = check(digest([replica(1, log, hw: 40), replica(2, holed, hw: 40)]), isr: [1, 2])
        #expect(result.verdict == .invalid)
        #expect(result.anomalies.contains { $0.kind == .missingBatches && $0.firstOffset == 10 && $0.lastOffset == 14 })
    }

    @Test func shorterReplicaOutsideTheIsrIsValid() {
        let short = Array(log.prefix(3))
        let result = check(digest([replica(1, log, hw: 40), replica(2, log, hw: 40), replica(3, short, hw: 15)]), isr: [1, 2])
        #expect(result.verdict == .valid)
    }

    @Test func replicaOutsideTheIsrMayKeepAnUncommittedTailAboveItsOwnHighWatermark() {
        // Broker 3 was cut off while leading epoch 1: its 20-29 were never committed, it has not
        // fetched since, and its own high watermark (20) says so.
        let stale = batches(0, 20, epoch: 0) + batches(20, 30, epoch: 1, crcSalt: 7)
        let result = check(digest([replica(1, log, hw: 40), replica(2, log, hw: 40), replica(3, stale, hw: 20)]), isr: [1, 2])
        #expect(result.verdict == .valid)
    }

    @Test func disagreeingEpochCheckpointIsInvalid() {
        let wrong = [EpochStart(epoch: 0, startOffset: 0), EpochStart(epoch: 2, startOffset: 25)]
        let result = check(digest([replica(1, log, hw: 40), replica(2, log, hw: 40, epochs: wrong), replica(3, log, hw: 40)]))
        #expect(result.verdict == .invalid)
        let own = result.anomalies.first { $0.kind == .epochCheckpoint }
        #expect(own?.broker == 2)
        #expect(own?.held == "epoch 0 from 0, epoch 2 from 25")
        #expect(own?.expected == "epoch 0 from 0, epoch 2 from 20")
        #expect(result.anomalies.contains { $0.kind == .epochStart && $0.broker == 2 && $0.firstOffset == 20 && $0.lastOffset == 25 })
    }

    @Test func onlyTheOverlapAboveEachLogStartIsCompared() {
        // Broker 2's retention deleted 0-19; broker 3 lost the old epoch's data differently but
        // only below its own log start.
        let trimmed = Array(log.suffix(4))
        let result = check(digest([replica(1, log, hw: 40), replica(2, trimmed, hw: 40, logStart: 20)]), isr: [1, 2])
        #expect(result.verdict == .valid)
    }

    @Test func corruptCommittedBatchIsInvalid() {
        let result = check(digest([replica(1, log, hw: 40), replica(2, log, hw: 40, corrupt: [15])]), isr: [1, 2])
        #expect(result.verdict == .invalid)
        #expect(result.anomalies.contains { $0.kind == .corruptBatch && $0.broker == 2 && $0.firstOffset == 15 })
    }

    @Test func missingDigestIsUnknown() {
        let result = check(.absent)
        #expect(result.verdict == .unknown)
        #expect(result.notes.contains { $0.contains("the run has no replica digest") })
        #expect(check(.unreadable("replicas.json is not a replica digest")).verdict == .unknown)
    }

    @Test func replicaWhoseReadingStoppedAtDamageIsUnknownNotMissing() {
        let short = Array(log.prefix(6))
        let result = check(digest([replica(1, log, hw: 40), replica(2, short, hw: 30, problems: ["torn tail: 40 byte(s)"])]), isr: [1, 2])
        #expect(result.verdict == .unknown)
        #expect(result.notes.contains { $0.contains("torn tail") })
    }

    @Test func liveShortfallIsUnknownNotMissing() {
        let short = Array(log.prefix(6))
        let result = check(digest([replica(1, log, hw: 40), replica(2, short, hw: 30)], source: .live), isr: [1, 2])
        #expect(result.verdict == .unknown)
    }

    @Test func divergenceStillFailsALiveDigest() {
        let divergent = batches(0, 20, epoch: 0) + batches(20, 30, epoch: 1, crcSalt: 7) + batches(30, 40, epoch: 2)
        let result = check(digest([replica(1, log, hw: 40), replica(2, divergent, hw: 40)], source: .live), isr: [1, 2])
        #expect(result.verdict == .invalid)
    }

    @Test func isrReplicaWithoutADirectoryOnAReadBrokerLacksEverything() {
        let result = check(digest([replica(1, log, hw: 40), replica(2, log, hw: 40)]))
        #expect(result.verdict == .invalid)
        #expect(result.anomalies.contains { $0.kind == .missingBatches && $0.broker == 3 && $0.firstOffset == 0 && $0.lastOffset == 39 })
    }

    @Test func withoutAnIsrSampleCompletenessIsUnknown() {
        let result = ReplicaAgreementChecker.check(digest([replica(1, log, hw: 40), replica(2, log, hw: 40)]),
                                                   timeline: Timeline(records: []), limit: 100)
        #expect(result.verdict == .unknown)
    }

    @Test func checkReportCarriesTheVerdict() {
        let h = HistoryBuilder()
        let divergent = batches(0, 20, epoch: 0) + batches(20, 30, epoch: 1, crcSalt: 7) + batches(30, 40, epoch: 2)
        let report = CheckReport(history: h.history, timeline: timeline(isr: [1, 2]),
                                 replicas: digest([replica(1, log, hw: 40), replica(2, divergent, hw: 40)]))
        #expect(report.replicaAgreement.verdict == .invalid)
        #expect(report.verdicts.contains { $0.checker == "replica-agreement" && $0.verdict == .invalid })
        #expect(report.valid == .invalid)
    }
}
