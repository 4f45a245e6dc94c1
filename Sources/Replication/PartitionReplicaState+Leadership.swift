import KafkaProtocol

/// Which of the controller's leadership decisions a broker applies, and which requests a leader
/// serves at which epoch.
extension PartitionReplicaState {
    /// What to do with a LeaderAndIsr decision for this partition.
    public enum LeadershipChange: Sendable, Equatable {
        /// Become leader, or take the newer state as leader. `controllerChangedIsr`: this broker
        /// already leads and the controller changed its ISR (it removed a dead broker, or a
        /// controlled shutdown): reported like the leader's own shrinks and expands.
        case becomeLeader(controllerChangedIsr: Bool)
        case becomeFollower
        /// Already applied: same role, leader and epoch (and, as leader, no newer state version).
        case unchanged
        /// An older leader epoch than this broker's: never applied.
        case staleEpoch
        /// The decision makes this broker leader without it in the ISR, or with an ISR member that
        /// is not a replica: refused, a leader must be in sync with itself and its ISR among its
        /// replicas.
        case leaderOutsideIsr
        /// No leader (the partition is offline): nothing to become.
        case noLeader
        /// Seeded bug stale-leader-keeps-serving: a demotion dropped while this broker leads.
        case demotionIgnored
    }

    /// The acceptance rule for a controller decision `{leader, leaderEpoch, isr, replicas}` at
    /// partition-state version `stateVersion`.
    ///
    /// - Two LeaderAndIsr requests can be in flight at once, so an older leader epoch must never
    ///   replace a newer one.
    /// - At the same leader epoch only a newer state version applies to a leader: a request built
    ///   before this leader last wrote the ISR carries an older version and the old ISR, and applying
    ///   it would fence the leader's next ISR write (Kafka's "cached zkVersion" stuck partitions).
    ///   A fenced leader takes any decision of its epoch, to lead again or not.
    /// - A follower re-applies only a change of leader or epoch.
    public func leadershipChange(leader: Int32, leaderEpoch: Int32, isr: [Int32], replicas: [Int32], stateVersion: Int32) -> LeadershipChange {
        if leaderEpoch < self.leaderEpoch { return .staleEpoch }
        if leader == brokerId {
            guard isr.contains(brokerId), Set(isr).isSubset(of: replicas) else { return .leaderOutsideIsr }
            let newer = role != .leader || self.leaderEpoch != leaderEpoch || fenced || stateVersion > self.stateVersion
            guard newer else { return .unchanged }
            return .becomeLeader(controllerChangedIsr: role == .leader && !fenced && Set(self.isr) != Set(isr))
        }
        guard leader >= 0 else { return .noLeader }
        if seededBugs.contains(.staleLeaderKeepsServing), role == .leader, !fenced { return .demotionIgnored }
        if role == .follower && self.leaderEpoch == leaderEpoch && leaderId == leader { return .unchanged }
        return .becomeFollower
    }

    /// The error a leader-only request (Fetch, ListOffsets, OffsetForLeaderEpoch) gets, or nil when
    /// this broker serves it: NOT_LEADER_OR_FOLLOWER unless it leads unfenced; then, when the client
    /// names the leader epoch it knows (KIP-320; -1 names none), FENCED_LEADER_EPOCH for an older one
    /// and UNKNOWN_LEADER_EPOCH for a newer one.
    public func leaderRequestError(currentLeaderEpoch: Int32) -> ErrorCode? {
        guard isLeader else { return .notLeaderOrFollower }
        guard currentLeaderEpoch >= 0 else { return nil }
        if currentLeaderEpoch < leaderEpoch { return .fencedLeaderEpoch }
        if currentLeaderEpoch > leaderEpoch { return .unknownLeaderEpoch }
        return nil
    }

    /// What DeleteRecords does on this replica.
    public enum DeleteRecordsDecision: Sendable, Equatable {
        /// Move the log start up to this offset.
        case advance(to: Int64)
        case refuse(ErrorCode)
    }

    /// DeleteRecords up to `offset` (-1: the high watermark), as Kafka decides it: only the leader
    /// deletes, and never above the high watermark (OFFSET_OUT_OF_RANGE), so no record a consumer
    /// cannot read yet, and none a new leader might still need, goes.
    public func deleteRecordsDecision(_ offset: Int64) -> DeleteRecordsDecision {
        guard isLeader else { return .refuse(.notLeaderOrFollower) }
        if offset == -1 { return .advance(to: highWatermark) }
        guard offset >= 0, offset <= highWatermark else { return .refuse(.offsetOutOfRange) }
        return .advance(to: offset)
    }
}
