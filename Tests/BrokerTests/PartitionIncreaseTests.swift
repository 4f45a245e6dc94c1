import KafkaProtocol
import Testing
@testable import Broker

/// CreatePartitions' decisions: Kafka's error codes for counts and assignments that do not fit, and
/// where new partitions go when the request does not say.
@Suite struct PartitionIncreaseTests {
    let threeBrokers: Set<Int32> = [1, 2, 3]
    let orders: [Int32: [Int32]] = [0: [2, 3], 1: [3, 1]]

    func plan(_ increase: PartitionIncrease, current: [Int32: [Int32]]?, live: Set<Int32>? = nil,
              limits: PartitionLimits = .unlimited) -> Result<[Int32: [Int32]], TopicOperationFailure> {
        TopicValidation.planIncrease(increase, current: current, liveBrokers: live ?? threeBrokers, hosted: [:], limits: limits)
    }

    func failure(_ result: Result<[Int32: [Int32]], TopicOperationFailure>) -> TopicOperationResult? {
        if case .failure(let failure) = result { return failure.result }
        return nil
    }

    @Test func aMissingTopicIsUnknown() {
        #expect(failure(plan(PartitionIncrease(name: "nosuch", count: 3), current: nil))?.errorCode == .unknownTopicOrPartition)
    }

    @Test func aCountNotAboveTheCurrentOneIsInvalidPartitions() {
        let same = failure(plan(PartitionIncrease(name: "orders", count: 2), current: orders))
        #expect(same?.errorCode == .invalidPartitions && same?.message == "topic 'orders' already has 2 partitions")
        let fewer = failure(plan(PartitionIncrease(name: "orders", count: 1), current: orders))
        #expect(fewer?.errorCode == .invalidPartitions && fewer?.message?.contains("cannot be removed") == true)
    }

    @Test func theTopicLimitAppliesToTheNewTotal() {
        let limits = PartitionLimits(maxPartitionsPerTopic: 4, maxPartitionsPerBroker: 100)
        #expect(failure(plan(PartitionIncrease(name: "orders", count: 5), current: orders, limits: limits))?.errorCode == .invalidPartitions)
        #expect(failure(plan(PartitionIncrease(name: "orders", count: 4), current: orders, limits: limits)) == nil)
    }

    @Test func newPartitionsKeepTheReplicationFactorAndContinueTheSpread() throws {
        let planned = try plan(PartitionIncrease(name: "orders", count: 5), current: orders).get()
        #expect(planned.keys.sorted() == [2, 3, 4], "only the new partitions")
        #expect(planned.values.allSatisfy { $0.count == 2 && Set($0).count == 2 && Set($0).isSubset(of: threeBrokers) })
        // Partition 0's first replica is broker 2, so the spread continues from there: 2, 3, 1, 2, 3.
        #expect(planned.keys.sorted().map { planned[$0]!.first! } == [1, 2, 3])
    }

    @Test func aManualAssignmentMustFitTheTopic() throws {
        let ok = try plan(PartitionIncrease(name: "orders", count: 3, assignments: [[1, 2]]), current: orders).get()
        #expect(ok == [2: [1, 2]])
        let cases: [[[Int32]]] = [[[1, 2], [2, 3]], [[1]], [[1, 1]], [[1, 9]]]
        for assignments in cases {
            let refused = failure(plan(PartitionIncrease(name: "orders", count: 3, assignments: assignments), current: orders))
            #expect(refused?.errorCode == .invalidReplicaAssignment, "\(assignments)")
        }
    }

    @Test func theBrokerLimitCountsTheNewReplicas() {
        let limits = PartitionLimits(maxPartitionsPerTopic: 100, maxPartitionsPerBroker: 3)
        let refused = TopicValidation.planIncrease(PartitionIncrease(name: "orders", count: 4), current: [0: [1]], liveBrokers: [1],
                                                   hosted: [1: 1], limits: limits)
        #expect(failure(refused)?.errorCode == .policyViolation)
    }
}
