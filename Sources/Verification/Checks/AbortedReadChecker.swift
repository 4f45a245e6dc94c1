import KafkaProtocol

/// A read returned a value that no send could have written.
public struct AbortedRead: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The send of this value failed definitely, yet it was read.
        case failedSend = "failed_send"
        /// No send of this value appears in the history.
        case neverSent = "never_sent"
    }

    public var kind: Kind
    public var value: String
    public var topic: String
    public var partition: Int32
    public var offset: Int64
    public var readBy: Sighting
    /// History index of the failed send's completion, and its error.
    public var sendIndex: Int?
    public var sendError: String?

    enum CodingKeys: String, CodingKey {
        case kind, value, topic, partition, offset
        case readBy = "read_by"
        case sendIndex = "send_index"
        case sendError = "send_error"
    }
}

/// Jepsen's aborted-read (G1a) analysis: a send that completed `fail` must not be visible, and
/// every value read must have been sent.
///
/// `fail` must mean "certainly not appended" (DESIGN.md §4: a timeout is `info`). The errors
/// below leave the record possibly appended, so a `fail` carrying one of them is treated as
/// indeterminate rather than trusted.
enum AbortedReadChecker {
    static let maybeAppendedErrors: [String] = [
        ErrorCode.notEnoughReplicasAfterAppend.name, ErrorCode.requestTimedOut.name, ErrorCode.networkException.name,
        ErrorCode.unknownServerError.name, ErrorCode.kafkaStorageError.name, "timeout", "timed out",
    ]

    static func check(_ index: HistoryIndex, limit: Int) throws -> CheckResult<AbortedRead> {
        let history = index.history
        var anomalies: [AbortedRead] = []
        for value in index.values.indices {
            let position = index.firstRead[value]
            guard position >= 0, let place = index.firstLocation[value] else { continue }
            let partition = index.partition(place.partition)
            var anomaly = AbortedRead(
                kind: .neverSent, value: index.values[value], topic: partition.topic, partition: partition.partition,
                offset: place.offset, readBy: try index.sighting(at: position))
            let writer = index.writer[value]
            if writer >= 0 {
                let entry = index.sends.entries[Int(writer)]
                guard entry.outcome == .fail else { continue }
                let completion = history.ops[Int(entry.completionPosition)]
                guard !maybeAppended(completion.error) else { continue }
                anomaly.kind = .failedSend
                anomaly.sendIndex = completion.index
                anomaly.sendError = completion.error
            }
            anomalies.append(anomaly)
        }
        return .judge("aborted-read", anomalies: anomalies, limit: limit, problems: history.problems)
    }

    static func maybeAppended(_ error: String?) -> Bool {
        guard let error = error?.lowercased() else { return false }
        return maybeAppendedErrors.contains { error.contains($0.lowercased()) }
    }
}
