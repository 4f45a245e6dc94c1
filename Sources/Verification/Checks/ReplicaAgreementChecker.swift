import KafkaProtocol

/// Two replicas of a partition that disagree about committed data, or a replica that lacks it.
public struct ReplicaDisagreement: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// Below the committed bound, the replica holds a different batch than the reference at
        /// the same offsets (what a follower that skipped its divergence truncation keeps).
        case divergentBatch = "divergent_batch"
        /// A replica in the ISR at the end lacks committed batches.
        case missingBatches = "missing_batches"
        /// A committed batch whose CRC-32C does not match its bytes.
        case corruptBatch = "corrupt_batch"
        /// The replica's leader-epoch checkpoint does not match its own batches.
        case epochCheckpoint = "epoch_checkpoint"
        /// Two replicas' checkpoints start the same epoch at different offsets.
        case epochStart = "epoch_start"
    }

    public var kind: Kind
    public var topic: String
    public var partition: Int32
    /// The offsets concerned, inclusive.
    public var firstOffset: Int64
    public var lastOffset: Int64
    /// The replica at fault, and the one it was compared with.
    public var broker: Int32
    public var referenceBroker: Int32?
    /// What the replica holds there, and what the reference holds, in words.
    public var held: String?
    public var expected: String?
    /// Batches (or epochs) concerned in this range.
    public var count: Int
    public var detail: String

    enum CodingKeys: String, CodingKey {
        case kind, topic, partition, broker, held, expected, count, detail
        case firstOffset = "first_offset"
        case lastOffset = "last_offset"
        case referenceBroker = "reference_broker"
    }
}

/// Replica agreement, from the brokers' data directories (`replicas.json`): below the committed
/// bound H (the largest checkpointed high watermark of the partition's replicas), every replica
/// that holds an offset holds the identical batch there; every replica in the ISR at the end
/// holds every batch from the common log start to H; each leader-epoch checkpoint matches its own
/// batches below H and the replicas agree on where each of those epochs starts.
///
/// Only the overlap above each replica's log start is compared (retention may differ). A replica
/// outside the final ISR is compared only up to its own high watermark: above that it may still
/// hold an uncommitted tail it has not yet truncated. A replica whose reading stopped at damage
/// makes what it lacks unknown, not missing; so does a live reading, where the ISR sample and the
/// files are not one instant.
enum ReplicaAgreementChecker {
    static let name = "replica-agreement"

    /// The last metadata sample's view of each partition: ISR and leader at the end.
    static func finalState(_ timeline: Timeline) -> [TopicPartition: PartitionState] {
        var states: [TopicPartition: PartitionState] = [:]
        for record in timeline.records {
            guard case .metadata(let sample) = record.body else { continue }
            for partition in sample.partitions { states[partition.topicPartition] = partition }
        }
        return states
    }

    static func check(_ input: ReplicaDigestInput, timeline: Timeline, limit: Int) -> CheckResult<ReplicaDisagreement> {
        let digest: ReplicaDigest
        switch input {
        case .absent:
            return CheckResult(checker: name, verdict: .unknown, count: 0, anomalies: [], notes: ["the run has no replica digest (replicas.json)"])
        case .unreadable(let why):
            return CheckResult(checker: name, verdict: .unknown, count: 0, anomalies: [], notes: [why])
        case .digest(let read):
            digest = read
        }
        let states = finalState(timeline)
        var anomalies: [ReplicaDisagreement] = []
        var unknown: [String] = []
        var batchesCompared = 0
        for problem in digest.problems { unknown.append(problem) }
        for partition in digest.partitions.sorted(by: { $0.topicPartition < $1.topicPartition }) {
            var outcome = PartitionComparison(partition, digest: digest, state: states[partition.topicPartition])
            outcome.run()
            anomalies += outcome.anomalies
            unknown += outcome.unknown
            batchesCompared += outcome.batchesCompared
        }
        let covered = Set(digest.partitions.map(\.topicPartition))
        let topics = Set(digest.topics)
        for tp in states.keys.sorted() where topics.contains(tp.topic) && !covered.contains(tp) {
            unknown.append("\(tp): no broker's data directory holds it")
        }
        var notes = ["\(digest.source == .live ? "live" : "stopped-cluster") digest: \(digest.partitions.count) partition(s), \(batchesCompared) batch comparison(s) below the committed bounds"]
        notes += unknown.prefix(20)
        if unknown.count > 20 { notes.append("\(unknown.count - 20) more partition(s) or replica(s) could not be judged") }
        if digest.partitions.isEmpty { unknown.append("the digest holds no partition") }
        var result = CheckResult.judge(name, anomalies: anomalies, limit: limit, problems: timeline.problems, notes: notes)
        if result.verdict == .valid && !unknown.isEmpty { result.verdict = .unknown }
        return result
    }
}

/// The comparison of one partition's replicas.
struct PartitionComparison {
    let partition: PartitionReplicas
    let digest: ReplicaDigest
    let state: PartitionState?
    var anomalies: [ReplicaDisagreement] = []
    var unknown: [String] = []
    var batchesCompared = 0

    init(_ partition: PartitionReplicas, digest: ReplicaDigest, state: PartitionState?) {
        self.partition = partition
        self.digest = digest
        self.state = state
    }

    var tp: TopicPartition { partition.topicPartition }

    /// Where a replica's retained log starts.
    static func start(_ replica: ReplicaLog) -> Int64 {
        replica.logStart ?? replica.batches.first?.baseOffset ?? replica.logEnd
    }

    mutating func run() {
        var replicas = partition.replicas
        // A replica the metadata names, on a broker whose directory was read, with no directory
        // for this partition holds nothing.
        for broker in state?.replicas ?? [] where digest.brokers.contains(broker) && !replicas.contains(where: { $0.broker == broker }) {
            replicas.append(ReplicaLog(broker: broker, logStart: nil, logEnd: 0, highWatermark: nil, leaderEpochs: [], batches: []))
        }
        for broker in state?.replicas ?? [] where !digest.brokers.contains(broker) {
            unknown.append("\(tp): broker \(broker)'s data directory was not read")
        }
        guard !replicas.isEmpty else { return }
        let bound = replicas.compactMap(\.highWatermark).max() ?? 0
        if bound == 0 && replicas.contains(where: { !$0.batches.isEmpty }) && replicas.allSatisfy({ $0.highWatermark == nil }) {
            unknown.append("\(tp): no replica checkpointed a high watermark, so nothing is known to be committed")
        }
        let isr = state.map { Set($0.isr) }
        guard let reference = Self.reference(replicas, bound: bound, leader: state?.leader, isr: isr) else { return }
        if isr == nil { unknown.append("\(tp): no metadata sample names its ISR at the end; completeness not checked") }
        for replica in replicas {
            checkCorrupt(replica, bound: bound, inIsr: isr?.contains(replica.broker) ?? false)
            checkOwnEpochs(replica, bound: bound)
            guard replica.broker != reference.broker else { continue }
            let inIsr = isr?.contains(replica.broker) ?? false
            let replicaBound = inIsr ? bound : min(bound, replica.highWatermark ?? 0)
            compare(replica, with: reference, below: replicaBound)
            compareEpochStarts(replica, with: reference, below: bound)
            if inIsr { checkComplete(replica, replicas: replicas, bound: bound) }
        }
        if let isr, isr.contains(reference.broker) { checkComplete(reference, replicas: replicas, bound: bound) }
    }

    /// The copy the others are compared with: the one that agrees with the most other replicas
    /// below the bound (so that with three replicas a single diverging one, even the leader, is
    /// the one blamed); among equals the last leader if it reached the bound, then the highest
    /// high watermark, the longest log, the lowest id.
    static func reference(_ replicas: [ReplicaLog], bound: Int64, leader: Int32?, isr: Set<Int32>?) -> ReplicaLog? {
        let ranked = replicas.sorted { a, b in
            let aLeads = a.broker == leader && (a.highWatermark ?? 0) == bound && a.problems.isEmpty
            let bLeads = b.broker == leader && (b.highWatermark ?? 0) == bound && b.problems.isEmpty
            if aLeads != bLeads { return aLeads }
            return ((a.highWatermark ?? -1), a.logEnd, -a.broker) > ((b.highWatermark ?? -1), b.logEnd, -b.broker)
        }
        // Only a copy that holds everything up to the bound can stand for the committed log.
        let candidates = ranked.filter { $0.logEnd >= bound }
        guard ranked.count > 2, candidates.count > 1 else { return candidates.first ?? ranked.first }
        func limit(_ replica: ReplicaLog) -> Int64 {
            isr?.contains(replica.broker) == true ? bound : min(bound, replica.highWatermark ?? 0)
        }
        var best: (replica: ReplicaLog, agreeing: Int)?
        for candidate in candidates {
            let agreeing = ranked.filter { other in
                guard other.broker != candidate.broker else { return false }
                let outcome = divergentRuns(other, candidate, below: min(limit(other), limit(candidate)))
                return outcome.compared > 0 && outcome.runs.isEmpty
            }.count
            if agreeing > best?.agreeing ?? -1 { best = (candidate, agreeing) }
        }
        return best?.replica
    }

    /// Batches of `replica` that overlap [from, below), in order.
    static func batches(_ replica: ReplicaLog, from: Int64, below: Int64) -> ArraySlice<BatchDigest> {
        let all = replica.batches
        var low = 0, high = all.count
        while low < high {
            let mid = (low + high) / 2
            if all[mid].lastOffset < from { low = mid + 1 } else { high = mid }
        }
        var end = low
        while end < all.count && all[end].baseOffset < below { end += 1 }
        return all[low..<end]
    }

    mutating func record(_ kind: ReplicaDisagreement.Kind, _ replica: ReplicaLog, first: Int64, last: Int64, reference: ReplicaLog?,
                         held: String?, expected: String?, count: Int, detail: String) {
        anomalies.append(ReplicaDisagreement(kind: kind, topic: tp.topic, partition: tp.partition, firstOffset: first, lastOffset: last,
                                             broker: replica.broker, referenceBroker: reference?.broker, held: held, expected: expected,
                                             count: count, detail: detail))
    }

    /// A stretch of offsets where two replicas hold different batches: the first pair that differs
    /// and how many pairs differ.
    struct DivergentRun {
        var first: Int64
        var last: Int64
        var held: BatchDigest
        var expected: BatchDigest
        var count: Int
    }

    /// Walks both replicas' batches over [their common log start, bound) in step; batch
    /// boundaries may differ, so each step passes whichever batch ends first.
    static func divergentRuns(_ replica: ReplicaLog, _ reference: ReplicaLog, below bound: Int64) -> (runs: [DivergentRun], compared: Int) {
        let from = max(start(replica), start(reference))
        let mine = batches(replica, from: from, below: bound)
        let theirs = batches(reference, from: from, below: bound)
        var i = mine.startIndex, j = theirs.startIndex
        var runs: [DivergentRun] = []
        var open: DivergentRun?
        var compared = 0
        while i < mine.endIndex && j < theirs.endIndex {
            let a = mine[i], b = theirs[j]
            compared += 1
            if a == b {
                if let run = open { runs.append(run) }
                open = nil
                i += 1
                j += 1
                continue
            }
            let first = max(a.baseOffset, b.baseOffset), last = max(first, min(min(a.lastOffset, b.lastOffset), bound - 1))
            if open == nil {
                open = DivergentRun(first: first, last: last, held: a, expected: b, count: 1)
            } else {
                open!.last = max(open!.last, last)
                open!.count += 1
            }
            if a.lastOffset <= b.lastOffset { i += 1 }
            if b.lastOffset <= a.lastOffset { j += 1 }
        }
        if let run = open { runs.append(run) }
        return (runs, compared)
    }

    /// Identical batches below `bound` wherever both hold them; one anomaly per run of divergent batches.
    mutating func compare(_ replica: ReplicaLog, with reference: ReplicaLog, below bound: Int64) {
        let outcome = Self.divergentRuns(replica, reference, below: bound)
        batchesCompared += outcome.compared
        for run in outcome.runs {
            record(.divergentBatch, replica, first: run.first, last: run.last, reference: reference,
                   held: run.held.description, expected: run.expected.description, count: run.count,
                   detail: "broker \(replica.broker) holds other batches than broker \(reference.broker) at offsets \(run.first)-\(run.last), below the committed offset \(bound)")
        }
    }

    /// A replica in the final ISR holds every batch from the common log start up to the bound.
    mutating func checkComplete(_ replica: ReplicaLog, replicas: [ReplicaLog], bound: Int64) {
        let commonStart = replicas.map(Self.start).max() ?? 0
        guard commonStart < bound else { return }
        var gaps: [(Int64, Int64)] = []
        var expected = commonStart
        for batch in Self.batches(replica, from: commonStart, below: bound) {
            if batch.baseOffset > expected { gaps.append((expected, batch.baseOffset - 1)) }
            expected = max(expected, batch.nextOffset)
        }
        if expected < bound { gaps.append((expected, bound - 1)) }
        for (first, last) in gaps {
            let why = "broker \(replica.broker) was in the ISR at the end but lacks offsets \(first)-\(last), below the committed offset \(bound)"
            if !replica.problems.isEmpty {
                unknown.append("\(tp): \(why); its reading stopped early (\(replica.problems[0]))")
            } else if digest.source == .live {
                unknown.append("\(tp): \(why) in a live reading (it may have left the ISR after the sample)")
            } else {
                record(.missingBatches, replica, first: first, last: last, reference: nil, held: nil, expected: nil,
                       count: Int(last - first + 1), detail: why)
            }
        }
    }

    /// A committed batch (below the replica's own bound) that fails its CRC.
    mutating func checkCorrupt(_ replica: ReplicaLog, bound: Int64, inIsr: Bool) {
        let own = inIsr ? bound : min(bound, replica.highWatermark ?? 0)
        let corrupt = Set(replica.corrupt)
        guard !corrupt.isEmpty else { return }
        for batch in replica.batches where corrupt.contains(batch.baseOffset) && batch.baseOffset < own && batch.lastOffset >= Self.start(replica) {
            record(.corruptBatch, replica, first: batch.baseOffset, last: batch.lastOffset, reference: nil, held: batch.description,
                   expected: nil, count: 1, detail: "broker \(replica.broker) holds a batch below the committed offset \(own) whose CRC-32C does not match its bytes")
        }
    }

    /// The epochs a replica's batches below `bound` start, as its checkpoint should list them:
    /// each epoch's first batch (at or after the log start), or the log start itself.
    static func epochStarts(_ replica: ReplicaLog, below bound: Int64) -> (starts: [EpochStart], regression: BatchDigest?) {
        let start = Self.start(replica)
        var starts: [EpochStart] = []
        for batch in Self.batches(replica, from: start, below: bound) where batch.leaderEpoch >= 0 {
            if let last = starts.last, batch.leaderEpoch < last.epoch { return (starts, batch) }
            if starts.last?.epoch != batch.leaderEpoch {
                starts.append(EpochStart(epoch: batch.leaderEpoch, startOffset: max(batch.baseOffset, start)))
            }
        }
        return (starts, nil)
    }

    /// Each replica's leader-epoch checkpoint, below the bound, lists exactly where its own
    /// batches change epoch.
    mutating func checkOwnEpochs(_ replica: ReplicaLog, bound: Int64) {
        let own = min(bound, replica.logEnd)
        let derived = Self.epochStarts(replica, below: own)
        if let back = derived.regression {
            record(.epochCheckpoint, replica, first: back.baseOffset, last: back.lastOffset, reference: nil, held: back.description,
                   expected: nil, count: 1, detail: "broker \(replica.broker)'s log goes back to epoch \(back.leaderEpoch) at offset \(back.baseOffset), after epoch \(derived.starts.last?.epoch ?? -1)")
            return
        }
        guard let checkpoint = replica.leaderEpochs else {
            if !derived.starts.isEmpty { unknown.append("\(tp): broker \(replica.broker) has no readable leader-epoch checkpoint") }
            return
        }
        let listed = checkpoint.filter { $0.startOffset < own }
        guard listed != derived.starts else { return }
        let firstDifference = zip(listed, derived.starts).first { $0 != $1 }
        let offset = firstDifference.map { min($0.0.startOffset, $0.1.startOffset) }
            ?? (listed.count > derived.starts.count ? listed[derived.starts.count].startOffset : derived.starts[listed.count].startOffset)
        record(.epochCheckpoint, replica, first: offset, last: offset, reference: nil,
               held: listed.map(\.description).joined(separator: ", "), expected: derived.starts.map(\.description).joined(separator: ", "),
               count: abs(listed.count - derived.starts.count) + (firstDifference == nil ? 0 : 1),
               detail: "broker \(replica.broker)'s leader-epoch checkpoint does not match the epochs of its own batches below offset \(own)")
    }

    /// The two checkpoints start each epoch that has batches below the bound at the same offset,
    /// within the offsets both replicas retain.
    mutating func compareEpochStarts(_ replica: ReplicaLog, with reference: ReplicaLog, below bound: Int64) {
        guard let mine = replica.leaderEpochs, let theirs = reference.leaderEpochs else { return }
        let from = max(Self.start(replica), Self.start(reference))
        let epochsWithBatches = Set(Self.batches(reference, from: from, below: bound).map(\.leaderEpoch))
        let myStarts = Dictionary(mine.map { ($0.epoch, $0.startOffset) }, uniquingKeysWith: { a, _ in a })
        for entry in theirs where epochsWithBatches.contains(entry.epoch) && entry.startOffset >= from && entry.startOffset < bound {
            guard let start = myStarts[entry.epoch], start >= from, start != entry.startOffset else { continue }
            record(.epochStart, replica, first: min(start, entry.startOffset), last: max(start, entry.startOffset), reference: reference,
                   held: "epoch \(entry.epoch) from \(start)", expected: "epoch \(entry.epoch) from \(entry.startOffset)", count: 1,
                   detail: "brokers \(replica.broker) and \(reference.broker) start epoch \(entry.epoch) at different offsets")
        }
    }
}
