import Foundation
import Testing
import Report
import Verification

private func parse(_ text: String) throws -> [String: Any] {
    try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

@Suite struct JSONReportTests {
    @Test func cleanRunIsValidWithEveryCheckValid() throws {
        let report = RunFixture().report()
        let json = try parse(JSONReport.render(report))
        #expect(json["valid"] as? Bool == true)
        #expect(json["verdict"] as? String == "pass")
        #expect(json["schema"] as? Int == 1)
        let checks = try #require(json["checks"] as? [String: [String: Any]])
        #expect(Set(checks.keys) == Set(report.checks.verdicts.map { $0.checker.replacingOccurrences(of: "-", with: "_") }))
        #expect(Set(checks.keys).isSuperset(of: [
            "lost_write", "unseen", "duplicate", "inconsistent_offsets", "aborted_read", "nonmonotonic_send",
            "nonmonotonic_poll", "poll_skip", "single_leader", "clients", "replica_agreement", "stale_leader", "hw_monotonic",
            "unclean_election", "leader_outside_isr", "acks_under_min_isr", "stalled_follower_in_isr", "poll_above_hw", "brokers",
            "txn_aborted_read", "txn_lost_write", "torn_transaction", "eos_duplicate", "txn_g0", "txn_g1c",
            "fenced_commit",
        ]))
        let transactions: Set<String> = ["txn_aborted_read", "txn_lost_write", "torn_transaction", "eos_duplicate", "txn_g0", "txn_g1c", "fenced_commit"]
        for (name, check) in checks {
            if transactions.contains(name) {
                // The fixture has no transactions: nothing to judge, which is no pass.
                #expect(check["verdict"] as? String == "not_applicable" && check["valid"] is NSNull, "\(name): \(check)")
                continue
            }
            #expect(check["valid"] as? Bool == true, "\(name): \(check)")
            #expect((check["evidence"] as? [Any])?.isEmpty == true)
        }
        let stats = try #require(json["stats"] as? [String: Int])
        #expect(stats["attempted"] == 40)
        #expect(stats["acknowledged"] == 39)
        #expect(stats["indeterminate"] == 1)
        #expect(stats["lost"] == 0)
    }

    @Test func lossyRunIsInvalidWithTheLostOffsetAsEvidence() throws {
        let fixture = RunFixture(lose: ["producer-1-10", "producer-1-12"])
        let json = try parse(JSONReport.render(fixture.report()))
        #expect(json["valid"] as? Bool == false)
        #expect(json["verdict"] as? String == "fail")
        let lost = try #require((json["checks"] as? [String: Any])?["lost_write"] as? [String: Any])
        #expect(lost["valid"] as? Bool == false)
        #expect(lost["count"] as? Int == 2)
        #expect(lost["truncated"] as? Int == 0)
        let evidence = try #require(lost["evidence"] as? [[String: Any]])
        #expect(evidence.map { $0["value"] as? String } == ["producer-1-10", "producer-1-12"])
        #expect(evidence.map { $0["offset"] as? Int } == [5, 6])
        #expect(evidence.allSatisfy { $0["topic"] as? String == "t" && $0["partition"] as? Int == 0 })
        #expect((json["stats"] as? [String: Int])?["lost"] == 2)
        let expectations = try #require(json["expectations"] as? [[String: Any]])
        #expect(expectations.first?["name"] as? String == "no_lost_writes")
        #expect(expectations.first?["passed"] as? Bool == false)
    }

    @Test func evidenceIsCappedWithTheRestCounted() throws {
        let json = try parse(JSONReport.render(RunFixture(lose: ["producer-1-10", "producer-1-12", "producer-1-14"]).report(evidenceLimit: 1)))
        let lost = try #require((json["checks"] as? [String: Any])?["lost_write"] as? [String: Any])
        #expect((lost["evidence"] as? [Any])?.count == 1)
        #expect(lost["count"] as? Int == 3)
        #expect(lost["truncated"] as? Int == 2)
    }

    @Test func figuresCarryIsrLagFaultsAndLatency() throws {
        let json = try parse(JSONReport.render(RunFixture().report()))
        let isr = try #require(json["isr"] as? [String: Any])
        #expect(isr["shrinks"] as? Int == 2)
        #expect(isr["expands"] as? Int == 2)
        let partitions = try #require(isr["partitions"] as? [[String: Any]])
        #expect(partitions.count == 2)
        #expect(partitions.first?["under_replicated_ms"] as? Double == 1500)
        #expect((partitions.first?["changes"] as? [[String: Any]])?.first?["kind"] as? String == "shrink")
        let group = try #require(((json["lag"] as? [String: Any])?["groups"] as? [String: Any])?["g"] as? [String: Any])
        #expect(group["max_lag"] as? Int == 30)
        #expect(group["recovery_ms"] as? Double == 1000)
        #expect((group["partitions"] as? [[String: Any]])?.count == 2)
        let faults = try #require(json["faults"] as? [[String: Any]])
        #expect(faults.count == 1)
        #expect(faults.first?["description"] as? String == "crash broker-2")
        #expect(faults.first?["duration_ms"] as? Double == 1500)
        #expect(faults.first?["targets"] as? [String] == ["broker-2"])
        let latency = try #require(json["latency"] as? [String: Any])
        #expect(latency["count"] as? Int == 39)
        #expect((json["unavailability"] as? [String: Any])?["count"] as? Int == 1)
        let run = try #require(json["run"] as? [String: Any])
        #expect(run["seed"] as? Int == 42)
        #expect(run["duration_ms"] as? Double == 4500)
        let topics = try #require((json["cluster"] as? [String: Any])?["topics"] as? [String: [String: Int]])
        #expect(topics["t"] == ["partitions": 2, "replication_factor": 3, "min_insync_replicas": 2])
    }

    @Test func anExpectationThatCannotBeJudgedMakesTheRunUnknown() throws {
        let report = RunFixture().report(expectations: [
            Expectation(name: "no_lost_writes", expected: "0", observed: "0", passed: true),
            Expectation(name: "max_consumer_lag", expected: "≤ 100", observed: "not sampled", passed: nil, evidence: "no lag samples"),
        ])
        #expect(report.verdict == .unknown)
        let json = try parse(JSONReport.render(report))
        #expect(json["valid"] is NSNull)
        #expect(json["verdict"] as? String == "unknown")
        #expect((json["expectations"] as? [[String: Any]])?.last?["passed"] is NSNull)
    }

    @Test func withoutExpectationsTheCheckersDecide() {
        #expect(RunFixture().report(expectations: []).verdict == .valid)
        #expect(RunFixture(lose: ["producer-1-10"]).report(expectations: []).verdict == .invalid)
    }

    @Test func keysAreSortedAtEveryLevel() {
        let text = JSONReport.render(RunFixture(lose: ["producer-1-10"]).report())
        // A key line is `"name": …`; siblings share an indentation, and every `{` or `[` starts
        // new objects below it.
        var last: [Int: String] = [:]
        var keys = 0
        for line in text.split(separator: "\n") {
            let indent = line.prefix { $0 == " " }.count
            let body = line.dropFirst(indent)
            if body.hasPrefix("\""), let colon = body.range(of: "\": ") {
                let key = String(body[body.index(after: body.startIndex)..<colon.lowerBound])
                if let previous = last[indent] { #expect(previous < key, "\(previous) before \(key)") }
                last[indent] = key
                keys += 1
            }
            if body.hasSuffix("{") || body.hasSuffix("[") { last = last.filter { $0.key <= indent } }
        }
        #expect(keys > 100)
        #expect(text.hasPrefix("{\n  \"checks\": {"))
    }

    @Test func hostileValuesStayStringsInJSON() throws {
        let fixture = RunFixture(lose: [hostile], hostileValue: true)
        let json = try parse(JSONReport.render(fixture.report(runName: hostile)))
        #expect((json["run"] as? [String: Any])?["name"] as? String == hostile)
        let lost = (json["checks"] as? [String: Any])?["lost_write"] as? [String: Any]
        #expect((lost?["evidence"] as? [[String: Any]])?.first?["value"] as? String == hostile)
    }
}
