import KafkaProtocol
import LogStore
import NIOCore
import Replication

extension Partition {
    /// The leader side of OffsetForLeaderEpoch: where `requestedEpoch` ends in this log.
    public func endOffset(forEpoch requestedEpoch: Int32, currentLeaderEpoch: Int32) -> (error: ErrorCode, epoch: Int32, endOffset: Int64) {
        withLog { log, state in
            if let error = state.leaderRequestError(currentLeaderEpoch: currentLeaderEpoch) { return (error, -1, -1) }
            let answer = log.leaderEpochCache.endOffset(for: requestedEpoch, logEndOffset: log.logEndOffset)
            return (.none, answer.epoch, answer.endOffset)
        }
    }

    /// This follower's epoch history, for truncation decisions.
    var localEpochs: Truncation.LocalEpochs {
        withLog { log, _ in
            Truncation.LocalEpochs(entries: log.leaderEpochCache.entries.map { ($0.epoch, $0.startOffset) }, logEndOffset: log.logEndOffset)
        }
    }

    /// Whether this broker still follows `leader` at `epoch` (a fetcher's work is stale otherwise).
    func isFollowing(leader: Int32, epoch: Int32) -> Bool {
        withLog { _, state in state.role == .follower && state.leaderId == leader && state.leaderEpoch == epoch }
    }

    /// Where a follower of `leader` at `epoch` fetches from (its LEO) and its log start; nil when
    /// this broker no longer follows that leader at that epoch. One lock for a fetcher's per-round look.
    func followerFetchPosition(leader: Int32, epoch: Int32) -> (logEndOffset: Int64, logStartOffset: Int64)? {
        withLog { log, state in
            guard state.role == .follower && state.leaderId == leader && state.leaderEpoch == epoch else { return nil }
            return (log.logEndOffset, log.logStartOffset)
        }
    }

    var logEndOffset: Int64 { withLog { log, _ in log.logEndOffset } }
    var logStartOffset: Int64 { withLog { log, _ in log.logStartOffset } }
    /// DescribeLogDirs' figures: the log's bytes, and the high watermark's distance ahead of the log end.
    var logDirDescription: (sizeBytes: Int64, offsetLag: Int64) {
        withLog { log, state in (Int64(log.sizeInBytes), max(state.highWatermark - log.logEndOffset, 0)) }
    }

    /// Truncates the follower's log (KIP-101/279 decision) and returns (old LEO, new LEO).
    func truncateAsFollower(to offset: Int64) throws -> (from: Int64, to: Int64) {
        let result: (from: Int64, to: Int64) = try withLog { log, state in
            let before = log.logEndOffset
            let after = try log.truncate(to: offset)
            state.onTruncation(logEndOffset: after)
            return (before, after)
        }
        if result.from != result.to { rebuildProducers() }
        return result
    }

    /// The follower fell below the leader's log start: start over there.
    func resetAsFollower(at offset: Int64) throws -> (from: Int64, to: Int64) {
        let result: (from: Int64, to: Int64) = try withLog { log, state in
            let before = log.logEndOffset
            try log.truncateFullyAndStart(at: offset)
            state.onTruncation(logEndOffset: offset)
            return (before, offset)
        }
        rebuildProducers()
        return result
    }

    /// Appends fetched batches and applies the leader's HW and log start. Returns the new LEO.
    func appendAsFollower(_ records: ByteBuffer, leaderHighWatermark: Int64, leaderLogStartOffset: Int64) throws -> Int64 {
        StorageIO.assertOffEventLoop("a follower append to \(topicPartition)")
        let (leo, directives): (Int64, [ReplicaDirective]) = try withLog { log, state in
            var directives: [ReplicaDirective] = []
            if records.readableBytes > 0, try log.appendAsFollower(records) != nil {
                directives += queued(state.onLocalAppend(logEndOffset: log.logEndOffset))
                replayProducers(records)
            }
            if leaderLogStartOffset > log.logStartOffset { try log.advanceLogStart(to: leaderLogStartOffset) }
            directives += queued(state.onLeaderHighWatermark(leaderHighWatermark))
            return (log.logEndOffset, directives)
        }
        notify(directives, wake: true)
        return leo
    }
}
