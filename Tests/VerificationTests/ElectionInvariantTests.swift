import Testing
@testable import Verification

private typealias F = EventFixtures

private func parameters(unclean topic: Bool = false, brokerDefault: Bool = false) -> RunParameters {
    RunParameters(topics: ["t": TopicSettings(partitions: 1, replicationFactor: 3, minInSyncReplicas: 2, uncleanLeaderElection: topic)],
                  uncleanLeaderElectionDefault: brokerDefault)
}

private func unclean(_ records: [TimelineRecord], _ parameters: RunParameters) -> CheckResult<UncleanElection> {
    LeaderElectionCheckers.uncleanElections(Timeline(records: records), parameters: parameters, limit: 100)
}

private func outside(_ records: [TimelineRecord], _ parameters: RunParameters = parameters()) -> CheckResult<LeaderOutsideIsr> {
    let timeline = Timeline(records: records)
    return LeaderElectionCheckers.leaderOutsideIsr(PartitionStateChain(timeline), timeline: timeline, parameters: parameters, limit: 100)
}

private func uncleanEvent(_ timeMs: Int64, topic: String = "t", version: Int32? = 2) -> TimelineRecord {
    F.broker(timeMs, BrokerEvent(broker: 3, event: .uncleanElection, topic: topic, partition: 0, leaderEpoch: 1, leader: 2,
                                 oldIsr: [1], stateVersion: version))
}

/// A partition created with ISR [1, 2, 3] led by 1 (version 0), whose leader then dropped 2
/// (version 1), as the controller and the leader report it.
private let createdThenShrunk: [TimelineRecord] = [
    F.elected(0, controller: 3, leader: 1, epoch: 0, oldIsr: [], newIsr: [1, 2, 3], prior: -1, version: 0),
    F.becameLeader(5, broker: 1, epoch: 0, isr: [1, 2, 3], version: 0),
    F.isrChange(1000, broker: 1, epoch: 0, old: [1, 2, 3], new: [1, 3], version: 1),
]

@Suite struct UncleanElectionTests {
    @Test func uncleanElectionWhileDisabledIsInvalid() {
        let result = unclean([uncleanEvent(100)], parameters())
        #expect(result.verdict == .invalid)
        #expect(result.count == 1)
        let found = result.anomalies[0]
        #expect(found.topic == "t" && found.leader == 2 && found.leaderEpoch == 1 && found.stateVersion == 2)
        #expect(found.oldIsr == [1] && found.broker == 3 && found.timeNs == 100 * F.ms)
    }

    @Test func uncleanElectionTheTopicEnablesIsValid() {
        let result = unclean([uncleanEvent(100)], parameters(unclean: true))
        #expect(result.verdict == .valid)
        #expect(result.notes.contains { $0.contains("1 unclean election(s) on topics that enable it") })
    }

    @Test func theTopicSettingOverridesTheBrokers() {
        #expect(unclean([uncleanEvent(100)], parameters(unclean: false, brokerDefault: true)).verdict == .invalid)
        // A topic the run did not list (an internal one) follows the brokers' setting.
        #expect(unclean([uncleanEvent(100, topic: "other")], parameters(brokerDefault: true)).verdict == .valid)
        #expect(unclean([uncleanEvent(100, topic: "other")], parameters()).verdict == .invalid)
    }

    @Test func oneElectionReportedByBothEventsCountsOnce() {
        let records = [
            uncleanEvent(100),
            F.elected(100, controller: 3, leader: 2, epoch: 1, oldIsr: [1], newIsr: [2], prior: 1, version: 2, unclean: true),
        ]
        #expect(unclean(records, parameters()).count == 1)
    }

    @Test func aTimelineWithoutBrokerEventsIsUnknown() {
        let result = unclean([F.metadata(0, leader: 1, isr: [1, 2, 3])], parameters())
        #expect(result.verdict == .unknown)
        #expect(result.notes.contains { $0.contains("no broker events") })
    }
}

@Suite struct LeaderOutsideIsrTests {
    @Test func anElectionFromAStaleIsrIsCaughtFromTheLeadersReport() {
        // The controller elects 2 saying it read [1, 2, 3] at version 1 — but the leader's own
        // report of version 1 says the ISR was [1, 3].
        let result = outside(createdThenShrunk + [
            F.elected(2000, controller: 3, leader: 2, epoch: 1, oldIsr: [1, 2, 3], newIsr: [2, 3], prior: 1, version: 2),
            F.becameLeader(2010, broker: 2, epoch: 1, isr: [2, 3], version: 2),
        ])
        #expect(result.verdict == .invalid)
        let found = result.anomalies[0]
        #expect(found.elected.leader == 2 && found.elected.version == 2 && found.elected.leaderEpoch == 1)
        #expect(found.elected.claimedPriorIsr == [1, 2, 3])
        #expect(found.replaced.isr == [1, 3] && found.replaced.broker == 1 && found.replaced.event == .isrShrink)
    }

    @Test func anElectionFromTheCommittedIsrIsValid() {
        let result = outside(createdThenShrunk + [
            F.elected(2000, controller: 3, leader: 3, epoch: 1, oldIsr: [1, 3], newIsr: [3], prior: 1, version: 2),
            F.becameLeader(2010, broker: 3, epoch: 1, isr: [3], version: 2),
        ])
        #expect(result.verdict == .valid)
        #expect(result.notes.contains("1 election(s) judged against the ISR they replaced"))
    }

    @Test func theNewLeadersOwnReportSufficesWithoutTheControllers() {
        let records = createdThenShrunk.filter {
            if case .brokerEvent(let event) = $0.body { return event.event != .leaderElected }
            return true
        } + [F.becameLeader(2010, broker: 2, epoch: 1, isr: [2, 3], version: 2)]
        let result = outside(records)
        #expect(result.verdict == .invalid)
        #expect(result.anomalies.first?.elected.event == .becameLeader)
    }

    @Test func uncleanElectionAllowedByTheTopicIsNotALeaderOutsideTheIsr() {
        let records = createdThenShrunk + [F.becameLeader(2010, broker: 2, epoch: 1, isr: [2], version: 2)]
        #expect(outside(records, parameters(unclean: true)).verdict == .valid)
    }

    @Test func anElectionWhosePredecessorNobodyReportedIsNotJudged() {
        // Version 1 (the leader's shrink) was written but never reported: the leader died first.
        let records = Array(createdThenShrunk.prefix(2)) + [
            F.elected(2000, controller: 3, leader: 2, epoch: 1, oldIsr: [1, 2, 3], newIsr: [2, 3], prior: 1, version: 2),
        ]
        let result = outside(records)
        #expect(result.verdict == .unknown)
        #expect(result.notes.contains { $0.hasPrefix("1 election(s) not judged") && $0.contains("t/0 v2") })
    }

    @Test func conflictingReportsOfAVersionAreNotUsed() {
        let result = outside(createdThenShrunk + [
            F.isrChange(1000, broker: 3, epoch: 0, old: [1, 2, 3], new: [1, 2], version: 1),
            F.becameLeader(2010, broker: 2, epoch: 1, isr: [2, 3], version: 2),
        ])
        #expect(result.verdict == .unknown)
        #expect(result.notes.contains { $0.contains("1 state version(s) reported with different contents") })
    }

    @Test func eventsWithoutStateVersionsAreUnknown() {
        let result = outside([
            F.becameLeader(0, broker: 1, epoch: 0, isr: [1, 2, 3], version: nil),
            F.becameLeader(100, broker: 2, epoch: 1, isr: [2, 3], version: nil),
        ])
        #expect(result.verdict == .unknown)
        #expect(result.notes.contains { $0.contains("2 leadership/ISR event(s) carry no state_version") })
    }

    @Test func aRecreatedTopicStartsANewChain() {
        // The topic was deleted and created again: its versions start over at 0 with another ISR.
        let records = createdThenShrunk + [
            F.elected(5000, controller: 3, leader: 2, epoch: 0, oldIsr: [], newIsr: [2, 3], prior: -1, version: 0),
            F.elected(6000, controller: 3, leader: 3, epoch: 1, oldIsr: [2, 3], newIsr: [3], prior: 0, version: 1),
        ]
        let result = outside(records)
        #expect(result.verdict == .valid)
        #expect(result.notes.contains("1 election(s) judged against the ISR they replaced"))
    }
}
