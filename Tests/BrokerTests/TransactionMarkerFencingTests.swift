import Foundation
import KafkaProtocol
import Logging
import LogStore
import NIOCore
import Replication
import SamsaConfig
import Testing
@testable import Broker

/// A partition leader refuses a transaction marker from a coordinator epoch older than the last one
/// it saw for the producer (Kafka's TRANSACTION_COORDINATOR_FENCED), and remembers that epoch
/// across a restart because it is read back from the markers in the log.
@Suite struct TransactionMarkerFencingTests {
    let directory = NSTemporaryDirectory() + "samsa-marker-fencing-" + UUID().uuidString

    func leaderPartition() throws -> Partition {
        let config = try BrokerConfig(file: try PropertiesFile.parse("broker.id=1\nlog.dirs=\(directory)/data\n", source: "test"))
        let log = try PartitionLog(directory: directory + "/orders-0", config: LogConfig(), logger: Logger(label: "test"))
        let partition = Partition(topicPartition: TopicPartition("orders", 0), log: log, brokerId: 1,
                                  config: TopicConfig(overrides: [:], broker: config), lagTimeMaxMs: 1000) { _, _ in }
        partition.becomeLeader(PartitionLeadership(topicPartition: TopicPartition("orders", 0), leader: 1, leaderEpoch: 1, isr: [1],
                                                   replicas: [1], controllerEpoch: 1, stateVersion: 1), nowMs: 0)
        return partition
    }

    func marker(_ partition: Partition, producerId: Int64, coordinatorEpoch: Int32) -> ErrorCode {
        switch partition.appendMarker(producerId: producerId, producerEpoch: 0, committed: true, coordinatorEpoch: coordinatorEpoch, nowMs: 0) {
        case .appended: return .none
        case .rejected(let code, _): return code
        }
    }

    @Test func markerFromAnOlderCoordinatorEpochIsFencedAlsoAfterARestart() throws {
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let partition = try leaderPartition()
        #expect(marker(partition, producerId: 7, coordinatorEpoch: 3) == .none)
        #expect(marker(partition, producerId: 7, coordinatorEpoch: 2) == .transactionCoordinatorFenced)
        #expect(marker(partition, producerId: 7, coordinatorEpoch: 3) == .none, "the same coordinator epoch writes again")
        #expect(marker(partition, producerId: 8, coordinatorEpoch: 1) == .none, "the epoch is kept per producer")
        #expect(partition.status.logEndOffset == 3, "the fenced marker was not written")
        partition.close()

        let reopened = try leaderPartition()
        #expect(marker(reopened, producerId: 7, coordinatorEpoch: 2) == .transactionCoordinatorFenced)
        #expect(marker(reopened, producerId: 7, coordinatorEpoch: 4) == .none)
        #expect(marker(reopened, producerId: 7, coordinatorEpoch: 3) == .transactionCoordinatorFenced)
        reopened.close()
    }
}
