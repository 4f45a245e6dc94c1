import Foundation
import Lab
import Playbook
import Testing

@Suite struct ConditionStepTests {
    let step = "      do: crash leader_of orders/0\n      heal_after: 5s"

    @Test func aStepWaitsForItsConditionWithADefaultTimeoutAndSkipsOnTimeout() throws {
        let plan = try PlaybookLoader.parse(breaking(step, with: "      when: isr orders/0 == 1\n      do: crash leader_of orders/0"), file: "test.yaml")
        #expect(plan.steps == [RunPlan.Step(atMs: 5000, command: try FaultParser.parse("crash leader_of orders/0"), condition: try ConditionParser.parse("isr orders/0 == 1"),
                                            timeoutMs: RunPlan.Step.defaultTimeoutMs, onTimeout: .skip)])
    }

    @Test func timeoutAndOnTimeoutAreKept() throws {
        let plan = try PlaybookLoader.parse(breaking(step, with: """
              when: lag followers_of orders/2>=100
              timeout: 1500ms
              on_timeout: run
              do: crash leader_of orders/0
        """), file: "test.yaml")
        #expect(plan.steps.first?.condition == .followerLag(topic: "orders", partition: 2, .greaterOrEqual, 100))
        #expect(plan.steps.first?.timeoutMs == 1500)
        #expect(plan.steps.first?.onTimeout == .run)
    }

    @Test(arguments: [
        ("      when: isrr orders/0 == 1", 21, 13, "unknown condition 'isrr'"),
        ("      when: isr ordrs/0 == 1", 21, 13, "topic 'ordrs' is not declared under topics; did you mean 'orders'?"),
        ("      when: under_min_isr orders/7", 21, 13, "partition 7 does not exist: topic 'orders' has 3 partition(s)"),
        ("      when: isr orders/0 =< 1", 21, 26, "unknown operator '=<'"),
        ("      when: 'isr orders/0 =< 1'", 21, 27, "unknown operator '=<'"),
        ("      when: isr orders/0 == 4", 21, 13, "can never hold: topic 'orders' has replication factor 3"),
        ("      when: leader orders/0 == 9", 21, 13, "broker 9 does not exist"),
    ])
    func badConditionsAreReportedAtFileLineColumn(_ when: String, _ line: Int, _ column: Int, _ message: String) {
        let found = problems(breaking(step, with: when + "\n      do: crash leader_of orders/0"))
        #expect(found.count == 1)
        #expect(found.first?.line == line)
        #expect(found.first?.column == column)
        #expect(found.first?.message.contains(message) == true, "\(found.first?.message ?? "no problem")")
    }

    @Test func timeoutAndOnTimeoutNeedACondition() {
        let found = problems(breaking(step, with: "      timeout: 3s\n      on_timeout: run\n      do: crash leader_of orders/0"))
        #expect(found.map(\.message).contains { $0.contains("timeout bounds the wait of a step with 'when'") })
        #expect(found.map(\.message).contains { $0.contains("on_timeout applies to a step with 'when'") })
    }

    @Test func onTimeoutIsSkipOrRun() {
        let found = problems(breaking(step, with: "      when: isr orders/0 == 1\n      on_timeout: retry\n      do: crash leader_of orders/0"))
        #expect(found.first?.message.contains("on_timeout must be skip") == true)
        #expect(found.first?.line == 22)
    }

    @Test func awaitStepsAreValidatedLikeConditions() {
        let found = problems(breaking("do: crash leader_of orders/0\n      heal_after: 5s", with: "do: await isr payments/0 == 1"))
        #expect(found.first?.message.contains("topic 'payments' is not declared") == true)
        let both = problems(breaking(step, with: "      when: isr orders/0 == 1\n      do: await isr orders/0 == 2"))
        #expect(both.first?.message.contains("not both") == true)
    }

    @Test func conditionParametersAreSubstitutedInScheduleFiles() throws {
        let directory = NSTemporaryDirectory() + "samsa-condition-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
        steps:
          - at: 3s
            do: isolate in_sync_follower_of ${topic}/0
          - at: 3s
            when: isr ${topic}/0 == 2
            timeout: 8s
            do: isolate in_sync_follower_of ${topic}/0
          - at: 3s
            when: isr ${topic}/0 == 1
            do: crash leader_of ${topic}/0
            heal_after: 6s
          - at: 3s
            do: heal network
        """.write(toFile: directory + "/shrink.yaml", atomically: true, encoding: .utf8)
        try breaking("""
          steps:
            - at: 5s
              do: crash leader_of orders/0
              heal_after: 5s
        """, with: "  schedule: shrink.yaml").write(toFile: directory + "/play.yaml", atomically: true, encoding: .utf8)
        let plan = try PlaybookLoader.load(path: directory + "/play.yaml")
        #expect(plan.steps.map(\.command.description) == ["isolate in_sync_follower_of orders/0", "isolate in_sync_follower_of orders/0",
                                              "crash leader_of orders/0", "heal network"], "steps at one time keep their file order")
        #expect(plan.steps.map { $0.condition?.description } == [nil, "isr orders/0 == 2", "isr orders/0 == 1", nil])
        #expect(plan.usesPowerLoss == false)
    }

    @Test func aPlanWithPowerLossAsksForDurabilityTracking() throws {
        let plan = try PlaybookLoader.parse(breaking("do: crash leader_of orders/0", with: "do: power-loss all"), file: "test.yaml")
        #expect(plan.usesPowerLoss)
    }
}
