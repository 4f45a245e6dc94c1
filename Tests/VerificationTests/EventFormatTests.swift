import Foundation
import Testing
@testable import Verification

/// The fields the event invariants read, as the brokers, the lab and the workload write them.
@Suite struct EventFormatTests {
    @Test func pollHighWatermarksAreReadByBothParsersAndOptional() throws {
        let line = #"{"index":3,"time_ns":4,"process":"c","type":"ok","f":"poll","op_id":1,"value":{"records":[{"topic":"t","partition":0,"offset":9,"value":"a"}],"hw":[{"topic":"t","partition":0,"hw":12},{"topic":"t","partition":1,"hw":0}]}}"#
        let fast = try Array(line.utf8).withUnsafeBufferPointer { try HistoryOp.parse(line: $0) }
        #expect(fast == (try JSONDecoder().decode(HistoryOp.self, from: Data(line.utf8))))
        #expect(fast.value.poll?.hw == [PartitionHighWatermark(topic: "t", partition: 0, hw: 12),
                                        PartitionHighWatermark(topic: "t", partition: 1, hw: 0)])
        let old = #"{"index":3,"time_ns":4,"process":"c","type":"ok","f":"poll","value":{"records":[]}}"#
        #expect(try Array(old.utf8).withUnsafeBufferPointer { try HistoryOp.parse(line: $0) }.value.poll?.hw == nil)
        let broken = #"{"index":3,"time_ns":4,"process":"c","type":"ok","f":"poll","value":{"records":[],"hw":[{"topic":"t"}]}}"#
        #expect(throws: (any Error).self) { try Array(broken.utf8).withUnsafeBufferPointer { try HistoryOp.parse(line: $0) } }
    }

    @Test func brokerEventsCarryStateVersionsAndElections() throws {
        let lines = [
            #"{"time_ns":5,"kind":"broker_event","observer":"broker-1","broker":1,"event":"became_leader","topic":"t","partition":0,"leader_epoch":2,"isr":[1,3],"state_version":4}"#,
            #"{"time_ns":6,"kind":"broker_event","broker":3,"event":"leader_elected","topic":"t","partition":0,"leader":2,"leader_epoch":3,"old_leader":1,"old_isr":[1,3],"new_isr":[2],"prior_state_version":4,"state_version":5,"unclean":true,"reason":"leader 1 failed","controller_epoch":1}"#,
        ]
        let records = try lines.map { try JSONDecoder().decode(TimelineRecord.self, from: Data($0.utf8)) }
        guard case .brokerEvent(let leader) = records[0].body, case .brokerEvent(let elected) = records[1].body else {
            Issue.record("not broker events")
            return
        }
        #expect(leader.isr == [1, 3] && leader.stateVersion == 4)
        #expect(elected.event == .leaderElected && elected.leader == 2 && elected.oldLeader == 1 && elected.unclean == true)
        #expect(elected.priorStateVersion == 4 && elected.stateVersion == 5 && elected.newIsr == [2])
        let report = try #require(StateReport(elected, at: 6))
        #expect(report.version == 5 && report.priorVersion == 4 && report.claimedPriorIsr == [1, 3] && report.isr == [2])
        let again = try JSONDecoder().decode(TimelineRecord.self, from: JSONEncoder().encode(records[1]))
        #expect(again == records[1])
    }

    @Test func faultStartsCarryTheirLinks() throws {
        let line = #"{"time_ns":7,"kind":"fault","id":"4","action":"start","fault":"partition","targets":["broker-1"],"links":["1->2","2->1","1->zk"]}"#
        let record = try JSONDecoder().decode(TimelineRecord.self, from: Data(line.utf8))
        guard case .fault(let fault) = record.body else {
            Issue.record("not a fault")
            return
        }
        #expect(fault.links == ["1->2", "2->1", "1->zk"])
        let conditions = BrokerConditions(Timeline(records: [record]))
        #expect(!conditions.cut(2, 1).isEmpty && !conditions.cutFromZooKeeper(1).isEmpty && conditions.cut(1, 3).isEmpty)
    }

    @Test func aTimeoutCutsItsLinksAndASliceDoesNot() throws {
        let lines = [
            #"{"time_ns":7,"kind":"fault","id":"5","action":"start","fault":"timeout","targets":["broker-2"],"links":["2->1"]}"#,
            #"{"time_ns":7,"kind":"fault","id":"6","action":"start","fault":"slice","targets":["broker-3"],"links":["3->1"]}"#,
        ]
        let records = try lines.map { try JSONDecoder().decode(TimelineRecord.self, from: Data($0.utf8)) }
        let conditions = BrokerConditions(Timeline(records: records))
        #expect(!conditions.cut(1, 2).isEmpty)
        #expect(conditions.cut(1, 3).isEmpty)
    }

    @Test func timeSpansMergeClipAndSubtract() {
        var spans = TimeSpans([(10, 20), (30, 40)])
        spans.insert(15, 32)
        #expect(spans == TimeSpans([(10, 40)]))
        #expect(spans.subtracting(TimeSpans([(12, 14), (38, 50)])) == TimeSpans([(10, 12), (14, 38)]))
        #expect(spans.clipped(to: 0, 11) == TimeSpans([(10, 11)]))
        #expect(spans.contains(10) && !spans.contains(40))
    }
}
