/// The replication state machine of one partition on one broker: Kafka's leader and follower rules
/// (`Partition.scala`) as a value type that does no I/O. Time is passed in; decisions come out as
/// `ReplicaDirective`s that the broker carries out (write the ISR to the coordination store, wake
/// waiting produce requests, log an event).
///
/// Owner: the broker's `Partition` object, which serialises every call under its lock.
///
/// Rules (DESIGN.md §3, REFERENCES.md "Replication"):
/// - HW = min LEO over the ISR, never moves backwards on a leader, and does not advance while the
///   committed ISR is smaller than `min.insync.replicas` (KIP-966).
/// - While an ISR change is being written, the HW is computed over the *maximal* ISR (committed ∪
///   proposed), so a shrink never lets the HW run ahead of a replica that is still formally in sync
///   (KIP-497). Only one change is in flight at a time.
/// - A follower is caught up when its fetch offset reached the leader's LEO, or the LEO the leader had
///   at its previous fetch; it leaves the ISR after `lagTimeMaxMs` without being caught up, and
///   rejoins once its LEO ≥ HW and ≥ the start offset of the leader's current epoch.
/// - A failed conditional ISR write means the broker was deposed: it stops acting as leader until the
///   controller tells it its new role.
public struct PartitionReplicaState: Sendable, Equatable {
    public enum Role: Sendable, Equatable {
        case leader
        case follower
        /// Not a replica here, or the log is offline.
        case none
    }

    /// What the leader knows about one follower.
    public struct FollowerState: Sendable, Equatable {
        /// -1 until the follower's first fetch under this leadership.
        public var logEndOffset: Int64 = -1
        public var lastCaughtUpTimeMs: Int64
        public var lastFetchTimeMs: Int64 = -1
        public var lastFetchLeaderLogEndOffset: Int64 = -1
    }

    public struct PendingIsrChange: Sendable, Equatable {
        public var proposedIsr: [Int32]
        public var reason: IsrChangeReason
    }

    public let brokerId: Int32
    public private(set) var role: Role = .none
    public private(set) var leaderId: Int32 = -1
    public private(set) var leaderEpoch: Int32 = -1
    /// Version of the partition-state node this broker last read or wrote; ISR writes are conditional on it.
    public private(set) var stateVersion: Int32 = -1
    public private(set) var replicas: [Int32] = []
    /// The ISR as committed in the coordination store.
    public private(set) var isr: [Int32] = []
    public private(set) var pendingIsrChange: PendingIsrChange?
    public private(set) var highWatermark: Int64
    public private(set) var logEndOffset: Int64
    /// The LEO when this broker became leader of the current epoch.
    public private(set) var leaderEpochStartOffset: Int64 = 0
    public private(set) var followers: [Int32: FollowerState] = [:]
    /// True after a conditional ISR write failed: the broker must not act as leader any more.
    public private(set) var fenced = false
    public var minInsyncReplicas: Int
    public var lagTimeMaxMs: Int64
    /// Deliberate bugs switched on for testing the lab's checks (`SeededBug`); empty otherwise.
    public var seededBugs: SeededBugs = []

    public init(brokerId: Int32, highWatermark: Int64, logEndOffset: Int64, minInsyncReplicas: Int, lagTimeMaxMs: Int64) {
        precondition(highWatermark <= logEndOffset, "HW \(highWatermark) above LEO \(logEndOffset)")
        self.brokerId = brokerId
        self.highWatermark = highWatermark
        self.logEndOffset = logEndOffset
        self.minInsyncReplicas = minInsyncReplicas
        self.lagTimeMaxMs = lagTimeMaxMs
    }

    /// Committed ISR ∪ proposed ISR: the set whose LEOs bound the HW while a change is in flight.
    public var maximalIsr: [Int32] {
        guard let pending = pendingIsrChange else { return isr }
        return isr + pending.proposedIsr.filter { !isr.contains($0) }
    }

    public var isLeader: Bool { role == .leader && !fenced }
    public var isUnderReplicated: Bool { isLeader && isr.count < replicas.count }
    public var isUnderMinIsr: Bool { isLeader && isrBelowMinimum }

    /// The one min.insync.replicas test every rule uses: appends with acks=all, HW advances and
    /// waiting acknowledgements all stop while it holds.
    public var isrBelowMinimum: Bool {
        // Seeded bug ignore-min-isr: counts the assigned replicas, which never shrink.
        let inSync = seededBugs.contains(.ignoreMinIsr) ? replicas.count : isr.count
        return inSync < minInsyncReplicas
    }
    public var isAtMinIsr: Bool { isLeader && isr.count == minInsyncReplicas }

    // MARK: Role changes

    /// The controller made this broker leader for `epoch`. Followers in the ISR count as caught up
    /// now, as Kafka does, so they are not dropped before they had a chance to fetch.
    public mutating func becomeLeader(epoch: Int32, isr: [Int32], replicas: [Int32], stateVersion: Int32, nowMs: Int64) -> [ReplicaDirective] {
        // `leadershipChange` refuses decisions that would break these: they never come from the wire.
        precondition(isr.contains(brokerId), "leader \(brokerId) not in ISR \(isr)")
        precondition(Set(isr).isSubset(of: replicas), "ISR \(isr) not within replicas \(replicas)")
        precondition(epoch >= leaderEpoch, "leader epoch went back from \(leaderEpoch) to \(epoch)")
        let continuing = role == .leader && leaderEpoch == epoch
        role = .leader
        leaderId = brokerId
        fenced = false
        pendingIsrChange = nil
        self.replicas = replicas
        self.isr = isr
        self.stateVersion = stateVersion
        if !continuing {
            leaderEpoch = epoch
            leaderEpochStartOffset = logEndOffset
            followers = [:]
            for replica in replicas where replica != brokerId {
                followers[replica] = FollowerState(lastCaughtUpTimeMs: isr.contains(replica) ? nowMs : 0)
            }
        }
        var directives: [ReplicaDirective] = [.becameLeader(epoch: epoch, isr: isr, stateVersion: stateVersion)]
        directives += maybeAdvanceHighWatermark()
        assertInvariants()
        return directives
    }

    public mutating func becomeFollower(leader: Int32, epoch: Int32, isr: [Int32], replicas: [Int32], stateVersion: Int32) -> [ReplicaDirective] {
        precondition(epoch >= leaderEpoch, "leader epoch went back from \(leaderEpoch) to \(epoch)")
        let wasLeader = role == .leader
        role = .follower
        leaderId = leader
        leaderEpoch = epoch
        self.isr = isr
        self.replicas = replicas
        self.stateVersion = stateVersion
        fenced = false
        pendingIsrChange = nil
        followers = [:]
        assertInvariants()
        return [.becameFollower(leader: leader, epoch: epoch, wasLeader: wasLeader)]
    }

    /// The partition is no longer hosted here (deleted, reassigned away or its broker stopped).
    public mutating func stopReplica() {
        role = .none
        leaderId = -1
        followers = [:]
        pendingIsrChange = nil
    }

    // MARK: Leader side

    /// Whether a produce may append now, and if not, the Kafka error to answer with.
    public func appendCheck(requiredAcks: Int16) -> AppendCheck {
        guard isLeader else { return .reject(.notLeaderOrFollower) }
        if requiredAcks == -1 && isrBelowMinimum { return .reject(.notEnoughReplicas) }
        return .allowed
    }

    /// The local log grew to `logEndOffset` (a leader append, or a follower fetch applied).
    public mutating func onLocalAppend(logEndOffset: Int64) -> [ReplicaDirective] {
        precondition(logEndOffset >= self.logEndOffset, "LEO moved back from \(self.logEndOffset) to \(logEndOffset) without truncation")
        self.logEndOffset = logEndOffset
        return role == .leader ? maybeAdvanceHighWatermark() : []
    }

    /// The local log was truncated (follower truncation, or a log reset).
    public mutating func onTruncation(logEndOffset: Int64) {
        self.logEndOffset = logEndOffset
        if highWatermark > logEndOffset { highWatermark = logEndOffset }
        assertInvariants()
        assertInvariants()
    }

    /// The invariants every change keeps, checked in debug builds (tests) after changes whose
    /// inputs could break them: HW ≤ LEO, and a leader's committed and proposed ISRs within its
    /// replicas (accepted leaderships are checked by `leadershipChange`; proposals are built here).
    func assertInvariants() {
        assert(highWatermark <= logEndOffset, "HW \(highWatermark) above LEO \(logEndOffset)")
        assert(role != .leader || Set(maximalIsr).isSubset(of: replicas), "ISR \(isr) / proposed \(pendingIsrChange?.proposedIsr ?? []) not within replicas \(replicas)")
    }

    /// A follower fetched at `fetchOffset`, which is its LEO. Returns HW advances and ISR expansion.
    public mutating func onFollowerFetch(replica: Int32, fetchOffset: Int64, nowMs: Int64) -> [ReplicaDirective] {
        guard role == .leader, var follower = followers[replica] else { return [] }
        if fetchOffset >= logEndOffset {
            follower.lastCaughtUpTimeMs = max(follower.lastCaughtUpTimeMs, nowMs)
        } else if follower.lastFetchLeaderLogEndOffset >= 0 && fetchOffset >= follower.lastFetchLeaderLogEndOffset {
            follower.lastCaughtUpTimeMs = max(follower.lastCaughtUpTimeMs, follower.lastFetchTimeMs)
        }
        follower.logEndOffset = min(fetchOffset, logEndOffset)
        follower.lastFetchLeaderLogEndOffset = logEndOffset
        follower.lastFetchTimeMs = nowMs
        followers[replica] = follower

        var directives = maybeAdvanceHighWatermark()
        if !fenced, pendingIsrChange == nil, !isr.contains(replica),
           follower.logEndOffset >= highWatermark, follower.logEndOffset >= leaderEpochStartOffset {
            let proposed = (isr + [replica]).sorted()
            pendingIsrChange = PendingIsrChange(proposedIsr: proposed, reason: .caughtUp(replica: replica))
            directives.append(.proposeIsr(proposed, expectedVersion: stateVersion, reason: .caughtUp(replica: replica)))
        }
        assertInvariants()
        return directives
    }

    /// Periodic check (Kafka runs it every lagTimeMaxMs / 2): propose dropping followers that have not
    /// been caught up for longer than `lagTimeMaxMs`.
    public mutating func onTick(nowMs: Int64) -> [ReplicaDirective] {
        guard isLeader, pendingIsrChange == nil, !seededBugs.contains(.noIsrShrink) else { return [] }
        let lagging = isr.filter { replica in
            guard replica != brokerId, let follower = followers[replica] else { return false }
            return nowMs - follower.lastCaughtUpTimeMs > lagTimeMaxMs
        }
        guard !lagging.isEmpty else { return [] }
        let proposed = isr.filter { !lagging.contains($0) }
        let reason = IsrChangeReason.lagging(replicas: lagging, lagTimeMaxMs: lagTimeMaxMs)
        pendingIsrChange = PendingIsrChange(proposedIsr: proposed, reason: reason)
        assertInvariants()
        return [.proposeIsr(proposed, expectedVersion: stateVersion, reason: reason)]
    }

    /// The proposed ISR was written; `newVersion` is the node's version after the write.
    public mutating func onIsrCommitted(_ committed: [Int32], newVersion: Int32) -> [ReplicaDirective] {
        guard let pending = pendingIsrChange, pending.proposedIsr == committed else { return [] }
        assert(committed.contains(brokerId), "committed ISR \(committed) leaves out its leader \(brokerId)")
        let old = isr
        isr = committed
        stateVersion = newVersion
        pendingIsrChange = nil
        var directives: [ReplicaDirective] = [
            .isrChanged(old: old, new: committed, reason: pending.reason, leaderEpoch: leaderEpoch, stateVersion: newVersion,
                        highWatermark: highWatermark),
        ]
        directives += maybeAdvanceHighWatermark()
        assertInvariants()
        if isrBelowMinimum { directives.append(.underMinIsr(isr: isr)) }
        return directives
    }

    /// The conditional write failed because the node changed under us: this broker was deposed (or
    /// the controller rewrote the state). Stop leading until told otherwise.
    public mutating func onIsrRejected(currentVersion: Int32?) -> [ReplicaDirective] {
        guard role == .leader else { return [] }
        pendingIsrChange = nil
        // Seeded bug stale-leader-keeps-serving: a rejected ISR write does not stop a deposed leader
        // either (with the ignored demotion in ReplicaManager.applyLeadership, it leads on as a zombie).
        if seededBugs.contains(.staleLeaderKeepsServing) { return [] }
        fenced = true
        return [.fenced(expectedVersion: stateVersion, actualVersion: currentVersion)]
    }

    /// The write could not be attempted (coordination store unreachable): forget the proposal so a
    /// later tick or fetch proposes again.
    public mutating func onIsrWriteAbandoned() {
        pendingIsrChange = nil
    }

    mutating func maybeAdvanceHighWatermark() -> [ReplicaDirective] {
        // Seeded bug ignore-min-isr.v2: the KIP-966 gate is skipped.
        guard role == .leader, !fenced, !isrBelowMinimum || seededBugs.contains(.ignoreMinIsrV2) else { return [] }
        var candidate = logEndOffset
        // Seeded bug ack-before-replication.v2: the followers' LEOs are left out of the minimum.
        let followersCount = !seededBugs.contains(.ackBeforeReplicationV2)
        for replica in maximalIsr where replica != brokerId && followersCount {
            guard let follower = followers[replica], follower.logEndOffset >= 0 else { return [] }
            candidate = min(candidate, follower.logEndOffset)
        }
        guard candidate > highWatermark else { return [] }
        highWatermark = candidate
        precondition(highWatermark <= logEndOffset, "HW \(highWatermark) above LEO \(logEndOffset)")
        return [.highWatermarkAdvanced(candidate)]
    }

    // MARK: Follower side

    /// A fetch response from the leader carried its HW; a follower's HW is that, capped at its own LEO.
    public mutating func onLeaderHighWatermark(_ leaderHighWatermark: Int64) -> [ReplicaDirective] {
        guard role == .follower else { return [] }
        let candidate = min(leaderHighWatermark, logEndOffset)
        guard candidate > highWatermark else { return [] }
        highWatermark = candidate
        precondition(highWatermark <= logEndOffset, "HW \(highWatermark) above LEO \(logEndOffset)")
        return [.highWatermarkAdvanced(candidate)]
    }

    /// Restores a HW read from a checkpoint at startup (never above the LEO).
    public mutating func restoreHighWatermark(_ value: Int64) {
        highWatermark = min(max(0, value), logEndOffset)
        assertInvariants()
    }
}

public enum AppendCheck: Sendable, Equatable {
    case allowed
    case reject(RejectReason)

    public enum RejectReason: Sendable, Equatable {
        case notLeaderOrFollower
        case notEnoughReplicas
    }
}

public enum IsrChangeReason: Sendable, Equatable, CustomStringConvertible {
    case lagging(replicas: [Int32], lagTimeMaxMs: Int64)
    case caughtUp(replica: Int32)

    public var description: String {
        switch self {
        case .lagging(let replicas, let lagTimeMaxMs):
            return "replicas \(replicas) not caught up within replica.lag.time.max.ms=\(lagTimeMaxMs)"
        case .caughtUp(let replica): return "replica \(replica) caught up"
        }
    }
}

/// What the broker must do after a state change.
public enum ReplicaDirective: Sendable, Equatable {
    /// `stateVersion` is the partition-state version the ISR was read at: the event log reports it so
    /// checkers can rebuild the chain of committed states from every broker's reports.
    case becameLeader(epoch: Int32, isr: [Int32], stateVersion: Int32)
    case becameFollower(leader: Int32, epoch: Int32, wasLeader: Bool)
    /// Wake produce requests waiting for this HW and consumers waiting for data.
    case highWatermarkAdvanced(Int64)
    /// Write this ISR to the partition-state node, conditional on `expectedVersion`; then call
    /// `onIsrCommitted` or `onIsrRejected`.
    case proposeIsr([Int32], expectedVersion: Int32, reason: IsrChangeReason)
    /// The ISR change was committed as partition-state version `stateVersion` in `leaderEpoch`.
    /// `highWatermark`: the HW when the change took effect, before any advance it allowed. Nothing at
    /// or above it was committed under the old ISR, which is what the acks-under-min-ISR check uses.
    case isrChanged(old: [Int32], new: [Int32], reason: IsrChangeReason, leaderEpoch: Int32, stateVersion: Int32, highWatermark: Int64)
    /// The committed ISR fell below min.insync.replicas: waiting acks=all requests fail with
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND.
    case underMinIsr(isr: [Int32])
    case fenced(expectedVersion: Int32, actualVersion: Int32?)
    /// The log's storage failed; reported by the broker shell, never produced by the state machine.
    case storageError(String)
}
