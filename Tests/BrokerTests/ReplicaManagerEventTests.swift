import Foundation
import KafkaProtocol
import NIOConcurrencyHelpers
import Testing
@testable import Broker

/// The event lines a leader writes carry the partition-state version they report.
extension ReplicaManagerTests {
    func events() throws -> [[String: Any]] {
        let text = try String(contentsOfFile: "\(directory)/events.jsonl", encoding: .utf8)
        return text.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] }
    }

    @Test func leadershipAndControllerIsrChangesAreLoggedWithTheirStateVersions() throws {
        let manager = try makeManager(id: 1)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        manager.applyLeadership([decision(leader: 1, epoch: 5, version: 7, isr: [1, 2])], topicConfigs: [:])
        manager.applyLeadership([decision(leader: 1, epoch: 5, version: 8, isr: [1])], topicConfigs: [:])
        let lines = try events()
        let leaders = lines.filter { $0["event"] as? String == "became_leader" }
        #expect(leaders.map { $0["state_version"] as? Int } == [7, 8])
        #expect(leaders.first?["isr"] as? [Int] == [1, 2] && leaders.first?["leader_epoch"] as? Int == 5)
        let shrink = try #require(lines.first { $0["event"] as? String == "isr_shrink" })
        #expect(shrink["state_version"] as? Int == 8 && shrink["leader_epoch"] as? Int == 5)
        #expect(shrink["old_isr"] as? [Int] == [1, 2] && shrink["new_isr"] as? [Int] == [1])
    }
}

extension ReplicaManagerTests {
    /// Decisions for one partition applied from several threads at once (LeaderAndIsr requests on
    /// two controller connections): whatever order they land in, the partition never goes back to
    /// an older epoch and the events it writes never name one after a newer one.
    @Test func concurrentLeadershipDecisionsAreReportedInEpochOrder() throws {
        let manager = try makeManager(id: 1)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let nextEpoch = NIOLockedValueBox<Int32>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<300 {
                let epoch = nextEpoch.withLockedValue { value -> Int32 in
                    value += 1
                    return value
                }
                // Leader here at odd epochs, follower of broker 2 at even ones.
                manager.applyLeadership([decision(leader: epoch % 2 == 1 ? 1 : 2, epoch: epoch, version: epoch)], topicConfigs: [:])
            }
        }
        let epochs = try events().filter { ["became_leader", "became_follower", "resigned_leadership"].contains($0["event"] as? String) }
            .compactMap { $0["leader_epoch"] as? Int }
        #expect(epochs.count > 100)
        let regressions = zip(epochs, epochs.dropFirst()).filter { $1 < $0 }
        #expect(regressions.isEmpty, "events went back in epoch: \(regressions.prefix(5))")
        #expect(manager.partition(TopicPartition("orders", 0))?.replicaState.leaderEpoch == 1200)
    }
}
