import KafkaProtocol

/// An edge of the transaction dependency graph, with the partition and offsets that justify it.
///
/// - `ww`: `from` wrote the record at `from_offset` and `to` the next record of a committed
///   transaction after it (`to_offset`) in the same partition.
/// - `wr`: `to`, a consume-transform-produce transaction, consumed the record `from` wrote
///   (`from_offset` and `to_offset` are that record's offset).
/// - `rw`: `from` consumed this partition up to `from_offset`, and `to` wrote the next record of a
///   committed transaction after it (`to_offset`), which `from` therefore did not see.
public struct DependencyEdge: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case ww, wr, rw
    }

    /// How the edge's offsets are known.
    public enum Basis: String, Sendable, Hashable, Codable {
        /// Every record the edge rests on was returned by a read at that offset.
        case read
        /// At least one rests only on its producer's delivery report.
        case acknowledged
    }

    public var kind: Kind
    public var from: String
    public var to: String
    public var topic: String
    public var partition: Int32
    public var fromOffset: Int64
    public var toOffset: Int64
    /// The records' values, where the edge names a record (a `rw` edge's `from` side names none).
    public var fromValue: String?
    public var toValue: String?
    public var basis: Basis

    enum CodingKeys: String, CodingKey {
        case kind, from, to, topic, partition, basis
        case fromOffset = "from_offset"
        case toOffset = "to_offset"
        case fromValue = "from_value"
        case toValue = "to_value"
    }
}

/// The dependency graph between a run's committed transactions, as Jepsen's Kafka checker infers
/// it: each partition's log order is its version order, and edges are drawn from it.
///
/// Only committed transactions are nodes. A transaction whose outcome is unknown, an aborted one
/// and a plain (non-transactional) send are not: their records are skipped in a partition's order,
/// so an edge may stand for a path through them (T1's record, a plain record, T2's record gives
/// T1 → T2), which is still an order the log shows. Leaving such writers out can hide a cycle, never
/// invent one.
///
/// A committed record is placed at the offset where a read returned its value; one no read returned
/// is placed at its acknowledged offset, unless a read found another value there. Records placed
/// above every read of their partition rest on acknowledgements alone: `unread` counts them, and a
/// check that finds no cycle cannot call such a graph valid.
struct TransactionGraph {
    /// One placed record of a committed transaction.
    struct Placed {
        var transaction: Int
        var offset: Int64
        var value: String
        var basis: DependencyEdge.Basis
    }

    /// Transactions of the log that are nodes (committed), by position in `log.transactions`.
    let nodes: [Int]
    /// Per position in `log.transactions`: its node number, or -1.
    let nodeOf: [Int]
    /// Distinct edges, the first justification of each (from, to, kind) kept.
    private(set) var edges: [DependencyEdge] = []
    /// Per edge: its ends, as positions in `log.transactions`.
    private(set) var ends: [(from: Int, to: Int)] = []
    /// Per node: (target node, edge position) of its outgoing edges.
    private(set) var outgoing: [[(to: Int, edge: Int)]]
    /// Committed records placed above every read of their partition (or in a partition nobody read):
    /// how many, per partition.
    private(set) var unread: [TopicPartition: Int] = [:]
    /// Committed records that could not be placed: delivered without an offset, or acknowledged at an
    /// offset where a read found another value, or sharing an offset with another committed record.
    private(set) var unplaced = 0
    private(set) var counts: [DependencyEdge.Kind: Int] = [:]

    init(_ log: TransactionLog, history: History) {
        var nodes: [Int] = []
        var nodeOf = [Int](repeating: -1, count: log.transactions.count)
        for (position, transaction) in log.transactions.enumerated() where transaction.outcome == .committed {
            nodeOf[position] = nodes.count
            nodes.append(position)
        }
        self.nodes = nodes
        self.nodeOf = nodeOf
        outgoing = Array(repeating: [], count: nodes.count)
        guard !nodes.isEmpty else { return }

        let reads = Self.reads(history)
        // Each partition's committed records in log order.
        var orders: [TopicPartition: [Placed]] = [:]
        for position in nodes {
            for write in log.transactions[position].writes {
                guard let partition = write.partition else {
                    if write.offset != nil { unplaced += 1 }
                    continue
                }
                let place = TopicPartition(write.topic, partition)
                if let offset = reads.firstOffset[write.value], offset.partition == place {
                    orders[place, default: []].append(Placed(transaction: position, offset: offset.offset, value: write.value, basis: .read))
                } else if let offset = write.offset, reads.values[place]?[offset].map({ $0 == write.value }) ?? true {
                    orders[place, default: []].append(Placed(transaction: position, offset: offset, value: write.value, basis: .acknowledged))
                } else if write.offset != nil {
                    unplaced += 1
                }
            }
        }
        for place in orders.keys.sorted() {
            var records = orders[place]!.sorted { $0.offset < $1.offset }
            var kept: [Placed] = []
            kept.reserveCapacity(records.count)
            for record in records {
                if let last = kept.last, last.offset == record.offset {
                    unplaced += 1
                    continue
                }
                kept.append(record)
                if record.offset > reads.highest[place, default: -1] { unread[place, default: 0] += 1 }
            }
            records = kept
            orders[place] = records
            for (earlier, later) in zip(records, records.dropFirst()) where earlier.transaction != later.transaction {
                add(DependencyEdge(
                    kind: .ww, from: log.transactions[earlier.transaction].id, to: log.transactions[later.transaction].id,
                    topic: place.topic, partition: place.partition, fromOffset: earlier.offset, toOffset: later.offset,
                    fromValue: earlier.value, toValue: later.value, basis: Self.basis(earlier, later)),
                    from: earlier.transaction, to: later.transaction)
            }
        }
        // Inputs: every consumed record a committed transaction wrote (wr), and per partition the next
        // committed record after the highest offset consumed (rw).
        var byOffset: [TopicPartition: [Int64: Int]] = [:]
        for (place, records) in orders {
            byOffset[place] = Dictionary(uniqueKeysWithValues: records.enumerated().map { ($0.element.offset, $0.offset) })
        }
        for reader in nodes {
            let transaction = log.transactions[reader]
            var highest: [TopicPartition: Int64] = [:]
            for input in transaction.inputs {
                let place = TopicPartition(input.topic, input.partition)
                highest[place] = max(highest[place] ?? input.offset, input.offset)
                guard let slot = byOffset[place]?[input.offset], let record = orders[place]?[slot], record.transaction != reader else { continue }
                add(DependencyEdge(
                    kind: .wr, from: log.transactions[record.transaction].id, to: transaction.id, topic: place.topic,
                    partition: place.partition, fromOffset: record.offset, toOffset: input.offset, fromValue: record.value,
                    toValue: record.value, basis: record.basis),
                    from: record.transaction, to: reader)
            }
            for (place, offset) in highest.sorted(by: { $0.key < $1.key }) {
                guard let records = orders[place] else { continue }
                let next = Self.firstIndex(in: records, after: offset)
                guard next < records.count, records[next].transaction != reader else { continue }
                let record = records[next]
                add(DependencyEdge(
                    kind: .rw, from: transaction.id, to: log.transactions[record.transaction].id, topic: place.topic,
                    partition: place.partition, fromOffset: offset, toOffset: record.offset, fromValue: nil, toValue: record.value,
                    basis: record.basis),
                    from: reader, to: record.transaction)
            }
        }
    }

    private var seen: Set<EdgeKey> = []

    private struct EdgeKey: Hashable {
        var from: Int
        var to: Int
        var kind: DependencyEdge.Kind
    }

    private mutating func add(_ edge: DependencyEdge, from: Int, to: Int) {
        let source = nodeOf[from]
        let target = nodeOf[to]
        guard source >= 0, target >= 0, source != target, seen.insert(EdgeKey(from: source, to: target, kind: edge.kind)).inserted else { return }
        outgoing[source].append((target, edges.count))
        edges.append(edge)
        ends.append((from, to))
        counts[edge.kind, default: 0] += 1
    }

    /// The outgoing edges of every node restricted to `kinds`, as plain adjacency lists.
    func adjacency(_ kinds: Set<DependencyEdge.Kind>) -> [[(to: Int, edge: Int)]] {
        outgoing.map { $0.filter { kinds.contains(edges[$0.edge].kind) } }
    }

    static func basis(_ records: Placed...) -> DependencyEdge.Basis {
        records.allSatisfy { $0.basis == .read } ? .read : .acknowledged
    }

    /// The position of the first record above `offset` (binary search over records sorted by offset).
    static func firstIndex(in records: [Placed], after offset: Int64) -> Int {
        var low = 0
        var high = records.count
        while low < high {
            let middle = (low + high) / 2
            if records[middle].offset <= offset { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// What `ok` reads (polls and final reads, at any isolation level) returned: where each value
    /// was first read, the value read at each offset, and each partition's highest offset read.
    struct Reads {
        var firstOffset: [String: (partition: TopicPartition, offset: Int64)] = [:]
        var values: [TopicPartition: [Int64: String]] = [:]
        var highest: [TopicPartition: Int64] = [:]
    }

    static func reads(_ history: History) -> Reads {
        var reads = Reads()
        for op in history.ops where op.type == .ok && op.f.isRead {
            guard case .poll(let poll) = op.value else { continue }
            for record in poll.records {
                let place = record.topicPartition
                if reads.firstOffset[record.value] == nil { reads.firstOffset[record.value] = (place, record.offset) }
                if reads.values[place]?[record.offset] == nil { reads.values[place, default: [:]][record.offset] = record.value }
                reads.highest[place] = max(reads.highest[place] ?? record.offset, record.offset)
            }
        }
        return reads
    }
}
