import Foundation
import KafkaProtocol
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
