import KafkaProtocol

/// One partition's state as the coordination store holds it (`{leader, leader_epoch, isr,
/// controller_epoch}`), with the version of the node it was read or written at.
public struct ControllerPartitionState: Sendable, Equatable {
    /// -1 when no replica may lead: the partition is offline.
    public var leader: Int32
    public var leaderEpoch: Int32
    public var isr: [Int32]
    /// The epoch of the controller that wrote it.
    public var controllerEpoch: Int32
    /// Version of the state node; every write is conditional on it.
    public var version: Int32

    public init(leader: Int32, leaderEpoch: Int32, isr: [Int32], controllerEpoch: Int32, version: Int32) {
        self.leader = leader
        self.leaderEpoch = leaderEpoch
        self.isr = isr
        self.controllerEpoch = controllerEpoch
        self.version = version
    }
}

/// A partition's leadership as brokers are told it (LeaderAndIsr, UpdateMetadata).
public struct ControllerPartitionView: Sendable, Equatable {
    public var partition: TopicPartition
    public var state: ControllerPartitionState
    public var replicas: [Int32]
}

/// A conditional write of one partition-state node the shell must make: `expectedVersion` nil
/// creates the node (a new partition). Either way the write also checks the controller epoch, so a
/// deposed controller's write fails. The shell answers with `onStateWriteOutcome`.
public struct PartitionStateWrite: Sendable, Equatable {
    public var partition: TopicPartition
    public var leader: Int32
    public var leaderEpoch: Int32
    public var isr: [Int32]
    public var controllerEpoch: Int32
    public var expectedVersion: Int32?
}

/// What became of a `PartitionStateWrite`. A failed controller-epoch check is no outcome: the
/// controller was deposed and the shell resigns.
public enum PartitionStateWriteOutcome: Sendable, Equatable {
    /// Written; the node's version is now `version`.
    case written(version: Int32)
    /// The node's version was not the expected one (a leader changed the ISR meanwhile), or a node
    /// to create already existed: `current` is what the shell read back.
    case conflict(current: ControllerPartitionState)
}

/// A state write the controller made, for the event log (`leader_elected`, `unclean_election`):
/// the state it replaced (nil for a new partition) and the one it wrote, with both versions, so a
/// checker can rebuild each partition's chain of committed states.
public struct StateWriteRecord: Sendable, Equatable {
    public var partition: TopicPartition
    public var replaced: ControllerPartitionState?
    public var written: ControllerPartitionState
    /// True when the leader came from outside the ISR: acknowledged records may be lost.
    public var unclean: Bool
    public var reason: String
    public var controllerEpoch: Int32
}

/// What the controller's shell must do after an input.
public enum ControllerDirective: Sendable, Equatable {
    public enum LogLevel: Sendable, Equatable { case info, warning }

    /// Make this conditional write and report its outcome.
    case writeState(PartitionStateWrite)
    /// Log and record a write that succeeded.
    case recordStateWrite(StateWriteRecord)
    /// Send LeaderAndIsr to `broker` for these partitions, naming the live leaders among them.
    case leaderAndIsr(broker: Int32, partitions: [ControllerPartitionView], liveLeaders: [Int32])
    /// Send UpdateMetadata to `broker`: the live brokers, these partitions' states, the deleted
    /// partitions and the topic configs.
    case updateMetadata(broker: Int32, liveBrokers: [Int32], partitions: [ControllerPartitionView], deleted: [TopicPartition],
                        topicConfigs: [String: [String: String]])
    /// Send StopReplica to `broker`.
    case stopReplica(broker: Int32, partitions: [TopicPartition], delete: Bool)
    /// The broker left: drop what is queued for it.
    case forgetBroker(Int32)
    /// Remove the topic's nodes and its deletion marker, then report `onTopicDeleted`.
    case deleteTopic(String)
    /// A deletion marker names a topic that does not exist: remove the marker.
    case deleteMarker(String)
    /// Answer a controlled shutdown: the partitions the broker still leads, and the new leaders
    /// whose LeaderAndIsr the answer should wait for.
    case answerControlledShutdown(broker: Int32, remaining: [TopicPartition], newLeaders: Set<Int32>)
    /// Write the topic's assignment node: partition → replicas (the full set while moving) and the
    /// moves in progress (their adding and removing replicas).
    case writeAssignment(topic: String, assignment: [Int32: [Int32]], reassignments: [Int32: PartitionReassignment])
    case log(LogLevel, String)
}

/// Which rule a partition-state write applies. Kept with the pending write, so that on a version
/// conflict the same rule is applied again to the fresh state.
enum StateWriteRule: Sendable, Equatable {
    /// Offline-partition election: the leader died or there is none.
    case electLeader
    /// Dead brokers leave the ISR of a partition whose leader lives.
    case removeFromIsr(dead: Set<Int32>)
    /// Controlled shutdown of a partition's leader: another ISR member takes over.
    case shutdownLeader(Int32)
    /// Controlled shutdown of an ISR member that does not lead.
    case shutdownFollower(Int32)
    /// Preferred-replica election.
    case preferredLeader(Int32)
    /// ElectLeaders (unclean): a partition without a live leader takes any live replica.
    case uncleanLeader
    /// A reassignment started: same leader (unless it left the full set), new epoch.
    case reassignmentStarted
    /// A reassignment whose target replicas are all in sync completes onto them.
    case reassignmentCompleted([Int32])
    /// A new partition's first state.
    case create
}

/// What a rule decided for one partition: who leads (-1: nobody, the partition is offline), the
/// ISR, and whether the leader came from outside the ISR.
struct StateDecision: Sendable, Equatable {
    var leader: Int32
    var isr: [Int32]
    var unclean = false
}
