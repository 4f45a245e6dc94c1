import KafkaProtocol

/// A committed transaction on a dependency cycle.
public struct CycleMember: Sendable, Hashable, Codable {
    public var txn: String
    public var producer: String
    public var commitIndex: Int?

    enum CodingKeys: String, CodingKey {
        case txn, producer
        case commitIndex = "commit_index"
    }
}

/// A cycle of the transaction dependency graph: `edges[i]` leads from `transactions[i]` to the next
/// transaction (the last edge back to the first), each with the partition and offsets that justify it.
public struct TransactionCycle: Sendable, Hashable, Codable {
    public var transactions: [CycleMember]
    public var edges: [DependencyEdge]
    /// The transactions of the strongly connected component the cycle was found in (at least the
    /// cycle's own): how entangled the component is.
    public var componentSize: Int

    enum CodingKeys: String, CodingKey {
        case transactions, edges
        case componentSize = "component_size"
    }
}

/// Elle-style cycle checks over committed transactions (`TransactionGraph`):
///
/// - `txn-g0` (write cycle): a cycle of ww edges only — the logs order two transactions' writes
///   both ways.
/// - `txn-g1c` (circular information flow): a cycle of ww and wr edges holding at least one wr
///   edge — a transaction consumed what another wrote, which in turn follows it in some log.
///
/// One cycle is reported per strongly connected component (the anomaly count), a shortest one
/// through the component's first node (G0) or first wr edge (G1c). rw edges are built and counted
/// but judged by neither check: cycles through them are G-single and G2, which Kafka's
/// transactions do not rule out.
enum TransactionCycleChecker {
    struct Outcome {
        var g0: CheckResult<TransactionCycle>
        var g1c: CheckResult<TransactionCycle>
    }

    static func check(_ log: TransactionLog, history: History, limit: Int, problems: InputProblems) -> Outcome {
        let graph = TransactionGraph(log, history: history)
        var notes = [
            "dependency graph: \(graph.nodes.count) committed transaction(s); \(graph.counts[.ww] ?? 0) ww, \(graph.counts[.wr] ?? 0) wr, "
                + "\(graph.counts[.rw] ?? 0) rw edge(s) (rw edges are judged by neither txn-g0 nor txn-g1c)",
        ]
        let outside = log.transactions.count - graph.nodes.count
        if outside > 0 {
            notes.append("\(outside) aborted or unknown-outcome transaction(s) are not nodes: their records are skipped in each partition's order")
        }
        var unjudged: [String] = []
        if !graph.unread.isEmpty {
            let total = graph.unread.values.reduce(0, +)
            let partitions = graph.unread.sorted { $0.key < $1.key }.prefix(10).map { "\($0.key): \($0.value)" }.joined(separator: ", ")
            unjudged.append("\(total) committed record(s) lie above every read of their partition (\(partitions)): only their producers' acknowledgements order them, so no read shows the log there")
        }
        if graph.unplaced > 0 {
            unjudged.append("\(graph.unplaced) committed record(s) could not be placed in their partition's order (acknowledged at an offset where a read found another value, or sharing an offset with another record)")
        }
        let g0 = cycles(in: graph, log: log, kinds: [.ww], through: nil)
        let g1c = cycles(in: graph, log: log, kinds: [.ww, .wr], through: .wr)
        var g0Notes = notes
        if g0.contains(where: { Set($0.transactions.map(\.producer)).count > 1 }) {
            g0Notes.append("Kafka's transaction protocol does not order the writes of transactions open at once on different producers, "
                + "so a G0 between their transactions is one Kafka itself allows (allowed_anomalies: [txn_g0] where producers share partitions); "
                + "transactions of one producer never overlap")
        }
        return Outcome(
            g0: verdict("txn-g0", cycles: g0, limit: limit, problems: problems, notes: g0Notes, unjudged: unjudged),
            g1c: verdict("txn-g1c", cycles: g1c, limit: limit, problems: problems, notes: notes, unjudged: unjudged))
    }

    /// Invalid on a cycle; otherwise unknown when part of the logs could not be ordered.
    static func verdict(
        _ checker: String, cycles: [TransactionCycle], limit: Int, problems: InputProblems, notes: [String], unjudged: [String]
    ) -> CheckResult<TransactionCycle> {
        var result = CheckResult.judge(checker, anomalies: cycles, limit: limit, problems: problems, notes: notes + unjudged)
        if result.verdict == .valid && !unjudged.isEmpty { result.verdict = .unknown }
        return result
    }

    /// One shortest cycle per strongly connected component of the graph restricted to `kinds`; with
    /// `through`, only components holding an edge of that kind, the cycle running through it.
    static func cycles(
        in graph: TransactionGraph, log: TransactionLog, kinds: Set<DependencyEdge.Kind>, through: DependencyEdge.Kind?
    ) -> [TransactionCycle] {
        let adjacency = graph.adjacency(kinds)
        var found: [TransactionCycle] = []
        for component in CycleSearch.components(adjacency) {
            let members = Set(component)
            var path: [Int]?
            if let through {
                let edge = component.lazy.flatMap { node in adjacency[node].lazy.map { (node, $0.to, $0.edge) } }
                    .first { members.contains($0.1) && graph.edges[$0.2].kind == through }
                guard let (from, to, position) = edge else { continue }
                path = CycleSearch.cycle(adjacency, through: position, from: from, to: to, within: members)
            } else {
                path = CycleSearch.shortestCycle(adjacency, through: component[0], within: members)
            }
            guard let path, !path.isEmpty else { continue }
            let edges = path.map { graph.edges[$0] }
            let transactions = path.map { position -> CycleMember in
                let transaction = log.transactions[graph.ends[position].from]
                return CycleMember(txn: transaction.id, producer: transaction.process, commitIndex: transaction.endIndex)
            }
            found.append(TransactionCycle(transactions: transactions, edges: edges, componentSize: component.count))
        }
        return found
    }
}
