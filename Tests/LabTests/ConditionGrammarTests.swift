import Testing
@testable import Lab

@Suite struct ConditionGrammarTests {
    @Test(arguments: [
        ("isr orders/0 == 1", Condition.isrSize(topic: "orders", partition: 0, .equal, 1)),
        ("isr orders/0<=2", .isrSize(topic: "orders", partition: 0, .lessOrEqual, 2)),
        ("isr my.topic/12 != 3", .isrSize(topic: "my.topic", partition: 12, .notEqual, 3)),
        ("under_min_isr orders/1", .underMinIsr(topic: "orders", partition: 1)),
        ("lag followers_of orders/0 >= 100", .followerLag(topic: "orders", partition: 0, .greaterOrEqual, 100)),
        ("lag followers_of orders/0 > 0", .followerLag(topic: "orders", partition: 0, .greater, 0)),
        ("leader orders/0 == 2", .leader(topic: "orders", partition: 0, .equal, 2)),
        ("leader orders/0 != none", .leader(topic: "orders", partition: 0, .notEqual, -1)),
        ("leader orders/0 == none", .leader(topic: "orders", partition: 0, .equal, -1)),
    ])
    func parsesEveryCondition(_ line: String, _ expected: Condition) throws {
        #expect(try ConditionParser.parse(line) == expected)
        #expect(try ConditionParser.parse(expected.description) == expected, "description parses back: \(expected.description)")
    }

    @Test(arguments: [
        ("isrr orders/0 == 1", 0, "did you mean 'isr'?"),
        ("replicas orders/0 == 1", 0, nil),
        ("isr orders == 1", 4, "e.g. orders/0"),
        ("isr orders/0 =< 1", 13, nil),
        ("isr orders/0 == one", 16, nil),
        ("isr orders/0 ==", 15, nil),
        ("isr orders/0 == -1", 16, nil),
        ("lag leader_of orders/0 >= 1", 4, "e.g. lag followers_of orders/0 >= 100"),
        ("leader orders/0 >= 1", 16, nil),
        ("leader orders/0 == zero", 19, "a broker id (1, 2, …) or none"),
        ("under_min_isr orders/0 now", 23, nil),
    ])
    func rejectsBadConditionsAtTheOffendingWord(_ line: String, _ offset: Int, _ hint: String?) {
        #expect {
            try ConditionParser.parse(line)
        } throws: { error in
            guard let error = error as? CommandParseError else { return false }
            return error.offset == offset && (hint == nil || error.hint == hint)
        }
    }

    @Test func awaitIsACommandOfTheFaultGrammarWithADefaultTimeout() throws {
        #expect(try FaultParser.parse("await isr orders/0 == 1")
            == .awaitCondition(.isrSize(topic: "orders", partition: 0, .equal, 1), timeoutMs: FaultCommand.defaultAwaitTimeoutMs))
        let timed = try FaultParser.parse("await lag followers_of orders/0 >= 50 --timeout 2s")
        #expect(timed == .awaitCondition(.followerLag(topic: "orders", partition: 0, .greaterOrEqual, 50), timeoutMs: 2000))
        #expect(try FaultParser.parse(timed.description) == timed)
    }

    @Test(arguments: [
        ("await", 5),
        ("await isr orders/0 == 1 --timeout", 33),
        ("await isr orders/0 == 1 --timeout 0s", 34),
        ("await isr orders/0 == 1 --timeout 11m", 34),
        ("await isr orders/0 == 1 --wait 2s", 24),
    ])
    func rejectsBadAwaits(_ line: String, _ offset: Int) {
        #expect {
            try FaultParser.parse(line)
        } throws: { error in
            (error as? CommandParseError)?.offset == offset
        }
    }

    @Test func powerLossHealNetworkAndInSyncFollowerParseAndPrintBack() throws {
        let commands: [(String, FaultCommand)] = [
            ("power-loss all", .powerLoss(.all)),
            ("power-loss 2", .powerLoss(.broker(2))),
            ("heal network", .healNetwork),
            ("isolate in_sync_follower_of orders/0", .isolate(.inSyncFollowerOf(topic: "orders", partition: 0))),
        ]
        for (line, expected) in commands {
            #expect(try FaultParser.parse(line) == expected)
            #expect(try FaultParser.parse(expected.description) == expected)
        }
        #expect(FaultCommand.powerLoss(.all).name == "power-loss")
        #expect(FaultCommand.powerLoss(.all).isNetworkFault == false)
    }
}

@Suite struct ConditionEvaluationTests {
    let facts = PartitionFacts(leader: 1, isr: [1, 3], replicas: [1, 2, 3], minInSyncReplicas: 2,
                               logEndOffsets: [1: 1200, 2: 1100, 3: 1150])

    @Test func isrSizeComparesTheCurrentIsr() {
        let holds = ConditionEvaluation.evaluate(.isrSize(topic: "t", partition: 0, .equal, 2), facts: facts)
        #expect(holds.holds && holds.value == 2)
        #expect(holds.observed == "ISR [1, 3] (2)")
        #expect(!ConditionEvaluation.evaluate(.isrSize(topic: "t", partition: 0, .equal, 1), facts: facts).holds)
        #expect(ConditionEvaluation.evaluate(.isrSize(topic: "t", partition: 0, .lessOrEqual, 2), facts: facts).holds)
    }

    @Test func underMinIsrHoldsOnlyBelowTheMinimum() {
        #expect(!ConditionEvaluation.evaluate(.underMinIsr(topic: "t", partition: 0), facts: facts).holds)
        var shrunk = facts
        shrunk.isr = [1]
        let sample = ConditionEvaluation.evaluate(.underMinIsr(topic: "t", partition: 0), facts: shrunk)
        #expect(sample.holds && sample.value == 1)
        #expect(sample.observed.contains("min.insync.replicas 2"))
    }

    @Test func followerLagIsMeasuredAgainstTheMostCaughtUpFollower() {
        #expect(ConditionEvaluation.followerLag(facts) == 50)
        #expect(ConditionEvaluation.evaluate(.followerLag(topic: "t", partition: 0, .greaterOrEqual, 50), facts: facts).holds)
        #expect(!ConditionEvaluation.evaluate(.followerLag(topic: "t", partition: 0, .greaterOrEqual, 51), facts: facts).holds)
    }

    @Test func followerLagIsUnknownWithoutTheLeadersOrEveryFollowersFigure() {
        var noLeaderFigure = facts
        noLeaderFigure.logEndOffsets[1] = nil
        var noFollowers = facts
        noFollowers.logEndOffsets = [1: 1200]
        var offline = facts
        offline.leader = -1
        for unknown in [noLeaderFigure, noFollowers, offline] {
            let sample = ConditionEvaluation.evaluate(.followerLag(topic: "t", partition: 0, .greaterOrEqual, 0), facts: unknown)
            #expect(!sample.holds, "an unmeasured lag never holds, not even >= 0")
            #expect(sample.value == nil)
        }
        // A follower that did not answer is left out; the one that did is measured.
        var oneFollower = facts
        oneFollower.logEndOffsets[3] = nil
        #expect(ConditionEvaluation.followerLag(oneFollower) == 100)
    }

    @Test func leaderComparesIdsAndNoneForOffline() {
        #expect(ConditionEvaluation.evaluate(.leader(topic: "t", partition: 0, .equal, 1), facts: facts).holds)
        #expect(ConditionEvaluation.evaluate(.leader(topic: "t", partition: 0, .notEqual, 2), facts: facts).holds)
        var offline = facts
        offline.leader = -1
        let sample = ConditionEvaluation.evaluate(.leader(topic: "t", partition: 0, .equal, -1), facts: offline)
        #expect(sample.holds && sample.observed == "leader none")
    }

    @Test func aPartitionWithoutStateHoldsNothing() {
        let sample = ConditionEvaluation.evaluate(.isrSize(topic: "t", partition: 0, .greaterOrEqual, 0), facts: nil)
        #expect(!sample.holds && sample.value == nil)
    }
}
