import Foundation
import Lab
import Playbook
import Testing
import Verification

/// Playbook fields for transactions and isolation levels: transactional producers, consumers'
/// `isolation`, consume-transform-produce consumers (`output:`).
@Suite struct TransactionPlaybookTests {
    static let playbook = """
    name: txn
    cluster:
      brokers: 3
    topics:
      - name: orders
        partitions: 3
        replication_factor: 3
      - name: invoices
        partitions: 2
        replication_factor: 3
    workload:
      duration: 20s
      producers:
        - topic: orders
          transactional: true
          txn_records: 4
          abort_rate: 0.25
      consumers:
        - topic: orders
          group: billing
          isolation: read_committed
        - topic: orders
          assign: [0, 1, 2]
        - topic: orders
          group: invoicing
          output: invoices
          txn_records: 3
          abort_rate: 0.1
    """

    func replacing(_ old: String, with new: String) -> String {
        precondition(Self.playbook.contains(old), "fixture lacks \(old)")
        return Self.playbook.replacingOccurrences(of: old, with: new, options: [], range: Self.playbook.range(of: old))
    }

    @Test func transactionalProducersIsolationLevelsAndTransformsLoad() throws {
        let plan = try PlaybookLoader.parse(Self.playbook, file: "test.yaml")
        let producer = try #require(plan.producers.first)
        #expect(producer.transactional && producer.txnRecords == 4 && producer.abortRate == 0.25)
        #expect(producer.idempotence && producer.acks == "all")
        #expect(plan.consumers.map(\.isolation) == [.readCommitted, nil, .readCommitted])
        #expect(plan.consumers[2].transform == TransformSpec(output: "invoices", txnRecords: 3, abortRate: 0.1))
        #expect(plan.consumers[0].transform == nil)
        // run.json keeps them.
        let decoded = try JSONDecoder().decode(RunPlan.self, from: JSONEncoder().encode(plan))
        #expect(decoded == plan)
    }

    @Test func badTransactionFieldsAreRefusedWithTheirPlace() {
        let cases: [(String, String, String)] = [
            ("      isolation: read_committed", "      isolation: serializable", "isolation must be read_committed or read_uncommitted, not 'serializable'"),
            ("      abort_rate: 0.25", "      abort_rate: 2", "abort_rate"),
            ("      transactional: true", "      transactional: true\n      acks: 1", "a transactional producer needs acks: all, not 1"),
            ("      transactional: true", "      transactional: false", "txn_records, abort_rate and zombie_after need transactional: true"),
            ("      output: invoices", "      output: invoice", "output topic 'invoice' is not declared under topics; did you mean 'invoices'?"),
            ("      output: invoices", "      output: orders", "a transform's output must be another topic than the one it reads"),
            ("      output: invoices", "      output: invoices\n      commit: sync", "commit does not apply"),
            ("      output: invoices", "      output: invoices\n      isolation: read_uncommitted", "a consume-transform-produce consumer reads read_committed"),
        ]
        for (old, new, message) in cases {
            let found = problems(replacing(old, with: new))
            #expect(found.contains { $0.message.contains(message) }, "\(new): \(found.map(\.message))")
        }
    }

    @Test func transformsNeedAGroup() {
        let text = replacing("      group: invoicing\n      output: invoices", with: "      assign: [0]\n      output: invoices")
        #expect(problems(text).contains { $0.message.contains("needs a group") })
    }
}
