import Foundation
import Lab
import Playbook
import Testing

/// `elect-leaders` and `reassign` as playbook and schedule steps: parameters, the partition checked
/// against the playbook's topics, grammar errors at file:line:column, and no `heal_after`.
@Suite struct AdminStepPlaybookTests {
    @Test func adminStepsTakeScheduleParameters() throws {
        let directory = NSTemporaryDirectory() + "samsa-admin-steps-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try """
        name: moves
        steps:
          - at: 3s
            do: reassign ${topic}/${partition} --replicas 3,1
          - at: 6s
            do: elect-leaders ${topic}/${partition} --type unclean
          - at: 9s
            do: reassign ${topic}/${partition} --cancel
        """.write(toFile: directory + "/moves.yaml", atomically: true, encoding: .utf8)
        let text = breaking("""
          steps:
            - at: 5s
              do: crash leader_of orders/0
              heal_after: 5s
        """, with: """
          schedule: moves.yaml
          with: {partition: "2"}
        """)
        try text.write(toFile: directory + "/play.yaml", atomically: true, encoding: .utf8)
        let plan = try PlaybookLoader.load(path: directory + "/play.yaml")
        #expect(plan.steps.map(\.command) == [
            .reassign(topic: "orders", partition: 2, replicas: [3, 1]),
            .electLeaders(topic: "orders", partition: 2, election: .unclean),
            .reassign(topic: "orders", partition: 2, replicas: nil),
        ])
    }

    @Test func healAfterOnAnAdminStepIsRefusedWithWhy() {
        let found = problems(breaking("do: crash leader_of orders/0", with: "do: reassign orders/0 --replicas 3,1"))
        #expect(found.count == 1)
        #expect(found.first?.message == "heal_after does not apply to 'reassign': it is a one-shot admin request with nothing to heal")
        #expect(found.first?.line == 22)
    }

    @Test(arguments: [
        ("do: reassign orders/0 --replicas 2,x", 40, "'2,x' is not a list of broker ids"),
        ("do: elect-leaders orders/0 --type dirty", 41, "unknown election type 'dirty'"),
        ("do: reassign orders --cancel", 20, "'orders' is not topic/partition"),
        ("do: elect-leaders payments/0", 11, "topic 'payments' is not declared under topics"),
        ("do: elect-leaders orders/5", 11, "partition 5 does not exist: topic 'orders' has 3 partition(s)"),
    ])
    func aBadAdminStepIsReportedAtItsPosition(_ step: String, _ column: Int, _ message: String) {
        let text = breaking("""
              do: crash leader_of orders/0
              heal_after: 5s
        """, with: "      " + step)
        let found = problems(text)
        #expect(found.count == 1, "\(found)")
        #expect(found.first?.line == 21, "\(found)")
        #expect(found.first?.column == column, "\(found)")
        #expect(found.first?.message.contains(message) == true, "\(found)")
    }

    @Test func anExternalClusterTakesAdminStepsWithoutATemplate() throws {
        // Block style: in a flow mapping (`{at: 5s, do: ...}`) the comma of `3,1` would end the value.
        let steps = "    - at: 5s\n      do: reassign orders/0 --replicas 3,1\n    - at: 9s\n      do: elect-leaders orders/0 --type unclean"
        let plan = try PlaybookLoader.parse(externalPlaybook(cluster: externalBlock, steps: steps), file: "test.yaml")
        #expect(plan.external != nil)
        #expect(plan.steps.map(\.command) == [.reassign(topic: "orders", partition: 0, replicas: [3, 1]),
                                             .electLeaders(topic: "orders", partition: 0, election: .unclean)])
    }
}
