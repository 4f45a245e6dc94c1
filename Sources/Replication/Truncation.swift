/// How far a follower truncates before fetching from a new leader (KIP-101, KIP-279). The follower
/// asks the leader, with OffsetForLeaderEpoch, where the follower's latest epoch ends in the
/// leader's log; the answer decides the truncation point. Never blindly the high watermark.
public enum Truncation {
    /// The follower's leader-epoch cache, as (epoch, start offset) in increasing order.
    public struct LocalEpochs: Sendable, Equatable {
        public var entries: [(epoch: Int32, startOffset: Int64)]
        public var logEndOffset: Int64

        public init(entries: [(epoch: Int32, startOffset: Int64)], logEndOffset: Int64) {
            self.entries = entries
            self.logEndOffset = logEndOffset
        }

        public static func == (lhs: LocalEpochs, rhs: LocalEpochs) -> Bool {
            lhs.logEndOffset == rhs.logEndOffset && lhs.entries.map(\.epoch) == rhs.entries.map(\.epoch)
                && lhs.entries.map(\.startOffset) == rhs.entries.map(\.startOffset)
        }

        public var latestEpoch: Int32? { entries.last?.epoch }

        /// Kafka's `LeaderEpochFileCache.endOffsetFor`: for the latest epoch, the LEO; for an older
        /// one, the start offset of the next higher epoch, reported with the largest known epoch ≤
        /// the requested one; (-1, -1) when the request is below every known epoch.
        public func endOffset(for requested: Int32) -> (epoch: Int32, endOffset: Int64) {
            guard let latest = entries.last else { return (-1, -1) }
            if requested == latest.epoch { return (latest.epoch, logEndOffset) }
            guard let index = entries.lastIndex(where: { $0.epoch <= requested }) else { return (-1, -1) }
            if index == entries.count - 1 { return (entries[index].epoch, logEndOffset) }
            return (entries[index].epoch, entries[index + 1].startOffset)
        }
    }

    public enum Decision: Sendable, Equatable {
        /// Truncate to this offset (possibly equal to the LEO: nothing to cut) and start fetching.
        case truncate(to: Int64)
        /// Truncate to this offset, then ask again about `epoch` (KIP-279's divergent-log loop).
        case truncateAndAskAgain(to: Int64, epoch: Int32)
        /// The follower has no epochs: nothing to compare, fetch from its LEO.
        case noTruncation
    }

    /// The epoch to ask the leader about first, or nil when the follower has no epoch history.
    public static func firstQuery(_ local: LocalEpochs) -> Int32? { local.latestEpoch }

    /// Decides from the leader's answer `(leaderEpoch, endOffset)` to a query about `askedEpoch`.
    public static func decide(local: LocalEpochs, askedEpoch: Int32, leaderEpoch: Int32, leaderEndOffset: Int64,
                              seededBugs: SeededBugs = []) -> Decision {
        // Seeded bug skip-truncation: the answer is ignored and the divergent tail kept.
        if seededBugs.contains(.skipTruncation) { return .truncate(to: local.logEndOffset) }
        if leaderEpoch < 0 || leaderEndOffset < 0 {
            // The leader knows no epoch at or below ours: it has nothing of our history. Keep
            // nothing we cannot prove it has: truncate to its end offset if given, else to our start.
            let start = local.entries.first?.startOffset ?? 0
            return .truncate(to: min(local.logEndOffset, max(start, leaderEndOffset)))
        }
        if leaderEpoch == askedEpoch {
            return .truncate(to: min(leaderEndOffset, local.logEndOffset))
        }
        // KIP-279: the leader answered with an earlier epoch. If we have that epoch, truncate to
        // where it ends in both logs; otherwise cut back to where our history for it ends and ask again.
        let ours = local.endOffset(for: leaderEpoch)
        if ours.epoch == leaderEpoch {
            return .truncate(to: min(ours.endOffset, leaderEndOffset, local.logEndOffset))
        }
        if ours.epoch < 0 {
            return .truncate(to: min(local.entries.first?.startOffset ?? 0, leaderEndOffset, local.logEndOffset))
        }
        return .truncateAndAskAgain(to: min(ours.endOffset, leaderEndOffset, local.logEndOffset), epoch: ours.epoch)
    }
}
