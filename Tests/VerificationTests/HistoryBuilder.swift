import Verification

/// Builds histories line by line for tests: each line one millisecond after the previous.
struct HistoryBuilder {
    var ops: [HistoryOp] = []
    var timeNs: Int64 = 0
    var stepNs: Int64 = 1_000_000

    var history: History { History(ops: ops) }

    @discardableResult
    mutating func line(
        _ process: String, _ type: OpType, _ f: OpFunction, _ value: OpValue = .none, error: String? = nil,
        opId: Int64? = nil
    ) -> Int {
        timeNs += stepNs
        ops.append(HistoryOp(
            index: ops.count, timeNs: timeNs, process: process, type: type, f: f, value: value, error: error, opId: opId))
        return ops.count - 1
    }

    mutating func invokeSend(_ process: String, _ value: String, topic: String = "t", opId: Int64? = nil) {
        line(process, .invoke, .send, .send(SendValue(topic: topic, value: value)), opId: opId)
    }

    mutating func completeSend(
        _ process: String, _ value: String, _ type: OpType = .ok, topic: String = "t", partition: Int32 = 0,
        offset: Int64? = nil, broker: Int32? = nil, epoch: Int32? = nil, error: String? = nil, opId: Int64? = nil
    ) {
        let send = SendValue(
            topic: topic, value: value, partition: partition, offset: type == .ok ? offset : nil, broker: broker,
            leaderEpoch: epoch)
        line(process, type, .send, .send(send), error: error, opId: opId)
    }

    /// An invoke immediately completed.
    mutating func send(
        _ process: String, _ value: String, _ type: OpType = .ok, topic: String = "t", partition: Int32 = 0,
        offset: Int64? = nil, broker: Int32? = nil, epoch: Int32? = nil, error: String? = nil
    ) {
        invokeSend(process, value, topic: topic)
        completeSend(
            process, value, type, topic: topic, partition: partition, offset: offset, broker: broker, epoch: epoch,
            error: error)
    }

    /// A poll returning `(offset, value)` pairs from one partition.
    mutating func poll(
        _ process: String, _ records: [(Int64, String)], _ type: OpType = .ok, topic: String = "t", partition: Int32 = 0,
        f: OpFunction = .poll
    ) {
        line(process, .invoke, f)
        let read = records.map { ReadRecord(topic: topic, partition: partition, offset: $0.0, value: $0.1) }
        line(process, type, f, type == .fail ? .none : .poll(PollValue(records: read)))
    }

    mutating func finalRead(_ records: [(Int64, String)], topic: String = "t", partition: Int32 = 0) {
        poll("final-reader", records, topic: topic, partition: partition, f: .finalRead)
    }

    /// The final reader's targets: each partition's log start and end before it read.
    mutating func finalReadBounds(_ bounds: [(partition: Int32, start: Int64, end: Int64?)], topic: String = "t") {
        let value = AssignmentValue(
            partitions: bounds.map { .init(topic, $0.partition) },
            ends: bounds.map { PartitionBounds(topic: topic, partition: $0.partition, start: $0.start, end: $0.end) })
        line("final-reader", .invoke, .assign)
        line("final-reader", .ok, .assign, .assignment(value))
    }

    /// A clean exit for every process of the history, as the lab records them.
    var cleanExits: (exits: [ClientExit], problems: InputProblems) { VerificationTests.cleanExits(history) }

    mutating func assign(_ process: String, _ partitions: [Int32], topic: String = "t") {
        line(process, .invoke, .assign)
        line(process, .ok, .assign, .assignment(AssignmentValue(partitions: partitions.map { .init(topic, $0) })))
    }
}

/// Runs every checker on a history with an empty timeline, every process having exited cleanly.
/// The checkers that judge the timeline or the replica digest: with a history alone they can only
/// say unknown.
let checkersBeyondTheHistory: Set<String> = timelineCheckers.union(["replica-agreement", "stale-leader", "hw-monotonic", "brokers"])

/// The checkers of transactions: not applicable to a history without any.
let transactionCheckers: Set<String> = ["txn-aborted-read", "txn-lost-write", "torn-transaction", "eos-duplicate", "txn-g0", "txn-g1c", "fenced-commit"]

/// Runs every checker on a history with an empty timeline.
func check(_ builder: HistoryBuilder, timeline: Timeline = Timeline(records: [])) -> CheckReport {
    CheckReport(history: builder.history, timeline: timeline, clients: builder.cleanExits)
}

/// A clean exit for every process of `history`, as the lab records them when each ends by itself.
func cleanExits(_ history: History) -> (exits: [ClientExit], problems: InputProblems) {
    (history.processNames.map { ClientExit(process: $0, pid: 1, startedNs: 0, endedNs: 0, exitCode: 0, signal: nil, overran: false, error: nil) },
     InputProblems())
}
