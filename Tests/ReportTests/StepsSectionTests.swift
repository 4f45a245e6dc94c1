import Foundation
import Testing
import Report
import Verification

/// Schedule steps as the runner records them on the timeline, read back and reported. The lines
/// are in the layout of runs recorded before steps carried their command as a value (`command` as
/// text), which must still read.
@Suite struct StepsSectionTests {
    static func step(_ atMs: Int64, _ fields: [String: JSONValue]) -> TimelineRecord {
        var object = fields
        object["time_ns"] = .int(RunFixture.startNs + atMs * RunFixture.ms)
        object["kind"] = .string("step")
        // A line that does not read becomes a record no expectation below accepts.
        return (try? JSONDecoder().decode(TimelineRecord.self, from: JSONEncoder().encode(JSONValue.object(object))))
            ?? TimelineRecord(timeNs: 0, .interrupted(RunInterruption(signal: "the fixture line did not decode")))
    }

    static let records: [TimelineRecord] = [
        step(1000, ["index": .int(1), "at_ms": .int(1000), "command": .string("partition leader_of t/0 | followers_of t/0"),
                    "event": .string("applied"), "elapsed_ms": .int(1003), "message": .string("partition: 8 link(s) changed (fault 1)")]),
        step(1000, ["index": .int(2), "at_ms": .int(1000), "command": .string("crash leader_of t/0"), "condition": .string("lag followers_of t/0 >= 20"),
                    "event": .string("wait"), "elapsed_ms": .int(1004)]),
        step(1400, ["index": .int(2), "at_ms": .int(1000), "command": .string("crash leader_of t/0"), "condition": .string("lag followers_of t/0 >= 20"),
                    "event": .string("held"), "elapsed_ms": .int(1410), "waited_ms": .int(406), "value": .int(24),
                    "observed": .string("leader 2 at 124; followers 1 at 100, 3 at 98 (lag 24)")]),
        step(1400, ["index": .int(2), "at_ms": .int(1000), "command": .string("crash leader_of t/0"), "condition": .string("lag followers_of t/0 >= 20"),
                    "event": .string("applied"), "elapsed_ms": .int(1415), "fault_id": .string("2")]),
        step(2000, ["index": .int(3), "at_ms": .int(2000), "command": .string("crash leader_of t/1"), "condition": .string("isr t/1 == 1"),
                    "event": .string("wait"), "elapsed_ms": .int(2001)]),
        step(3000, ["index": .int(3), "at_ms": .int(2000), "command": .string("crash leader_of t/1"), "condition": .string("isr t/1 == 1"),
                    "event": .string("timeout"), "elapsed_ms": .int(3002), "waited_ms": .int(1001), "value": .int(3),
                    "observed": .string("ISR [1, 2, 3] (3)"), "action": .string("skipped")]),
        step(3500, ["index": .int(4), "at_ms": .int(3500), "command": .string("heal"), "event": .string("not_reached"), "elapsed_ms": .int(3600)]),
    ]

    @Test func outcomesNameHowEachStepEnded() {
        let outcomes = Timeline(records: Self.records).stepOutcomes
        #expect(outcomes.map(\.status) == [.applied, .applied, .timedOutSkipped, .notReached])
        let held = outcomes[1]
        #expect(held.waitedMs == 406 && held.heldAtMs == 1410 && held.value == 24 && held.firedAtMs == 1415)
        #expect(held.summary.hasPrefix("held at +1.4 s after waiting 406 ms"))
        #expect(outcomes[2].summary.contains("timed out after 1001 ms"))
        #expect(outcomes[2].summary.contains("step skipped"))
        #expect(outcomes[2].firedAtMs == nil, "a timed-out step is never counted as applied")
    }

    @Test func aTimedOutStepThatRanAnywayIsMarkedSo() {
        var records = Array(Self.records.prefix(5))
        records.append(Self.step(3000, ["index": .int(3), "at_ms": .int(2000), "command": .string("crash leader_of t/1"),
                                        "condition": .string("isr t/1 == 1"), "event": .string("timeout"), "elapsed_ms": .int(3002),
                                        "waited_ms": .int(1001), "action": .string("ran")]))
        records.append(Self.step(3000, ["index": .int(3), "at_ms": .int(2000), "command": .string("crash leader_of t/1"),
                                        "event": .string("applied"), "elapsed_ms": .int(3010)]))
        let outcome = Timeline(records: records).stepOutcomes[2]
        #expect(outcome.status == .timedOutApplied)
        #expect(outcome.summary.contains("applied anyway"))
    }

    @Test func reportsListTheSteps() throws {
        var fixture = RunFixture()
        fixture.records += Self.records
        var report = fixture.report()
        report.steps = Timeline(records: fixture.records).stepOutcomes
        let markdown = MarkdownReport.render(report)
        #expect(markdown.contains("## Schedule steps"))
        #expect(markdown.contains("2 step(s) waited for a condition; 1 timed out."))
        #expect(markdown.contains("held at +1.4 s after waiting 406 ms"))
        #expect(TerminalSummary.render(report, colour: false).contains("conditions: 1 held (waited 406 ms), 1 timed out (skipped)"))
        let html = HTMLReport.render(report)
        #expect(html.contains("<section id=\"steps\">"))
        #expect(XMLCounter(html).error == nil)
        let json = try JSONSerialization.jsonObject(with: Data(JSONReport.render(report).utf8)) as? [String: Any]
        let steps = try #require(json?["steps"] as? [[String: Any]])
        #expect(steps.count == 4)
        #expect(steps[1]["status"] as? String == "applied")
        #expect(steps[1]["waited_ms"] as? Int == 406)
        #expect(steps[2]["status"] as? String == "timed_out_skipped")
    }

    @Test func aRunWithoutStepRecordsHasNoStepsSection() {
        let report = RunFixture().report()
        #expect(report.steps.isEmpty)
        #expect(!MarkdownReport.render(report).contains("Schedule steps"))
        #expect(JSONReport.render(report).contains("\"steps\": []") || JSONReport.render(report).contains("\"steps\":[]"))
    }
}
