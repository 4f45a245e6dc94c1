import Foundation
import KafkaProtocol
import Logging
import SamsaConfig
import Testing
@testable import Broker

/// CreateTopics refuses, with Kafka's policy errors, topics past the broker's partition limits.
@Suite struct PartitionLimitsTests {
    let limits = PartitionLimits(maxPartitionsPerTopic: 100, maxPartitionsPerBroker: 250)

    @Test func topicAbovePerTopicLimitGetsInvalidPartitionsNamingTheProperty() throws {
        let refused = try #require(TopicValidation.validate(TopicCreation(name: "big", numPartitions: 12_000, replicationFactor: 1),
                                                            liveBrokers: [1], limits: limits))
        #expect(refused.errorCode == .invalidPartitions)
        #expect(refused.message?.contains("samsa.max.partitions.per.topic") == true)
        #expect(refused.message?.contains("12000") == true)
        let assigned = TopicCreation(name: "big", numPartitions: -1, replicationFactor: -1,
                                     assignment: Dictionary(uniqueKeysWithValues: (0..<101).map { (Int32($0), [Int32(1)]) }))
        #expect(TopicValidation.validate(assigned, liveBrokers: [1], limits: limits)?.errorCode == .invalidPartitions)
        #expect(TopicValidation.validate(TopicCreation(name: "ok", numPartitions: 100, replicationFactor: 1), liveBrokers: [1], limits: limits) == nil)
    }

    @Test func brokerCapacityCountsHostedReplicasOfEveryBroker() {
        let assignment = TopicValidation.assignReplicas(partitions: 60, replicationFactor: 2, brokers: [1, 2, 3], startIndex: 0, shift: 0)
        #expect(TopicValidation.checkCapacity("t", assignment: assignment, hosted: [1: 200, 2: 200, 3: 200], limits: limits) == nil)
        let refused = TopicValidation.checkCapacity("t", assignment: assignment, hosted: [1: 200, 2: 211, 3: 200], limits: limits)
        #expect(refused?.errorCode == .policyViolation)
        #expect(refused?.message?.contains("broker 2") == true)
        #expect(refused?.message?.contains("samsa.max.partitions.per.broker") == true)
    }

    @Test func configDefaultsAndOverrides() throws {
        let defaults = try BrokerConfig(file: try PropertiesFile.parse("broker.id=1\n", source: "test"))
        #expect(defaults.partitionLimits == PartitionLimits(maxPartitionsPerTopic: 4096, maxPartitionsPerBroker: 10_000))
        let set = try BrokerConfig(file: try PropertiesFile.parse(
            "samsa.max.partitions.per.topic=10\nsamsa.max.partitions.per.broker=20\n", source: "test"))
        #expect(set.partitionLimits == PartitionLimits(maxPartitionsPerTopic: 10, maxPartitionsPerBroker: 20))
        #expect(BrokerProperties.validate(key: "samsa.max.partitions.per.topic", value: "0") != nil)
    }

    @Test func standaloneControlPlaneRefusesPastTheBrokerLimit() async throws {
        let directory = NSTemporaryDirectory() + "samsa-limits-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try BrokerConfig(file: try PropertiesFile.parse(
            "broker.id=1\nlog.dirs=\(directory)\nsamsa.max.partitions.per.broker=30\n", source: "test"))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let events = try EventLog(path: directory + "/events.jsonl", brokerId: 1)
        let manager = try ReplicaManager(config: config, logger: Logger(label: "test"), events: events, metrics: BrokerMetrics())
        let metadata = MetadataCache(ClusterMetadata(clusterId: ""))
        let control = try LocalControlPlane(config: config, replicaManager: manager, metadata: metadata, logger: Logger(label: "test"))
        let first = await control.createTopics([TopicCreation(name: "a", numPartitions: 20, replicationFactor: 1)], validateOnly: false)
        #expect(first.map(\.errorCode) == [.none])
        let second = await control.createTopics([TopicCreation(name: "b", numPartitions: 11, replicationFactor: 1),
                                                 TopicCreation(name: "c", numPartitions: 10, replicationFactor: 1)], validateOnly: false)
        #expect(second.map(\.errorCode) == [.policyViolation, .none])
        let third = await control.createTopics([TopicCreation(name: "d", numPartitions: 1, replicationFactor: 1)], validateOnly: true)
        #expect(third.map(\.errorCode) == [.policyViolation])
        manager.shutdown()
    }

    @Test func standaloneControlPlaneRefusesToStartATopicAtTheLargestEpoch() throws {
        let directory = NSTemporaryDirectory() + "samsa-epoch-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let config = try BrokerConfig(file: try PropertiesFile.parse("broker.id=1\nlog.dirs=\(directory)\n", source: "test"))
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let document = #"{"clusterId": "c", "nextProducerId": 1000, "topics": {"t": {"partitions": 1, "configs": {}, "leaderEpoch": 2147483647}}}"#
        try Data(document.utf8).write(to: URL(fileURLWithPath: directory + "/standalone-metadata.json"))
        let events = try EventLog(path: directory + "/events.jsonl", brokerId: 1)
        let manager = try ReplicaManager(config: config, logger: Logger(label: "test"), events: events, metrics: BrokerMetrics())
        defer { manager.shutdown() }
        #expect {
            _ = try LocalControlPlane(config: config, replicaManager: manager, metadata: MetadataCache(ClusterMetadata(clusterId: "")),
                                      logger: Logger(label: "test"))
        } throws: { error in
            "\(error)".contains("topic 't'") && "\(error)".contains("largest leader epoch (2147483647)")
        }
    }

    @Test func numIoThreadsSizesTheStoragePoolAndItsDefaultIsBoundedByTheMachine() throws {
        let unset = try BrokerConfig(file: try PropertiesFile.parse("broker.id=1\n", source: "test"))
        #expect(unset.ioThreads == min(8, ProcessInfo.processInfo.activeProcessorCount))
        #expect(!unset.ignoredKeys.contains("num.io.threads"))
        let set = try BrokerConfig(file: try PropertiesFile.parse("broker.id=1\nnum.io.threads=3\n", source: "test"))
        #expect(set.ioThreads == 3 && set.values["num.io.threads"] == "3")
        #expect(throws: (any Error).self) { try BrokerConfig(file: try PropertiesFile.parse("num.io.threads=0\n", source: "test")) }
    }
}
