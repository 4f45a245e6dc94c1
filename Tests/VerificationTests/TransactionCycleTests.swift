import Foundation
import Testing
@testable import Verification

/// A record of a transaction: topic, partition, offset, value.
typealias TxnRecord = (topic: String, partition: Int32, offset: Int64, value: String)

extension HistoryBuilder {
    /// A transaction whose records may go to several topics: `txn_begin`, its sends (completed
    /// `info` with their offsets, as the workload records them), then `end` completing `type` with
    /// its writes and the inputs it consumed (topic, partition, offset).
    mutating func transaction(
        _ process: String, _ txn: String, _ end: OpFunction = .txnCommit, _ type: OpType = .ok, writes: [TxnRecord],
        inputs: [(String, Int32, Int64)] = []
    ) {
        line(process, .invoke, .txnBegin, .other(.object(["txn": .string(txn)])))
        line(process, .ok, .txnBegin, .other(.object(["txn": .string(txn)])))
        for write in writes {
            txnSend(process, write.value, txn: txn, partition: write.partition, offset: write.offset, topic: write.topic)
        }
        line(process, .invoke, end, .other(.object(["txn": .string(txn)])))
        let listed: [JSONValue] = writes.map {
            .object(["topic": .string($0.topic), "partition": .int(Int64($0.partition)), "offset": .int($0.offset), "value": .string($0.value)])
        }
        let consumed: [JSONValue] = inputs.map { .object(["topic": .string($0.0), "partition": .int(Int64($0.1)), "offset": .int($0.2)]) }
        line(process, type, end, .other(.object(["txn": .string(txn), "writes": .array(listed), "inputs": .array(consumed)])))
    }

    /// A read_committed reader returning every record of `records` (grouped per partition).
    mutating func readAll(_ process: String, _ records: [TxnRecord]) {
        let groups = Dictionary(grouping: records) { "\($0.topic)/\($0.partition)" }
        for key in groups.keys.sorted() {
            let group = groups[key]!.sorted { $0.offset < $1.offset }
            read(process, group.map { ($0.offset, $0.value) }, .readCommitted, partition: group[0].partition, topic: group[0].topic)
        }
    }
}

@Suite struct TransactionCycleTests {
    @Test func transactionsInOneOrderEverywhereHaveNoCycle() throws {
        var h = HistoryBuilder()
        let first: [TxnRecord] = [("t", 0, 0, "a"), ("t", 1, 0, "b")]
        let second: [TxnRecord] = [("t", 0, 2, "c"), ("t", 1, 2, "d")]
        let output: [TxnRecord] = [("out", 0, 0, "x")]
        h.transaction("producer-1", "producer-1-t1", writes: first)
        h.transaction("producer-1", "producer-1-t2", writes: second)
        // A transform consumed t1's records; its output follows nothing.
        h.transaction("transform-1", "transform-1-t1", writes: output, inputs: [("t", 0, 0), ("t", 1, 0)])
        h.readAll("reader", first + second + output)
        let report = check(h)
        #expect(report.txnG0.verdict == .valid, "\(report.txnG0.notes)")
        #expect(report.txnG1c.verdict == .valid, "\(report.txnG1c.notes)")
        // t1 → t2 (ww, once though two partitions show it), t1 → transform (wr), transform → t2 (rw:
        // it read each partition up to offset 0, and t2 wrote the next record after it).
        #expect(report.txnG0.notes.contains { $0.contains("3 committed transaction(s); 1 ww, 1 wr, 1 rw edge(s)") }, "\(report.txnG0.notes)")
    }

    /// Two producers' transactions write two partitions in opposite orders.
    func writeCycle(secondOutcome: OpFunction = .txnCommit) -> HistoryBuilder {
        var h = HistoryBuilder()
        let first: [TxnRecord] = [("t", 0, 0, "a"), ("t", 1, 1, "b")]
        let second: [TxnRecord] = [("t", 0, 1, "c"), ("t", 1, 0, "d")]
        h.transaction("producer-1", "producer-1-t1", writes: first)
        h.transaction("producer-2", "producer-2-t1", secondOutcome, writes: second)
        h.readAll("reader", first + second)
        return h
    }

    @Test func writesOrderedBothWaysAreAG0Cycle() throws {
        let report = check(writeCycle())
        #expect(report.txnG0.verdict == .invalid)
        #expect(report.txnG0.count == 1)
        let cycle = try #require(report.txnG0.anomalies.first)
        #expect(cycle.transactions.map(\.txn) == ["producer-1-t1", "producer-2-t1"])
        #expect(cycle.transactions.map(\.producer) == ["producer-1", "producer-2"])
        #expect(cycle.transactions.allSatisfy { $0.commitIndex != nil })
        #expect(cycle.componentSize == 2)
        let edges = cycle.edges
        #expect(edges.map(\.kind) == [.ww, .ww])
        // t1's a@t/0:0 before c@t/0:1; producer-2's d@t/1:0 before b@t/1:1.
        #expect(edges[0].from == "producer-1-t1" && edges[0].to == "producer-2-t1" && edges[0].partition == 0)
        #expect(edges[0].fromOffset == 0 && edges[0].toOffset == 1 && edges[0].fromValue == "a" && edges[0].toValue == "c")
        #expect(edges[1].from == "producer-2-t1" && edges[1].to == "producer-1-t1" && edges[1].partition == 1)
        #expect(edges[1].fromOffset == 0 && edges[1].toOffset == 1 && edges[1].fromValue == "d" && edges[1].toValue == "b")
        #expect(edges.allSatisfy { $0.basis == .read && $0.topic == "t" })
        #expect(report.txnG0.notes.contains { $0.contains("Kafka itself allows") })
        // No transaction read another's records: no G1c.
        #expect(report.txnG1c.verdict == .valid)
        #expect(report.valid == .invalid)
    }

    @Test func aConsumedRecordWhoseWriterFollowsTheConsumerIsAG1cCycle() throws {
        var h = HistoryBuilder()
        // The transform's output x@out/0:0 precedes producer-1's b@out/0:1, yet the transform consumed
        // producer-1's a@in/0:0: information went round in a circle.
        let producer: [TxnRecord] = [("in", 0, 0, "a"), ("out", 0, 1, "b")]
        let transform: [TxnRecord] = [("out", 0, 0, "x")]
        h.transaction("producer-1", "producer-1-t1", writes: producer)
        h.transaction("transform-1", "transform-1-t1", writes: transform, inputs: [("in", 0, 0)])
        h.readAll("reader", producer + transform)
        let report = check(h)
        #expect(report.txnG1c.verdict == .invalid)
        #expect(report.txnG1c.count == 1)
        let cycle = try #require(report.txnG1c.anomalies.first)
        #expect(cycle.transactions.map(\.txn) == ["producer-1-t1", "transform-1-t1"])
        #expect(cycle.edges.map(\.kind) == [.wr, .ww])
        #expect(cycle.edges[0].topic == "in" && cycle.edges[0].fromOffset == 0 && cycle.edges[0].fromValue == "a")
        #expect(cycle.edges[1].topic == "out" && cycle.edges[1].fromOffset == 0 && cycle.edges[1].toOffset == 1)
        // A single ww edge is no write cycle.
        #expect(report.txnG0.verdict == .valid)
    }

    @Test func abortedTransactionsAreNotNodes() throws {
        // The same opposite orders, but the second transaction aborted: its records are no versions.
        let report = check(writeCycle(secondOutcome: .txnAbort))
        #expect(report.txnG0.verdict == .valid, "\(report.txnG0.notes)")
        #expect(report.txnG1c.verdict == .valid)
        #expect(report.txnG0.notes.contains { $0.contains("1 aborted or unknown-outcome transaction(s) are not nodes") })

        // An aborted record between two committed ones: the order skips it, t1 → t3 still holds.
        var h = HistoryBuilder()
        h.transaction("producer-1", "producer-1-t1", writes: [("t", 0, 0, "a")])
        h.transaction("producer-1", "producer-1-t2", .txnAbort, writes: [("t", 0, 2, "b")])
        h.transaction("producer-1", "producer-1-t3", writes: [("t", 0, 4, "c")])
        h.read("reader", [(0, "a"), (4, "c")], .readCommitted)
        let skipped = check(h)
        #expect(skipped.txnG0.verdict == .valid)
        #expect(skipped.txnG0.notes.contains { $0.contains("2 committed transaction(s); 1 ww, 0 wr, 0 rw edge(s)") }, "\(skipped.txnG0.notes)")
    }

    @Test func plainSendsAreNotNodesButTheOrderRunsThroughThem() throws {
        var h = HistoryBuilder()
        h.transaction("producer-1", "producer-1-t1", writes: [("t", 0, 0, "a"), ("t", 1, 1, "b")])
        h.send("producer-9", "p", partition: 0, offset: 1)
        h.transaction("producer-2", "producer-2-t1", writes: [("t", 0, 2, "c"), ("t", 1, 0, "d")])
        h.read("reader", [(0, "a"), (1, "p"), (2, "c")], .readCommitted, partition: 0)
        h.read("reader", [(0, "d"), (1, "b")], .readCommitted, partition: 1)
        let report = check(h)
        #expect(report.txnG0.verdict == .invalid)
        let cycle = try #require(report.txnG0.anomalies.first)
        #expect(cycle.edges[0].fromOffset == 0 && cycle.edges[0].toOffset == 2, "the plain record at offset 1 is skipped")
        #expect(cycle.transactions.count == 2)
    }

    @Test func aPartitionNoReadCoveredCannotBeJudged() throws {
        var h = HistoryBuilder()
        h.transaction("producer-1", "producer-1-t1", writes: [("t", 0, 0, "a"), ("t", 1, 0, "b")])
        h.transaction("producer-1", "producer-1-t2", writes: [("t", 0, 2, "c"), ("t", 1, 2, "d")])
        // Partition 1 was never read: only the acknowledgements order it.
        h.read("reader", [(0, "a"), (2, "c")], .readCommitted, partition: 0)
        let report = check(h)
        #expect(report.txnG0.verdict == .unknown)
        #expect(report.txnG1c.verdict == .unknown)
        #expect(report.txnG0.notes.contains { $0.contains("2 committed record(s) lie above every read of their partition (t/1: 2)") },
                "\(report.txnG0.notes)")

        // A cycle shown through acknowledged offsets is still a cycle, marked by its basis.
        var cyclic = HistoryBuilder()
        cyclic.transaction("producer-1", "producer-1-t1", writes: [("t", 0, 0, "a"), ("t", 1, 1, "b")])
        cyclic.transaction("producer-2", "producer-2-t1", writes: [("t", 0, 1, "c"), ("t", 1, 0, "d")])
        cyclic.read("reader", [(0, "a"), (1, "c")], .readCommitted, partition: 0)
        let acknowledged = check(cyclic)
        #expect(acknowledged.txnG0.verdict == .invalid)
        #expect(acknowledged.txnG0.anomalies.first?.edges.map(\.basis).sorted { $0.rawValue < $1.rawValue } == [.acknowledged, .read])
    }

    @Test func withoutTransactionsTheCycleChecksDoNotApply() {
        var h = HistoryBuilder()
        h.send("producer-1", "a", offset: 0)
        h.read("consumer-1", [(0, "a")], .readCommitted)
        let report = check(h)
        #expect(report.txnG0.verdict == .notApplicable)
        #expect(report.txnG1c.verdict == .notApplicable)
    }

    @Test func theSearchFindsOneShortestCyclePerComponent() throws {
        // 0 → 1 → 2 → 0 and 2 → 3 → 4 → 2 share node 2: one component; 5 → 6 → 5 another; 7 alone.
        let edges = [(0, 1), (1, 2), (2, 0), (2, 3), (3, 4), (4, 2), (5, 6), (6, 5), (6, 7)]
        var graph = [[(to: Int, edge: Int)]](repeating: [], count: 8)
        for (position, edge) in edges.enumerated() { graph[edge.0].append((edge.1, position)) }
        let components = CycleSearch.components(graph)
        #expect(components == [[0, 1, 2, 3, 4], [5, 6]])
        let members = Set(components[0])
        let cycle = try #require(CycleSearch.shortestCycle(graph, through: 0, within: members))
        #expect(cycle == [0, 1, 2])
        let through = try #require(CycleSearch.cycle(graph, through: 3, from: 2, to: 3, within: members))
        #expect(through == [3, 4, 5])
        #expect(CycleSearch.components(graph.map { $0.filter { $0.edge != 2 && $0.edge != 5 } }).count == 1)
    }

    /// 100k history lines: 7,200 transactions of one producer over 4 partitions, read back, with one
    /// write cycle between two other producers at the end. It must complete (no time is asserted)
    /// and still find that one cycle.
    @Test func aHundredThousandLineHistoryIsChecked() async throws {
        let outcome = await Self.onOwnThread {
            var h = HistoryBuilder()
            var logs: [[(Int64, String)]] = Array(repeating: [], count: 4)
            for number in 0..<7_200 {
                var writes: [TxnRecord] = []
                for record in 0..<5 {
                    let partition = (number + record) % 4
                    let value = "v\(number)-\(record)"
                    let offset = Int64(logs[partition].count)
                    logs[partition].append((offset, value))
                    writes.append(("t", Int32(partition), offset, value))
                }
                h.transaction("producer-1", "producer-1-t\(number)", writes: writes)
            }
            let a = Int64(logs[0].count)
            let b = Int64(logs[1].count)
            logs[0] += [(a, "x0"), (a + 1, "y0")]
            logs[1] += [(b, "y1"), (b + 1, "x1")]
            h.transaction("producer-2", "producer-2-t1", writes: [("t", 0, a, "x0"), ("t", 1, b + 1, "x1")])
            h.transaction("producer-3", "producer-3-t1", writes: [("t", 0, a + 1, "y0"), ("t", 1, b, "y1")])
            for (partition, log) in logs.enumerated() {
                for start in stride(from: 0, to: log.count, by: 100) {
                    h.read("reader", Array(log[start..<min(start + 100, log.count)]), .readCommitted, partition: Int32(partition))
                }
            }
            let index = HistoryIndex(h.history)
            return (lines: h.ops.count, result: TransactionCheckers.check(index, limit: 100).g0)
        }
        #expect(outcome.lines >= 100_000)
        #expect(outcome.result.verdict == .invalid)
        #expect(outcome.result.count == 1)
        #expect(Set(outcome.result.anomalies.first?.transactions.map(\.txn) ?? []) == ["producer-2-t1", "producer-3-t1"])
    }

    static func onOwnThread<Value: Sendable>(_ body: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: body()) }
        }
    }
}
