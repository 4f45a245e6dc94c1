import Foundation
import Testing
@testable import Verification

/// Lines in the exact shapes the lab writes (Sources/Lab/Workload/kafka_workload.py merged by the
/// lab; Sources/Lab/Observe/TimelineLog.swift): they must read without a single problem.
@Suite struct LabFormatTests {
    static let history = """
        {"index":0,"time_ns":1000,"process":"producer-0","type":"invoke","f":"send","value":{"topic":"t","value":"producer-0-0","key":"k0"},"error":null,"op_id":0}
        {"index":1,"time_ns":1100,"process":"producer-0","type":"invoke","f":"send","value":{"topic":"t","value":"producer-0-1","key":"k1"},"error":null,"op_id":1}
        {"index":2,"time_ns":1200,"process":"consumer-0","type":"invoke","f":"poll","value":null,"error":null,"op_id":0}
        {"index":3,"time_ns":1250,"process":"consumer-0","type":"invoke","f":"assign","value":{"partitions":[{"topic":"t","partition":0}]},"error":null,"op_id":1}
        {"index":4,"time_ns":1260,"process":"consumer-0","type":"ok","f":"assign","value":{"partitions":[{"topic":"t","partition":0}]},"error":null,"op_id":1}
        {"index":5,"time_ns":1300,"process":"producer-0","type":"ok","f":"send","value":{"topic":"t","value":"producer-0-0","partition":0,"offset":0,"key":"k0","leader_epoch":3},"error":null,"op_id":0}
        {"index":6,"time_ns":1400,"process":"producer-0","type":"info","f":"send","value":{"topic":"t","value":"producer-0-1","key":"k1"},"error":"_MSG_TIMED_OUT","op_id":1}
        {"index":7,"time_ns":1500,"process":"consumer-0","type":"ok","f":"poll","value":{"records":[{"topic":"t","partition":0,"offset":0,"value":"producer-0-0","key":"k0"}],"hw":[{"topic":"t","partition":0,"hw":1}]},"error":null,"op_id":0}
        {"index":8,"time_ns":1600,"process":"consumer-0","type":"invoke","f":"commit","value":null,"error":null,"op_id":2}
        {"index":9,"time_ns":1700,"process":"consumer-0","type":"ok","f":"commit","value":null,"error":null,"op_id":2}
        {"index":10,"time_ns":2000,"process":"final-reader","type":"invoke","f":"assign","value":{"partitions":[{"topic":"t","partition":0}]},"error":null,"op_id":0}
        {"index":11,"time_ns":2001,"process":"final-reader","type":"ok","f":"assign","value":{"partitions":[{"topic":"t","partition":0}]},"error":null,"op_id":0}
        {"index":12,"time_ns":2100,"process":"final-reader","type":"invoke","f":"final_read","value":null,"error":null,"op_id":1}
        {"index":13,"time_ns":2200,"process":"final-reader","type":"ok","f":"final_read","value":{"records":[{"topic":"t","partition":0,"offset":0,"value":"producer-0-0","key":"k0"},{"topic":"t","partition":0,"offset":1,"value":"producer-0-1","key":"k1"}]},"error":null,"op_id":1}
        """

    static let timeline = """
        {"kind":"process","name":"broker-1","pid":4241,"state":"started","time_ns":800}
        {"kind":"process","name":"broker-2","pid":4242,"state":"started","time_ns":800}
        {"kind":"process","name":"broker-3","pid":4243,"state":"started","time_ns":800}
        {"brokers":[1,2,3],"controller":1,"kind":"metadata","observer":"metadata","partitions":[{"isr":[1,2,3],"leader":1,"leader_epoch":3,"offline":[],"partition":0,"replicas":[1,2,3],"topic":"t"}],"time_ns":900}
        {"broker":1,"event":"became_leader","kind":"broker_event","leader_epoch":3,"observer":"broker-1","partition":0,"time_ns":950,"topic":"t","isr":[1,2,3],"state_version":5}
        {"broker":2,"event":"became_leader","kind":"broker_event","leader_epoch":2,"observer":"broker-2","partition":0,"time_ns":890,"topic":"t","isr":[2,1,3],"state_version":4}
        {"broker":2,"controller_epoch":1,"event":"leader_elected","kind":"broker_event","leader":1,"leader_epoch":3,"new_isr":[1,2,3],"observer":"broker-2","old_isr":[2,1,3],"old_leader":2,"partition":0,"prior_state_version":4,"reason":"preferred replica 1","state_version":5,"time_ns":940,"topic":"t","unclean":false}
        {"action":"start","description":"pause 2","fault":"pause","id":"1","kind":"fault","targets":["broker-2"],"time_ns":1000,"links":["broker-1->broker-2"]}
        {"kind":"process","name":"broker-2","pid":4242,"state":"paused","time_ns":1001}
        {"error":"metrics endpoint did not answer","kind":"unreachable","observer":"offsets","target":"broker-2","time_ns":1100}
        {"hw":1,"kind":"offsets","leader":1,"leader_epoch":3,"leo":2,"log_start":0,"observer":"offsets","partition":0,"time_ns":1200,"topic":"t"}
        {"committed":1,"end":2,"group":"g","kind":"lag","lag":1,"observer":"lag","partition":0,"time_ns":1300,"topic":"t"}
        {"action":"end","description":"pause 2","fault":"pause","id":"1","kind":"fault","targets":["broker-2"],"time_ns":1500}
        {"committed":2,"end":2,"group":"g","kind":"lag","lag":0,"observer":"lag","partition":0,"time_ns":1700,"topic":"t"}
        {"attempt":1,"kind":"leadership_census","method":"list_offsets","observer":"census","partitions":[{"answers":[{"broker":1,"hw":2,"leader_epoch":3,"status":"leader"},{"broker":2,"error":"NOT_LEADER_OR_FOLLOWER","status":"not_leader"},{"broker":3,"error":"NOT_LEADER_OR_FOLLOWER","status":"not_leader"}],"partition":0,"topic":"t"}],"phase":"end","time_ns":1900}
        """

    /// `replicas.json` as the lab writes it (Sources/Lab/Replicas/ReplicaDigestText.swift).
    static let replicas = """
        {
          "schema": 1,
          "source": "stopped",
          "created_ns": 3000,
          "topics": ["t"],
          "brokers": [1, 2, 3],
          "problems": [],
          "partitions": [
            {"topic": "t", "partition": 0, "replicas": [
              {"broker": 1, "log_start": 0, "log_end": 2, "high_watermark": 2, "recovery_point": 2, "clean_shutdown": true,
               "leader_epochs": [[3, 0]], "segments": [0], "corrupt": [],
               "problems": [],
               "batches": [
                [0, 0, 3, 1000, 0, 0, 2712847316],
                [1, 1, 3, 1000, 0, 1, 1541120541]
               ]},
              {"broker": 2, "log_start": 0, "log_end": 2, "high_watermark": 2, "recovery_point": 2, "clean_shutdown": true,
               "leader_epochs": [[3, 0]], "segments": [0], "corrupt": [],
               "problems": [],
               "batches": [
                [0, 0, 3, 1000, 0, 0, 2712847316],
                [1, 1, 3, 1000, 0, 1, 1541120541]
               ]},
              {"broker": 3, "log_start": 0, "log_end": 2, "high_watermark": 1, "recovery_point": 2, "clean_shutdown": true,
               "leader_epochs": [[3, 0]], "segments": [0], "corrupt": [],
               "problems": [],
               "batches": [
                [0, 0, 3, 1000, 0, 0, 2712847316],
                [1, 1, 3, 1000, 0, 1, 1541120541]
               ]}
            ]}
          ]
        }
        """

    @Test func labHistoryAndTimelineReadCleanAndCheckValid() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("lab-format-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let historyPath = directory.appendingPathComponent("history.jsonl").path
        let timelinePath = directory.appendingPathComponent("timeline.jsonl").path
        try Data((Self.history + "\n").utf8).write(to: URL(fileURLWithPath: historyPath))
        try Data((Self.timeline + "\n").utf8).write(to: URL(fileURLWithPath: timelinePath))

        let history = History.load(path: historyPath)
        let timeline = Timeline.load(path: timelinePath)
        #expect(history.problems.isEmpty, "\(history.problems.listed)")
        #expect(timeline.problems.isEmpty, "\(timeline.problems.listed)")
        #expect(history.finalReadComplete)
        let replicasPath = directory.appendingPathComponent("replicas.json").path
        try Data(Self.replicas.utf8).write(to: URL(fileURLWithPath: replicasPath))
        let parameters = RunParameters(replicaLagTimeMaxMs: 2000, producerAcks: ["producer-0": "all"])
        let report = CheckReport(history: history, timeline: timeline, parameters: parameters, clients: cleanExits(history),
                                 replicas: ReplicaDigestInput.load(path: replicasPath))
        for (checker, verdict) in report.verdicts {
            #expect(verdict == (transactionCheckers.contains(checker) ? .notApplicable : .valid), "\(checker)")
        }
        #expect(report.valid == .valid)

        let figures = Figures(history: history, timeline: timeline, report: report)
        #expect(figures.counts.sendsIndeterminate == 1)
        #expect(figures.counts.sendsIndeterminateSeen == 1)
        #expect(figures.lag.first?.recoveryMs == 0.0002)
        #expect(figures.failovers.isEmpty)  // broker 2 was a follower
    }
}
