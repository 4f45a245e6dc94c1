import Foundation
import Lab
import Playbook
import Testing

@Suite struct ScheduleTests {
    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "samsa-playbook-tests-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func randomScheduleIsReproducibleFromItsSeed() throws {
        let schedule = RandomSchedule(startMs: 2000, everyMs: 5000, jitterMs: 1000, healAfterMs: 2000, untilMs: 30_000,
                                      commands: try ["crash random", "pause random", "partition random | all"].map { try FaultParser.parse($0) })
        let first = schedule.steps(seed: 42)
        #expect(first == schedule.steps(seed: 42))
        #expect(first != schedule.steps(seed: 43))
        #expect(first.count == 6)
        for (index, step) in first.enumerated() {
            let slot = Int64(2000 + 5000 * index)
            #expect(abs(step.atMs - slot) <= 1000)
            #expect(step.healAfterMs == 2000)
            #expect(schedule.commands.contains(step.command))
        }
    }

    @Test func randomBlockInAPlaybookExpandsWithTheSeed() throws {
        let text = breaking("""
          steps:
            - at: 5s
              do: crash leader_of orders/0
              heal_after: 5s
        """, with: """
          random:
            start: 2s
            every: 4s
            jitter: 1s
            faults:
              - pause random
              - isolate leader_of orders/1
        """)
        let a = try PlaybookLoader.parse(text, file: "test.yaml", seedOverride: 7)
        let b = try PlaybookLoader.parse(text, file: "test.yaml", seedOverride: 7)
        #expect(a.steps == b.steps)
        #expect(a.steps.count == 5)
        #expect(a.steps.allSatisfy { $0.healAfterMs == 2000 })
        #expect(a.seed == 7)
    }

    @Test func scheduleFileWithParameters() throws {
        let directory = try temporaryDirectory()
        try """
        name: leader-crash
        steps:
          - at: 3s
            do: crash leader_of ${topic}/${partition}
            heal_after: 4s
        """.write(toFile: directory + "/leader.yaml", atomically: true, encoding: .utf8)
        let text = breaking("""
          steps:
            - at: 5s
              do: crash leader_of orders/0
              heal_after: 5s
        """, with: """
          schedule: leader.yaml
          with: {partition: "2"}
        """)
        try text.write(toFile: directory + "/play.yaml", atomically: true, encoding: .utf8)
        let plan = try PlaybookLoader.load(path: directory + "/play.yaml")
        #expect(plan.steps == [RunPlan.Step(atMs: 3000, command: try FaultParser.parse("crash leader_of orders/2"), healAfterMs: 4000)])
        #expect(plan.schedule?.hasSuffix("leader.yaml") == true)
    }

    @Test func problemsInsideAScheduleFileNameThatFile() throws {
        let directory = try temporaryDirectory()
        try """
        steps:
          - at: 3s
            do: crash leader_of ${topc}/0
        """.write(toFile: directory + "/bad.yaml", atomically: true, encoding: .utf8)
        let text = breaking("""
          steps:
            - at: 5s
              do: crash leader_of orders/0
              heal_after: 5s
        """, with: "  schedule: bad.yaml")
        try text.write(toFile: directory + "/play.yaml", atomically: true, encoding: .utf8)
        #expect {
            try PlaybookLoader.load(path: directory + "/play.yaml")
        } throws: { error in
            guard let error = error as? PlaybookError, let first = error.diagnostics.first else { return false }
            return first.file.hasSuffix("bad.yaml") && first.line == 3 && first.message.contains("unknown parameter ${topc}")
        }
    }

    @Test func missingScheduleFileIsReportedAtItsName() {
        let found = problems(breaking("""
          steps:
            - at: 5s
              do: crash leader_of orders/0
              heal_after: 5s
        """, with: "  schedule: nowhere.yaml"))
        #expect(found.first?.message.contains("schedule file 'nowhere.yaml' not found") == true)
        #expect(found.first?.line == 19)
    }

    @Test func healAfterOnlyForFaultsThatLast() {
        let found = problems(breaking("do: crash leader_of orders/0", with: "do: restart 2"))
        #expect(found.first?.message.contains("heal_after applies to faults that last") == true)
    }

    @Test func suiteValidatesEveryCaseBeforeRunning() throws {
        let directory = try temporaryDirectory()
        try validPlaybook.write(toFile: directory + "/good.yaml", atomically: true, encoding: .utf8)
        try breaking("  brokers: 3", with: "  brokers: 30").write(toFile: directory + "/bad.yaml", atomically: true, encoding: .utf8)
        try """
        name: ci
        cases:
          - playbook: good.yaml
            expect: valid
          - playbook: bad.yaml
            expect: invalid
          - playbook: good.yaml
            expect: maybe
        """.write(toFile: directory + "/suite.yaml", atomically: true, encoding: .utf8)
        #expect {
            try Suite.load(path: directory + "/suite.yaml")
        } throws: { error in
            guard let error = error as? PlaybookError else { return false }
            let messages = error.diagnostics.map(\.description)
            return messages.count == 2 && messages.contains { $0.contains("bad.yaml:3:12") }
                && messages.contains { $0.contains("suite.yaml:8:13: expect must be valid or invalid") }
        }
    }

    @Test func suiteCasesCarryTheirPlans() throws {
        let directory = try temporaryDirectory()
        try validPlaybook.write(toFile: directory + "/good.yaml", atomically: true, encoding: .utf8)
        try """
        cases:
          - name: first
            playbook: good.yaml
            seed: 9
            expect: valid
        """.write(toFile: directory + "/suite.yaml", atomically: true, encoding: .utf8)
        let suite = try Suite.load(path: directory + "/suite.yaml")
        #expect(suite.cases.map(\.name) == ["first"])
        #expect(suite.cases.first?.plan.seed == 9)
        #expect(suite.cases.first?.expect == .valid)
    }
}
