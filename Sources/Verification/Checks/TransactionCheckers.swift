import KafkaProtocol

/// A read_committed consumer returned a record of an aborted transaction.
public struct TransactionAbortedRead: Sendable, Hashable, Codable {
    public var value: String
    public var txn: String
    /// The transactional producer, and the history index of its `ok` abort.
    public var producer: String
    public var abortIndex: Int?
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var readBy: Sighting
    public var isolation: IsolationLevel

    enum CodingKeys: String, CodingKey {
        case value, txn, producer, topic, partition, offset, isolation
        case abortIndex = "abort_index"
        case readBy = "read_by"
    }
}

/// A record of a committed transaction that a read_committed reader read past without returning.
public struct TransactionLostWrite: Sendable, Hashable, Codable {
    public var value: String
    public var txn: String
    public var producer: String
    public var commitIndex: Int?
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// The reader that passed it: the process, and the records it returned on either side of it
    /// (for the final reader reading to a recorded end, `after` may be absent: `final_end` says how
    /// far it read).
    public var reader: String
    public var before: ReadPlace?
    public var after: ReadPlace?
    public var finalEnd: Int64?

    enum CodingKeys: String, CodingKey {
        case value, txn, producer, topic, partition, offset, reader, before, after
        case commitIndex = "commit_index"
        case finalEnd = "final_end"
    }
}

/// An offset a reader returned, and the history line that returned it.
public struct ReadPlace: Sendable, Hashable, Codable {
    public var offset: Int64
    public var index: Int
}

/// A read_committed reader returned some records of a committed transaction and, reading past the
/// others, not them: the transaction was not atomic for it.
public struct TornTransaction: Sendable, Hashable, Codable {
    public var txn: String
    public var producer: String
    public var commitIndex: Int?
    public var reader: String
    /// The transaction's records the reader returned, and those it read past without returning.
    public var seen: [TransactionWrite]
    public var missing: [TransactionWrite]

    enum CodingKeys: String, CodingKey {
        case txn, producer, reader, seen, missing
        case commitIndex = "commit_index"
    }
}

/// An input record consumed by more than one committed consume-transform-produce transaction:
/// its output was committed twice, which exactly-once processing rules out.
public struct ExactlyOnceDuplicate: Sendable, Hashable, Codable {
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    /// The committed transactions that consumed it, with their processes and commit indexes.
    public var transactions: [CommittedConsumer]
}

public struct CommittedConsumer: Sendable, Hashable, Codable {
    public var txn: String
    public var process: String
    public var commitIndex: Int?

    enum CodingKeys: String, CodingKey {
        case txn, process
        case commitIndex = "commit_index"
    }
}

/// The transaction checkers: aborted reads, lost committed writes, torn transactions,
/// exactly-once duplicates and dependency cycles (`TransactionCycleChecker`), judged on the transactions' outcomes as their producers reported
/// them (`TransactionLog`). A transaction whose outcome is unknown is never called lost or
/// aborted; its records are counted in the notes instead. Only read_committed reads are held to
/// the isolation rules (the final reader is read_committed); read_uncommitted consumers may see
/// anything and are not counted.
///
/// A reader "read past" a record when, in one stretch of its reading (between two changes of its
/// assignment or position, as the workload records them), it returned an offset below the record's
/// and one above it in the same partition; the final reader also reads past every record between a
/// partition's recorded start and end when its read is complete.
enum TransactionCheckers {
    struct Outcome {
        var abortedRead: CheckResult<TransactionAbortedRead>
        var lostWrite: CheckResult<TransactionLostWrite>
        var torn: CheckResult<TornTransaction>
        var exactlyOnce: CheckResult<ExactlyOnceDuplicate>
        var g0: CheckResult<TransactionCycle>
        var g1c: CheckResult<TransactionCycle>
    }

    /// Not applicable: the history has no transaction (never a pass by default).
    static func notApplicable<Anomaly>(_ checker: String, _ why: String) -> CheckResult<Anomaly> {
        CheckResult(checker: checker, verdict: .notApplicable, count: 0, anomalies: [], notes: [why])
    }

    static func check(_ index: HistoryIndex, limit: Int) -> Outcome {
        let history = index.history
        let log = TransactionLog(history)
        guard !log.isEmpty else {
            let why = "the history has no transactions"
            return Outcome(abortedRead: notApplicable("txn-aborted-read", why), lostWrite: notApplicable("txn-lost-write", why),
                           torn: notApplicable("torn-transaction", why), exactlyOnce: notApplicable("eos-duplicate", why),
                           g0: notApplicable("txn-g0", why), g1c: notApplicable("txn-g1c", why))
        }
        var problems = history.problems
        problems.append(contentsOf: log.problems)
        let reads = CommittedReads(history: history)
        let cycles = TransactionCycleChecker.check(log, history: history, limit: limit, problems: problems)
        var outcome = Outcome(
            abortedRead: abortedReads(log, reads: reads, limit: limit, problems: problems),
            lostWrite: lostWrites(log, reads: reads, limit: limit, problems: problems),
            torn: torn(log, reads: reads, limit: limit, problems: problems),
            exactlyOnce: exactlyOnce(log, limit: limit, problems: problems),
            g0: cycles.g0, g1c: cycles.g1c)
        if reads.stretches.isEmpty {
            // Without a read_committed read nothing could be seen, so nothing was shown.
            for note in ["no read_committed reader returned a record: nothing to judge"] {
                outcome.abortedRead.notes.append(note)
                outcome.lostWrite.notes.append(note)
                outcome.torn.notes.append(note)
            }
            if outcome.abortedRead.verdict == .valid { outcome.abortedRead.verdict = .unknown }
            if outcome.lostWrite.verdict == .valid { outcome.lostWrite.verdict = .unknown }
            if outcome.torn.verdict == .valid { outcome.torn.verdict = .unknown }
        }
        let counts = Dictionary(grouping: log.transactions, by: \.outcome).mapValues(\.count)
        let summary = "\(log.transactions.count) transaction(s): \(counts[.committed] ?? 0) committed, \(counts[.aborted] ?? 0) aborted, \(counts[.unknown] ?? 0) unknown"
        outcome.abortedRead.notes.insert(summary, at: 0)
        outcome.lostWrite.notes.insert(summary, at: 0)
        outcome.torn.notes.insert(summary, at: 0)
        outcome.g0.notes.insert(summary, at: 0)
        outcome.g1c.notes.insert(summary, at: 0)
        if log.transactions.allSatisfy({ $0.inputs.isEmpty }) {
            outcome.exactlyOnce = notApplicable("eos-duplicate", "no transaction consumed input (no consume-transform-produce)")
        }
        return outcome
    }

    static func abortedReads(_ log: TransactionLog, reads: CommittedReads, limit: Int, problems: InputProblems)
        -> CheckResult<TransactionAbortedRead>
    {
        var anomalies: [TransactionAbortedRead] = []
        var uncommittedSeen = 0
        var unknownSeen = 0
        for read in reads.all {
            guard let position = log.byValue[read.record.value] else { continue }
            let transaction = log.transactions[position]
            if read.isolation != .readCommitted {
                if transaction.outcome == .aborted { uncommittedSeen += 1 }
                continue
            }
            if transaction.outcome == .unknown { unknownSeen += 1 }
            guard transaction.outcome == .aborted else { continue }
            anomalies.append(TransactionAbortedRead(
                value: read.record.value, txn: transaction.id, producer: transaction.process, abortIndex: transaction.endIndex,
                topic: read.record.topic, partition: read.record.partition, offset: read.record.offset,
                readBy: read.sighting, isolation: .readCommitted))
        }
        var notes: [String] = []
        if uncommittedSeen > 0 { notes.append("\(uncommittedSeen) read(s) of aborted records by read_uncommitted consumers, as that level allows (not counted)") }
        if unknownSeen > 0 { notes.append("\(unknownSeen) read_committed read(s) of records whose transaction's outcome is unknown (not judged)") }
        if reads.withoutIsolation > 0 { notes.append("\(reads.withoutIsolation) poll(s) recorded no isolation level (not counted)") }
        return .judge("txn-aborted-read", anomalies: anomalies, limit: limit, problems: problems, notes: notes)
    }

    static func lostWrites(_ log: TransactionLog, reads: CommittedReads, limit: Int, problems: InputProblems)
        -> CheckResult<TransactionLostWrite>
    {
        var anomalies: [TransactionLostWrite] = []
        var unknownUnread = 0
        for transaction in log.transactions where transaction.outcome != .aborted {
            for write in transaction.writes {
                guard let partition = write.partition, let offset = write.offset else { continue }
                guard let passed = reads.passedWithout(TopicPartition(write.topic, partition), offset: offset, value: write.value) else { continue }
                if transaction.outcome == .unknown {
                    unknownUnread += 1
                    continue
                }
                anomalies.append(TransactionLostWrite(
                    value: write.value, txn: transaction.id, producer: transaction.process, commitIndex: transaction.endIndex,
                    topic: write.topic, partition: partition, offset: offset, reader: passed.reader, before: passed.before,
                    after: passed.after, finalEnd: passed.finalEnd))
            }
        }
        var notes: [String] = []
        if unknownUnread > 0 {
            notes.append("\(unknownUnread) record(s) of transactions with an unknown outcome were read past without being returned: unknown, not lost")
        }
        return .judge("txn-lost-write", anomalies: anomalies, limit: limit, problems: problems, notes: notes)
    }

    static func torn(_ log: TransactionLog, reads: CommittedReads, limit: Int, problems: InputProblems) -> CheckResult<TornTransaction> {
        var anomalies: [TornTransaction] = []
        for transaction in log.transactions where transaction.outcome == .committed {
            for reader in reads.readers {
                var seen: [TransactionWrite] = []
                var missing: [TransactionWrite] = []
                for write in transaction.writes {
                    guard let partition = write.partition, let offset = write.offset else { continue }
                    let place = TopicPartition(write.topic, partition)
                    if reads.returned(write.value, by: reader) {
                        seen.append(write)
                    } else if reads.passedWithout(place, offset: offset, value: write.value, onlyBy: reader) != nil {
                        missing.append(write)
                    }
                }
                if !seen.isEmpty && !missing.isEmpty {
                    anomalies.append(TornTransaction(
                        txn: transaction.id, producer: transaction.process, commitIndex: transaction.endIndex, reader: reader,
                        seen: seen, missing: missing))
                }
            }
        }
        return .judge("torn-transaction", anomalies: anomalies, limit: limit, problems: problems)
    }

    static func exactlyOnce(_ log: TransactionLog, limit: Int, problems: InputProblems) -> CheckResult<ExactlyOnceDuplicate> {
        var committed: [TransactionInput: [CommittedConsumer]] = [:]
        var unknownAlso = 0
        var order: [TransactionInput] = []
        for transaction in log.transactions where transaction.outcome == .committed {
            for input in transaction.inputs {
                if committed[input] == nil { order.append(input) }
                committed[input, default: []].append(CommittedConsumer(txn: transaction.id, process: transaction.process,
                                                                       commitIndex: transaction.endIndex))
            }
        }
        for transaction in log.transactions where transaction.outcome == .unknown {
            unknownAlso += transaction.inputs.filter { committed[$0] != nil }.count
        }
        let anomalies = order.compactMap { input -> ExactlyOnceDuplicate? in
            guard let consumers = committed[input], consumers.count > 1 else { return nil }
            return ExactlyOnceDuplicate(topic: input.topic, partition: input.partition, offset: input.offset, transactions: consumers)
        }
        var notes: [String] = []
        if unknownAlso > 0 {
            notes.append("\(unknownAlso) input(s) of committed transactions were also consumed by transactions with an unknown outcome (not judged)")
        }
        return .judge("eos-duplicate", anomalies: anomalies, limit: limit, problems: problems, notes: notes)
    }
}

/// The reads the transaction checkers judge: every record returned by an `ok` poll or final read,
/// with its reader's isolation level, and the read_committed readers' stretches of reading.
struct CommittedReads {
    struct Read {
        var record: ReadRecord
        var isolation: IsolationLevel?
        var sighting: Sighting
    }

    /// One reader's reading of one partition between two changes of its assignment or position:
    /// the offsets it returned, sorted, with the line of each.
    struct Stretch {
        var reader: String
        var partition: TopicPartition
        var offsets: [(offset: Int64, index: Int)] = []
        var finalRead = false
    }

    var all: [Read] = []
    var stretches: [Stretch] = []
    /// Stretch positions per partition.
    var byPartition: [TopicPartition: [Int]] = [:]
    /// Values each read_committed reader returned.
    var returnedBy: [String: Set<String>] = [:]
    var readers: [String] = []
    var withoutIsolation = 0
    /// The final reader's recorded bounds, where its read is complete.
    var finalBounds: [TopicPartition: (start: Int64, end: Int64, reader: String)] = [:]

    init(history: History) {
        // Per process: its open stretch per partition.
        var open: [String: [TopicPartition: Int]] = [:]
        for position in history.ops.indices where history.ops[position].type != .invoke {
            let op = history.ops[position]
            if op.f.isAssignment {
                if op.type != .fail { open[op.process] = [:] }
                continue
            }
            guard op.f.isRead else { continue }
            if op.type == .info { open[op.process] = [:] }
            guard op.type == .ok, case .poll(let poll) = op.value else { continue }
            // The final reader is read_committed; a poll without a level is not counted.
            let isolation = poll.isolation ?? (op.f == .finalRead ? .readCommitted : nil)
            if isolation == nil && !poll.records.isEmpty { withoutIsolation += 1 }
            let sighting = Sighting(source: op.f == .finalRead ? .finalRead : .poll, process: op.process, index: op.index, timeNs: op.timeNs)
            for record in poll.records {
                all.append(Read(record: record, isolation: isolation, sighting: sighting))
                guard isolation == .readCommitted else { continue }
                let place = record.topicPartition
                if returnedBy[op.process] == nil { readers.append(op.process) }
                returnedBy[op.process, default: []].insert(record.value)
                let stretch: Int
                if let known = open[op.process]?[place] {
                    stretch = known
                } else {
                    stretch = stretches.count
                    stretches.append(Stretch(reader: op.process, partition: place, finalRead: op.f == .finalRead))
                    byPartition[place, default: []].append(stretch)
                    open[op.process, default: [:]][place] = stretch
                }
                stretches[stretch].offsets.append((record.offset, op.index))
            }
        }
        for position in stretches.indices { stretches[position].offsets.sort { $0.offset < $1.offset } }
        // Complete when every part of the final read ended ok: the final reader says so only once its
        // position reached each recorded end. (Its records cannot show it: a transaction's last
        // offset is its marker, which no reader returns.)
        for (place, bounds) in history.finalReadBounds where history.finalReadComplete {
            guard let end = bounds.end else { continue }
            let reader = history.ops.first { $0.f == .finalRead }?.process ?? "final-reader"
            finalBounds[place] = (bounds.start ?? 0, end, reader)
        }
    }

    func returned(_ value: String, by reader: String) -> Bool { returnedBy[reader]?.contains(value) ?? false }

    /// A read_committed reader (any, or `onlyBy`) that read past `offset` of `place` without
    /// returning `value` there; nil when none did.
    func passedWithout(_ place: TopicPartition, offset: Int64, value: String, onlyBy: String? = nil)
        -> (reader: String, before: ReadPlace?, after: ReadPlace?, finalEnd: Int64?)?
    {
        for position in byPartition[place] ?? [] {
            let stretch = stretches[position]
            if let onlyBy, stretch.reader != onlyBy { continue }
            guard let first = stretch.offsets.first, let last = stretch.offsets.last, first.offset < offset, offset < last.offset else { continue }
            if returned(value, by: stretch.reader) { continue }
            let before = stretch.offsets.last { $0.offset < offset }.map { ReadPlace(offset: $0.offset, index: $0.index) }
            let after = stretch.offsets.first { $0.offset > offset }.map { ReadPlace(offset: $0.offset, index: $0.index) }
            return (stretch.reader, before, after, nil)
        }
        if let bounds = finalBounds[place], onlyBy == nil || onlyBy == bounds.reader, bounds.start <= offset, offset < bounds.end,
           !returned(value, by: bounds.reader)
        {
            let stretch = byPartition[place]?.map { stretches[$0] }.first { $0.reader == bounds.reader }
            let before = stretch?.offsets.last { $0.offset < offset }.map { ReadPlace(offset: $0.offset, index: $0.index) }
            let after = stretch?.offsets.first { $0.offset > offset }.map { ReadPlace(offset: $0.offset, index: $0.index) }
            return (bounds.reader, before, after, bounds.end)
        }
        return nil
    }
}
