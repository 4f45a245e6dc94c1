/// Kafka's leader-election rules (`PartitionLeaderElectionAlgorithms`), as pure functions the
/// controller applies. Replicas are tried in assignment order, so the preferred replica (the first)
/// wins whenever it is eligible.
public enum LeaderElection {
    public struct Result: Sendable, Equatable {
        public var leader: Int32
        public var isr: [Int32]
        /// True when the leader came from outside the ISR: acknowledged records may be lost.
        public var unclean: Bool

        init(leader: Int32, isr: [Int32], unclean: Bool) {
            // Every rule picks its leader from the ISR it returns.
            precondition(isr.contains(leader), "elected \(leader) outside its ISR \(isr)")
            self.leader = leader
            self.isr = isr
            self.unclean = unclean
        }
    }

    /// A partition whose leader died (or that has none): the first live ISR member in assignment
    /// order; failing that, with unclean election enabled, the first live replica, whose ISR becomes
    /// just itself. Nil when no replica may lead: the partition goes offline.
    public static func offlinePartition(assignment: [Int32], isr: [Int32], live: Set<Int32>, uncleanEnabled: Bool,
                                        seededBugs: SeededBugs = []) -> Result? {
        let liveIsr = isr.filter { live.contains($0) }
        if let leader = assignment.first(where: { liveIsr.contains($0) }) {
            return Result(leader: leader, isr: liveIsr, unclean: false)
        }
        // Seeded bug unclean-always: the setting is not consulted.
        if uncleanEnabled || seededBugs.contains(.uncleanAlways), let leader = assignment.first(where: { live.contains($0) }) {
            return Result(leader: leader, isr: [leader], unclean: true)
        }
        return nil
    }

    /// A new partition: the first live replica leads, every live replica is in sync (all are empty).
    public static func newPartition(assignment: [Int32], live: Set<Int32>) -> Result? {
        let liveReplicas = assignment.filter { live.contains($0) }
        guard let leader = liveReplicas.first else { return nil }
        return Result(leader: leader, isr: liveReplicas, unclean: false)
    }

    /// Controlled shutdown of `shuttingDown`: the first live ISR member other than it; the shutting
    /// broker leaves the ISR.
    public static func controlledShutdown(assignment: [Int32], isr: [Int32], live: Set<Int32>, shuttingDown: Set<Int32>) -> Result? {
        let liveIsr = isr.filter { live.contains($0) && !shuttingDown.contains($0) }
        guard let leader = assignment.first(where: { liveIsr.contains($0) }) else { return nil }
        return Result(leader: leader, isr: liveIsr, unclean: false)
    }

    /// Preferred-replica election: the first replica of the assignment, if it is alive and in sync.
    public static func preferredReplica(assignment: [Int32], isr: [Int32], live: Set<Int32>) -> Result? {
        guard let preferred = assignment.first, live.contains(preferred), isr.contains(preferred) else { return nil }
        return Result(leader: preferred, isr: isr, unclean: false)
    }

    /// Kafka's imbalance test: the share of partitions whose preferred replica is `broker` but that
    /// another broker leads, in percent.
    public static func imbalancePercentage(preferredLed: [(preferred: Int32, leader: Int32)], broker: Int32) -> Int {
        let preferredHere = preferredLed.filter { $0.preferred == broker }
        guard !preferredHere.isEmpty else { return 0 }
        let notLeading = preferredHere.filter { $0.leader != broker }.count
        return notLeading * 100 / preferredHere.count
    }
}
