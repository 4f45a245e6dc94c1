import KafkaProtocol
import NIOCore
import Testing
@testable import Replication

@Suite struct GroupStateMachineTests {
    let machine = GroupStateMachine(minSessionTimeoutMs: 1000, maxSessionTimeoutMs: 60_000, initialRebalanceDelayMs: 0)

    func input(_ memberId: String, protocols: [String] = ["range"], v4: Bool = true, session: Int32 = 10_000, rebalance: Int32 = 30_000) -> JoinInput {
        JoinInput(memberId: memberId, clientId: "client", clientHost: "/127.0.0.1", sessionTimeoutMs: session, rebalanceTimeoutMs: rebalance,
                  protocolType: "consumer", protocols: protocols.map { .init(name: $0, metadata: ByteBuffer(string: "meta-\($0)")) },
                  requireKnownMemberId: v4)
    }

    /// Joins a member with the v4 two-step handshake; returns its id and the outputs of the second join.
    func joinMember(_ group: inout GroupState, id: String, now: Int64, protocols: [String] = ["range"]) -> (JoinResult?, [GroupOutput]) {
        let (first, _) = machine.join(&group, input("", protocols: protocols), newMemberId: id, nowMs: now)
        #expect(first?.errorCode == .memberIdRequired && first?.memberId == id)
        return machine.join(&group, input(id, protocols: protocols), newMemberId: "unused", nowMs: now)
    }

    @Test func singleMemberJoinsSyncsAndIsStable() {
        var group = GroupState(groupId: "g", nowMs: 0)
        let (immediate, outputs) = joinMember(&group, id: "a", now: 0)
        #expect(immediate == nil)
        guard case .joinResponse(let id, let result) = outputs.first else { Issue.record("no join response"); return }
        #expect(id == "a" && result.generationId == 1 && result.leaderId == "a" && result.members.count == 1 && result.protocolName == "range")
        #expect(group.phase == .completingRebalance)
        let (sync, syncOutputs) = machine.sync(&group, memberId: "a", generationId: 1, assignments: ["a": ByteBuffer(string: "all")], nowMs: 1)
        #expect(sync == nil)
        #expect(syncOutputs.contains(.persist))
        #expect(syncOutputs.contains(.syncResponse(memberId: "a", SyncResult(errorCode: .none, assignment: ByteBuffer(string: "all")))))
        #expect(group.phase == .stable)
        #expect(machine.heartbeat(&group, memberId: "a", generationId: 1, nowMs: 2) == .none)
    }

    @Test func secondMemberTriggersRebalanceAndOnlyTheLeaderGetsMetadata() {
        var group = GroupState(groupId: "g", nowMs: 0)
        _ = joinMember(&group, id: "a", now: 0)
        _ = machine.sync(&group, memberId: "a", generationId: 1, assignments: [:], nowMs: 0)
        let (waiting, none) = joinMember(&group, id: "b", now: 10)
        #expect(waiting == nil && none.isEmpty, "b waits for a to rejoin")
        #expect(group.phase == .preparingRebalance)
        #expect(machine.heartbeat(&group, memberId: "a", generationId: 1, nowMs: 11) == .rebalanceInProgress)
        let (_, outputs) = machine.join(&group, input("a"), newMemberId: "x", nowMs: 12)
        let answers = outputs.compactMap { output -> (String, JoinResult)? in
            if case .joinResponse(let id, let result) = output { return (id, result) } else { return nil }
        }
        #expect(Set(answers.map(\.0)) == ["a", "b"])
        #expect(answers.first { $0.0 == "a" }!.1.members.count == 2)
        #expect(answers.first { $0.0 == "b" }!.1.members.isEmpty)
        #expect(group.generationId == 2)
        let (followerSync, _) = machine.sync(&group, memberId: "b", generationId: 2, assignments: [:], nowMs: 13)
        #expect(followerSync == nil, "the follower waits for the leader")
        let (_, leaderOutputs) = machine.sync(&group, memberId: "a", generationId: 2,
                                              assignments: ["a": ByteBuffer(string: "p0"), "b": ByteBuffer(string: "p1")], nowMs: 14)
        #expect(leaderOutputs.contains(.syncResponse(memberId: "b", SyncResult(errorCode: .none, assignment: ByteBuffer(string: "p1")))))
    }

    @Test func memberThatDoesNotRejoinIsDroppedAtTheRebalanceDeadline() {
        var group = GroupState(groupId: "g", nowMs: 0)
        _ = joinMember(&group, id: "a", now: 0)
        _ = machine.sync(&group, memberId: "a", generationId: 1, assignments: [:], nowMs: 0)
        _ = joinMember(&group, id: "b", now: 100)
        // "a" keeps heartbeating (so its session stays alive) but never rejoins.
        for now in stride(from: Int64(5_000), to: 30_000, by: 5_000) {
            #expect(machine.heartbeat(&group, memberId: "a", generationId: 1, nowMs: now) == .rebalanceInProgress)
            #expect(machine.tick(&group, nowMs: now).isEmpty)
        }
        let outputs = machine.tick(&group, nowMs: 100 + 30_001)
        #expect(outputs.contains { if case .joinResponse("b", let result) = $0 { return result.leaderId == "b" } else { return false } })
        #expect(!group.hasMember("a") && group.leaderId == "b")
    }

    @Test func sessionExpiryRemovesTheMemberAndRebalances() {
        var group = GroupState(groupId: "g", nowMs: 0)
        _ = joinMember(&group, id: "a", now: 0)
        _ = machine.sync(&group, memberId: "a", generationId: 1, assignments: [:], nowMs: 0)
        #expect(machine.tick(&group, nowMs: 9_999).isEmpty)
        let outputs = machine.tick(&group, nowMs: 10_001)
        #expect(outputs.contains(.persist))
        #expect(group.phase == .empty && group.members.isEmpty && group.generationId == 2)
    }

    @Test func errorsForStrangersAndStaleGenerations() {
        var group = GroupState(groupId: "g", nowMs: 0)
        _ = joinMember(&group, id: "a", now: 0)
        #expect(machine.heartbeat(&group, memberId: "zzz", generationId: 1, nowMs: 1) == .unknownMemberId)
        #expect(machine.heartbeat(&group, memberId: "a", generationId: 0, nowMs: 1) == .illegalGeneration)
        #expect(machine.sync(&group, memberId: "a", generationId: 7, assignments: [:], nowMs: 1).0?.errorCode == .illegalGeneration)
        #expect(machine.join(&group, input("zzz"), newMemberId: "q", nowMs: 1).0?.errorCode == .unknownMemberId)
        #expect(machine.join(&group, input("", session: 10), newMemberId: "q", nowMs: 1).0?.errorCode == .invalidSessionTimeout)
        #expect(machine.join(&group, input("", protocols: ["sticky"]), newMemberId: "q", nowMs: 1).0?.errorCode == .inconsistentGroupProtocol)
        #expect(machine.commitCheck(group, memberId: "a", generationId: 1) == .rebalanceInProgress)
    }

    @Test func oldClientsJoinWithoutTheMemberIdHandshake() {
        var group = GroupState(groupId: "g", nowMs: 0)
        let (immediate, outputs) = machine.join(&group, input("", v4: false), newMemberId: "a-1", nowMs: 0)
        #expect(immediate == nil)
        #expect(outputs.contains { if case .joinResponse("a-1", _) = $0 { return true } else { return false } })
    }

    @Test func leaveTriggersRebalanceForTheRest() {
        var group = GroupState(groupId: "g", nowMs: 0)
        _ = joinMember(&group, id: "a", now: 0)
        _ = joinMember(&group, id: "b", now: 0)
        _ = machine.join(&group, input("a"), newMemberId: "x", nowMs: 0)
        _ = machine.sync(&group, memberId: "a", generationId: group.generationId, assignments: [:], nowMs: 0)
        let generation = group.generationId
        let (code, _) = machine.leave(&group, memberId: "b", nowMs: 5)
        #expect(code == .none && group.phase == .preparingRebalance)
        let (_, outputs) = machine.join(&group, input("a"), newMemberId: "x", nowMs: 6)
        #expect(outputs.contains { if case .joinResponse("a", let r) = $0 { return r.generationId == generation + 1 } else { return false } })
    }

    @Test func protocolIsChosenByVote() {
        var group = GroupState(groupId: "g", nowMs: 0)
        _ = joinMember(&group, id: "a", now: 0, protocols: ["roundrobin", "range"])
        _ = joinMember(&group, id: "b", now: 0, protocols: ["range", "roundrobin"])
        _ = joinMember(&group, id: "c", now: 0, protocols: ["range", "roundrobin"])
        #expect(group.selectProtocol() == "range")
    }

    @Test func initialDelayHoldsTheFirstRebalance() {
        let delayed = GroupStateMachine(minSessionTimeoutMs: 1000, maxSessionTimeoutMs: 60_000, initialRebalanceDelayMs: 3000)
        var group = GroupState(groupId: "g", nowMs: 0)
        _ = delayed.join(&group, input(""), newMemberId: "a", nowMs: 0)
        let (_, outputs) = delayed.join(&group, input("a"), newMemberId: "x", nowMs: 0)
        #expect(outputs.isEmpty, "an empty group waits group.initial.rebalance.delay.ms")
        #expect(delayed.tick(&group, nowMs: 2999).isEmpty)
        #expect(delayed.tick(&group, nowMs: 3001).contains { if case .joinResponse("a", _) = $0 { return true } else { return false } })
    }

    @Test func simpleCommitsNeedAnEmptyGroup() {
        var group = GroupState(groupId: "g", nowMs: 0)
        #expect(machine.commitCheck(group, memberId: "", generationId: -1) == .none)
        _ = joinMember(&group, id: "a", now: 0)
        _ = machine.sync(&group, memberId: "a", generationId: 1, assignments: [:], nowMs: 0)
        #expect(machine.commitCheck(group, memberId: "", generationId: -1) == .unknownMemberId)
        #expect(machine.commitCheck(group, memberId: "a", generationId: 1) == .none)
    }
}

@Suite struct ProducerStateTableTests {
    @Test func sequencesMustFollowOnAndRetriesAreDuplicates() {
        var table = ProducerStateTable()
        #expect(table.check(producerId: 7, epoch: 0, firstSequence: 0, lastSequence: 4) == .append)
        table.record(producerId: 7, epoch: 0, firstSequence: 0, lastSequence: 4, firstOffset: 100, lastOffset: 104)
        #expect(table.check(producerId: 7, epoch: 0, firstSequence: 0, lastSequence: 4) == .duplicate(firstOffset: 100, lastOffset: 104))
        #expect(table.check(producerId: 7, epoch: 0, firstSequence: 5, lastSequence: 9) == .append)
        if case .reject(let code, _) = table.check(producerId: 7, epoch: 0, firstSequence: 7, lastSequence: 9) {
            #expect(code == .outOfOrderSequenceNumber)
        } else { Issue.record("a gap must be rejected") }
    }

    @Test func epochsFenceOldProducersAndRestartSequences() {
        var table = ProducerStateTable()
        table.record(producerId: 7, epoch: 3, firstSequence: 0, lastSequence: 0, firstOffset: 0, lastOffset: 0)
        if case .reject(let code, _) = table.check(producerId: 7, epoch: 2, firstSequence: 1, lastSequence: 1) {
            #expect(code == .invalidProducerEpoch)
        } else { Issue.record("an older epoch must be fenced") }
        #expect(table.check(producerId: 7, epoch: 4, firstSequence: 0, lastSequence: 0) == .append)
        if case .reject(let code, _) = table.check(producerId: 7, epoch: 4, firstSequence: 3, lastSequence: 3) {
            #expect(code == .outOfOrderSequenceNumber)
        } else { Issue.record("a new epoch must start at 0") }
        if case .reject(let code, _) = table.check(producerId: 99, epoch: 0, firstSequence: 5, lastSequence: 5) {
            #expect(code == .unknownProducerId)
        } else { Issue.record("unknown producers must start at 0") }
    }

    @Test func onlyTheLastFiveBatchesAreKept() {
        var table = ProducerStateTable()
        for batch in 0..<8 {
            let first = Int32(batch * 2)
            table.record(producerId: 1, epoch: 0, firstSequence: first, lastSequence: first + 1, firstOffset: Int64(first), lastOffset: Int64(first + 1))
        }
        #expect(table.producers[1]!.batches.count == 5)
        if case .reject = table.check(producerId: 1, epoch: 0, firstSequence: 0, lastSequence: 1) {} else {
            Issue.record("a batch older than the last five is no longer recognised as a duplicate")
        }
        #expect(table.check(producerId: 1, epoch: 0, firstSequence: 14, lastSequence: 15) == .duplicate(firstOffset: 14, lastOffset: 15))
    }

    @Test func sequenceWrapsAtInt32Max() {
        var table = ProducerStateTable()
        table.record(producerId: 1, epoch: 0, firstSequence: Int32.max - 1, lastSequence: Int32.max, firstOffset: 0, lastOffset: 1)
        #expect(table.check(producerId: 1, epoch: 0, firstSequence: 0, lastSequence: 3) == .append)
    }
}
