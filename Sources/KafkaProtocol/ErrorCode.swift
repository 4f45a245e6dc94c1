/// Kafka's error codes, with Kafka's numbers and names. Only these go on the wire; Samsa never
/// invents a code. Values not listed here still round-trip through `init(rawValue:)` failing, so
/// decoders keep the raw Int16 where a peer may send a code this list lacks.
public enum ErrorCode: Int16, Sendable, CaseIterable, CustomStringConvertible {
    case unknownServerError = -1
    case none = 0
    case offsetOutOfRange = 1
    case corruptMessage = 2
    case unknownTopicOrPartition = 3
    case invalidFetchSize = 4
    case leaderNotAvailable = 5
    case notLeaderOrFollower = 6
    case requestTimedOut = 7
    case brokerNotAvailable = 8
    case replicaNotAvailable = 9
    case messageTooLarge = 10
    case staleControllerEpoch = 11
    case offsetMetadataTooLarge = 12
    case networkException = 13
    case coordinatorLoadInProgress = 14
    case coordinatorNotAvailable = 15
    case notCoordinator = 16
    case invalidTopicException = 17
    case recordListTooLarge = 18
    case notEnoughReplicas = 19
    case notEnoughReplicasAfterAppend = 20
    case invalidRequiredAcks = 21
    case illegalGeneration = 22
    case inconsistentGroupProtocol = 23
    case invalidGroupId = 24
    case unknownMemberId = 25
    case invalidSessionTimeout = 26
    case rebalanceInProgress = 27
    case invalidCommitOffsetSize = 28
    case topicAuthorizationFailed = 29
    case groupAuthorizationFailed = 30
    case clusterAuthorizationFailed = 31
    case invalidTimestamp = 32
    case unsupportedSaslMechanism = 33
    case illegalSaslState = 34
    case unsupportedVersion = 35
    case topicAlreadyExists = 36
    case invalidPartitions = 37
    case invalidReplicationFactor = 38
    case invalidReplicaAssignment = 39
    case invalidConfig = 40
    case notController = 41
    case invalidRequest = 42
    case unsupportedForMessageFormat = 43
    case policyViolation = 44
    case outOfOrderSequenceNumber = 45
    case duplicateSequenceNumber = 46
    case invalidProducerEpoch = 47
    case invalidTxnState = 48
    case invalidProducerIdMapping = 49
    case invalidTransactionTimeout = 50
    case concurrentTransactions = 51
    case transactionCoordinatorFenced = 52
    case transactionalIdAuthorizationFailed = 53
    case securityDisabled = 54
    case operationNotAttempted = 55
    case kafkaStorageError = 56
    case logDirNotFound = 57
    case saslAuthenticationFailed = 58
    case unknownProducerId = 59
    case reassignmentInProgress = 60
    case nonEmptyGroup = 68
    case groupIdNotFound = 69
    case fetchSessionIdNotFound = 70
    case invalidFetchSessionEpoch = 71
    case listenerNotFound = 72
    case topicDeletionDisabled = 73
    case fencedLeaderEpoch = 74
    case unknownLeaderEpoch = 75
    case unsupportedCompressionType = 76
    case staleBrokerEpoch = 77
    case offsetNotAvailable = 78
    case memberIdRequired = 79
    case preferredLeaderNotAvailable = 80
    case groupMaxSizeReached = 81
    case fencedInstanceId = 82
    case eligibleLeadersNotAvailable = 83
    case electionNotNeeded = 84
    case invalidRecord = 87
    case unstableOffsetCommit = 88

    /// Kafka's upper-snake-case name, as clients print it.
    public var name: String {
        var out = ""
        for character in String(describing: self) {
            if character.isUppercase { out.append("_") }
            out.append(Character(character.uppercased()))
        }
        return out
    }

    public var description: String { "\(name) (\(rawValue))" }

    /// Whether a client should retry the request after refreshing metadata, as Kafka classifies it.
    public var isRetriable: Bool {
        switch self {
        case .corruptMessage, .unknownTopicOrPartition, .leaderNotAvailable, .notLeaderOrFollower,
             .requestTimedOut, .networkException, .coordinatorLoadInProgress, .coordinatorNotAvailable,
             .notCoordinator, .notEnoughReplicas, .notEnoughReplicasAfterAppend, .notController,
             .kafkaStorageError, .fencedLeaderEpoch, .unknownLeaderEpoch, .offsetNotAvailable,
             .preferredLeaderNotAvailable, .eligibleLeadersNotAvailable, .replicaNotAvailable:
            return true
        default:
            return false
        }
    }

    /// A readable name for a raw code, including codes this enum does not list.
    public static func describe(_ raw: Int16) -> String {
        ErrorCode(rawValue: raw)?.description ?? "error \(raw)"
    }
}
