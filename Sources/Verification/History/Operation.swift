/// An invoke paired with its completion: one attempt by one process.
///
/// Positions point into `History.ops`, so a million-operation history is stored once.
public struct Operation: Sendable, Hashable {
    /// Position of the invoke in `History.ops`; nil for a completion that had no invoke (an input
    /// problem, reported as such).
    public var invokePosition: Int?
    /// Position of the completion; nil when the run ended before the operation did.
    public var completionPosition: Int?
    public var f: OpFunction

    /// How the operation ended. One that never completed is indeterminate, like a timeout.
    public func outcome(in history: History) -> OpType {
        guard let completionPosition else { return .info }
        return history.ops[completionPosition].type
    }
}

extension History {
    /// The invoke line, or the completion when there was no invoke.
    public func firstLine(of operation: Operation) -> HistoryOp {
        ops[operation.invokePosition ?? operation.completionPosition!]
    }

    public func completion(of operation: Operation) -> HistoryOp? {
        operation.completionPosition.map { ops[$0] }
    }

    /// A send's facts merged from its invoke (topic, key, value) and completion (partition,
    /// offset, broker, epoch). Nil for operations that are not sends or carry no send value.
    public func send(of operation: Operation) -> SendValue? {
        let invoked = operation.invokePosition.flatMap { ops[$0].value.send }
        let completed = operation.completionPosition.flatMap { ops[$0].value.send }
        guard var merged = invoked ?? completed else { return nil }
        if let completed {
            merged.partition = completed.partition ?? merged.partition
            merged.offset = completed.offset ?? merged.offset
            merged.broker = completed.broker ?? merged.broker
            merged.leaderEpoch = completed.leaderEpoch ?? merged.leaderEpoch
            merged.key = merged.key ?? completed.key
        }
        if let offset = merged.offset, offset < 0 { merged.offset = nil }
        return merged
    }
}
