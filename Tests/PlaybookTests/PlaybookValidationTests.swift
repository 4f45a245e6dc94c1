import Foundation
import Lab
import Playbook
import Testing

/// A minimal valid playbook that each test breaks in one place.
let validPlaybook = """
name: sample
cluster:
  brokers: 3
  config:
    min.insync.replicas: 2
topics:
  - name: orders
    partitions: 3
    replication_factor: 3
workload:
  duration: 20s
  producers:
    - topic: orders
      acks: all
  consumers:
    - topic: orders
      group: billing
faults:
  steps:
    - at: 5s
      do: crash leader_of orders/0
      heal_after: 5s
expectations:
  no_lost_writes: true
  isr_shrinks: {min: 1}
"""

func problems(_ text: String) -> [PlaybookDiagnostic] {
    do {
        _ = try PlaybookLoader.parse(text, file: "test.yaml")
        return []
    } catch let error as PlaybookError {
        return error.diagnostics
    } catch {
        Issue.record("unexpected error \(error)")
        return []
    }
}

/// Replaces the first occurrence of `old` (which must be present).
func breaking(_ old: String, with new: String) -> String {
    precondition(validPlaybook.contains(old), "fixture lacks \(old)")
    return validPlaybook.replacingOccurrences(of: old, with: new, options: [], range: validPlaybook.range(of: old))
}

@Suite struct PlaybookValidationTests {
    @Test func aValidPlaybookLoadsIntoAPlan() throws {
        let plan = try PlaybookLoader.parse(validPlaybook, file: "test.yaml")
        #expect(plan.name == "sample")
        #expect(plan.brokers == 3)
        #expect(plan.brokerConfig["min.insync.replicas"] == "2")
        #expect(plan.topics == [RunPlan.Topic(name: "orders", partitions: 3, replicationFactor: 3)])
        #expect(plan.durationMs == 20_000)
        #expect(plan.producers.first?.acks == "all")
        #expect(plan.consumers.first?.group == "billing")
        #expect(plan.steps == [RunPlan.Step(atMs: 5000, command: try FaultParser.parse("crash leader_of orders/0"), healAfterMs: 5000)])
        #expect(plan.expectations.noLostWrites == true)
        #expect(plan.expectations.isrShrinksMin == 1)
    }

    @Test func unknownKeyIsReportedAtTheKeyWithASuggestion() {
        let found = problems(breaking("  duration: 20s", with: "  duraton: 20s"))
        #expect(found.count == 1)
        #expect(found.first?.line == 11)
        #expect(found.first?.column == 3)
        #expect(found.first?.message.contains("unknown key 'duraton'") == true)
        #expect(found.first?.message.contains("did you mean 'duration'?") == true)
        #expect(found.first?.description.hasPrefix("test.yaml:11:3: ") == true)
    }

    @Test func aProducerCompressionIsOneOfTheClientCodecs() throws {
        let plan = try PlaybookLoader.parse(breaking("      acks: all", with: "      acks: all\n      compression: zstd"), file: "test.yaml")
        #expect(plan.producers.first?.compression == "zstd")
        let found = problems(breaking("      acks: all", with: "      acks: all\n      compression: brotli"))
        #expect(found.map(\.line) == [15])
        #expect(found.first?.message == "compression must be one of none, gzip, snappy, lz4, zstd, not 'brotli'")
    }

    @Test func wrongTypeNamesTheValue() {
        let found = problems(breaking("  brokers: 3", with: "  brokers: three"))
        #expect(found.map(\.line) == [3])
        #expect(found.first?.column == 12)
        #expect(found.first?.message == "cluster.brokers must be a whole number, not 'three'")
    }

    @Test func quotedNumberIsNotANumber() {
        let found = problems(breaking("    partitions: 3", with: "    partitions: \"3\""))
        #expect(found.first?.message.contains("the quoted text '3'") == true)
    }

    @Test func replicationFactorAboveBrokersIsImpossible() {
        let found = problems(breaking("    replication_factor: 3", with: "    replication_factor: 4"))
        #expect(found.count == 1)
        #expect(found.first?.line == 9)
        #expect(found.first?.column == 25)
        #expect(found.first?.message == "replication_factor 4 is more than the 3 broker(s) of the cluster")
    }

    @Test func minInsyncAboveReplicationFactorIsImpossible() {
        let found = problems(breaking("    replication_factor: 3", with: "    replication_factor: 1"))
        #expect(found.count == 1)
        #expect(found.first?.message.contains("min.insync.replicas 2 is more than replication_factor 1") == true)
    }

    @Test func unknownBrokerPropertySuggestsTheRealOne() {
        let found = problems(breaking("    min.insync.replicas: 2", with: "    min.insync.replica: 2"))
        #expect(found.first?.line == 5)
        #expect(found.first?.column == 5)
        #expect(found.first?.message.contains("did you mean 'min.insync.replicas'?") == true)
    }

    @Test func labManagedPropertiesAreRefused() {
        let found = problems(breaking("    min.insync.replicas: 2", with: "    broker.id: 7"))
        #expect(found.first?.message.contains("set by the lab") == true)
    }

    @Test func badStepIsReportedAtTheWordInTheStep() {
        let found = problems(breaking("do: crash leader_of orders/0", with: "do: crush leader_of orders/0"))
        #expect(found.count == 1)
        #expect(found.first?.line == 21)
        #expect(found.first?.column == 11)
        #expect(found.first?.message.contains("unknown fault 'crush'") == true)
        #expect(found.first?.message.contains("did you mean 'crash'?") == true)
    }

    @Test func toxicStepsLoadAndABadOptionIsReportedAtItsValue() throws {
        let good = breaking("do: crash leader_of orders/0", with: "do: slice clients -> leader_of orders/0 --average-size 64 --delay 5ms")
        let plan = try PlaybookLoader.parse(good, file: "test.yaml")
        #expect(plan.steps.first?.command == .toxicLinks(from: [.clients], to: [.leaderOf(topic: "orders", partition: 0)],
                                                         .slice(averageSize: 64, sizeVariation: 0, delayMs: 5)))
        let found = problems(breaking("do: crash leader_of orders/0", with: "do: limit-data 2 --bytes lots"))
        #expect(found.count == 1)
        #expect(found.first?.description.hasPrefix("test.yaml:21:32: ") == true, "\(found)")
        #expect(found.first?.message.contains("'lots' is not a positive number of bytes") == true)
        let missing = problems(breaking("do: crash leader_of orders/0", with: "do: timeout 4 --after 1s"))
        #expect(missing.first?.message.contains("4") == true, "a broker the cluster will not have: \(missing)")
    }

    @Test func stepTargetsMustExist() {
        let undeclared = problems(breaking("do: crash leader_of orders/0", with: "do: crash leader_of payments/0"))
        #expect(undeclared.first?.message.contains("topic 'payments' is not declared") == true)
        let partition = problems(breaking("do: crash leader_of orders/0", with: "do: crash leader_of orders/7"))
        #expect(partition.first?.message.contains("partition 7 does not exist") == true)
        let broker = problems(breaking("do: crash leader_of orders/0", with: "do: crash 4"))
        #expect(broker.first?.message.contains("broker 4 does not exist") == true)
        let group = problems(breaking("do: crash leader_of orders/0", with: "do: crash coordinator_of shipping"))
        #expect(group.first?.message.contains("group 'shipping'") == true)
        let noTransactions = problems(breaking("do: crash leader_of orders/0", with: "do: crash txn_coordinator_of producer-1-1"))
        #expect(noTransactions.first?.message.contains("'producer-1-1' is not the transactional id of any process in the workload") == true)
        #expect(noTransactions.first?.message.contains("it has no transactional producer or transform") == true)
    }

    @Test func zombieAfterNeedsATransactionalProducerAndATimeInTheWorkload() throws {
        let plain = problems(breaking("      acks: all", with: "      acks: all\n      zombie_after: 5s"))
        #expect(plain.first?.message.contains("txn_records, abort_rate and zombie_after need transactional: true") == true)
        let late = problems(breaking("      acks: all", with: "      acks: all\n      transactional: true\n      zombie_after: 5s"))
        #expect(late.first?.message.contains("the zombie stays silent for the transaction timeout (30000 ms) + 2 s") == true)
        #expect(late.first?.message.contains("the workload must last at least 42000 ms (it lasts 20000 ms)") == true)
        let long = breaking("      acks: all", with: "      acks: all\n      transactional: true\n      delivery_timeout: 10s\n      zombie_after: 5s")
            .replacingOccurrences(of: "  duration: 20s", with: "  duration: 32s")
        let plan = try PlaybookLoader.parse(long, file: "test.yaml")
        #expect(plan.producers.first?.zombieAfterMs == 5000)
        #expect(plan.producers.first?.settings.transactionTimeoutMs == 20_000)
    }

    @Test func txnCoordinatorTargetsNameTheWorkloadsTransactionalIds() throws {
        let transactional = breaking("      acks: all", with: "      acks: all\n      transactional: true")
        let aimed = transactional.replacingOccurrences(of: "do: crash leader_of orders/0", with: "do: crash txn_coordinator_of producer-1-1")
        let plan = try PlaybookLoader.parse(aimed, file: "test.yaml")
        #expect(plan.steps.first?.command == .crash(.transactionCoordinatorOf(transactionalId: "producer-1-1")))
        let wrong = transactional.replacingOccurrences(of: "do: crash leader_of orders/0", with: "do: crash txn_coordinator_of producer-2-1")
        let found = problems(wrong)
        #expect(found.count == 1)
        #expect(found.first?.message.contains("'producer-2-1' is not the transactional id of any process in the workload (ids: producer-1-1)") == true)
    }

    @Test func stepAfterTheWorkloadEndsIsRefused() {
        let found = problems(breaking("    - at: 5s", with: "    - at: 25s"))
        #expect(found.first?.message.contains("is not before the end of the workload") == true)
    }

    @Test func durationWithoutUnitSaysSo() {
        let found = problems(breaking("  duration: 20s", with: "  duration: 20"))
        #expect(found.first?.message.contains("add a unit") == true)
    }

    @Test func producerOnUndeclaredTopic() {
        let found = problems(breaking("    - topic: orders\n      acks: all", with: "    - topic: order\n      acks: all"))
        #expect(found.first?.message.contains("did you mean 'orders'?") == true)
    }

    @Test func idempotenceNeedsAcksAll() {
        let found = problems(breaking("      acks: all", with: "      acks: 1\n      idempotence: true"))
        #expect(found.first?.message.contains("idempotence needs acks: all") == true)
    }

    @Test func contradictoryExpectations() {
        let found = problems(breaking("  no_lost_writes: true", with: "  no_lost_writes: true\n  lost_writes_detected: true"))
        #expect(found.first?.message.contains("contradicts") == true)
    }

    @Test func yamlSyntaxErrorHasAPosition() {
        let found = problems(breaking("  brokers: 3", with: "  brokers: [3"))
        #expect(found.count == 1)
        #expect(found.first?.line ?? 0 > 0)
        #expect(found.first?.message.hasPrefix("invalid YAML") == true)
    }

    @Test func duplicateKeysAreReported() {
        let found = problems(breaking("  brokers: 3", with: "  brokers: 3\n  brokers: 5"))
        #expect(found.first?.message.contains("duplicate key 'brokers'") == true)
    }

    @Test func everyProblemIsReportedInOneGo() {
        var text = breaking("  brokers: 3", with: "  brokers: 0")
        text = text.replacingOccurrences(of: "  duration: 20s", with: "  duration: soon")
        text = text.replacingOccurrences(of: "  no_lost_writes: true", with: "  no_lost_writes: maybe")
        #expect(problems(text).count == 3)
    }

    @Test func aPlaybookWithoutProducersIsRefused() {
        let found = problems(breaking("  producers:\n    - topic: orders\n      acks: all\n", with: ""))
        #expect(found.contains { $0.message.contains("at least one producer") })
    }

    @Test func consumerNeedsGroupOrAssign() {
        let found = problems(breaking("      group: billing", with: "      commit: none"))
        #expect(found.contains { $0.message.contains("needs a group") })
    }
}
