/// A transaction whose commit succeeded although, after it began, a producer with the same
/// transactional id completed `init_transactions`, which fences every earlier producer of that id:
/// Kafka's zombie fencing (KIP-98) says such a commit must fail.
public struct FencedCommit: Sendable, Hashable, Codable {
    public var txn: String
    /// The process, whose name is its transactional id.
    public var producer: String
    /// History indexes: the transaction's `txn_begin`, the later `txn_init` that completed `ok`,
    /// and the `ok` completion of the transaction's `txn_commit`.
    public var beginIndex: Int
    public var initIndex: Int
    public var commitIndex: Int

    enum CodingKeys: String, CodingKey {
        case txn, producer
        case beginIndex = "begin_index"
        case initIndex = "init_index"
        case commitIndex = "commit_index"
    }
}

/// fenced-commit: no transaction commits after a newer producer of its transactional id was
/// initialised. Every `txn_init` that completed `ok` after a transaction's `txn_begin` and before
/// its commit completed `ok` is a violation, however the zombie came about (a paused process, a
/// replaced client, a restarted application). Process names are transactional ids, as the workload
/// runs them. Not applicable when no producer was initialised again after one of its transactions
/// began (nothing was fenced, so nothing could be judged).
enum FencedCommitChecker {
    static let name = "fenced-commit"

    static func check(_ history: History, limit: Int) -> CheckResult<FencedCommit> {
        var inits: [String: [Int]] = [:]
        var begins: [String: (process: String, index: Int)] = [:]
        var commits: [(txn: String, process: String, index: Int)] = []
        var problems = InputProblems()
        // Only transaction operations matter: the others are passed over without copying their lines.
        for operation in history.operations where operation.f == .txnInit || operation.f == .txnBegin || operation.f == .txnCommit {
            let first = history.firstLine(of: operation)
            let completion = history.completion(of: operation)
            switch operation.f {
            case .txnInit where completion?.type == .ok:
                inits[first.process, default: []].append(completion!.index)
            case .txnBegin, .txnCommit:
                let fields = TransactionLog.fields(completion?.value) ?? TransactionLog.fields(first.value)
                guard let txn = fields?["txn"]?.stringValue else {
                    problems.append(InputProblem(source: History.defaultSource, message: "\(operation.f) \(first.index) names no transaction (\"txn\")"))
                    continue
                }
                if operation.f == .txnBegin {
                    if begins[txn] == nil { begins[txn] = (first.process, first.index) }
                } else if let completion, completion.type == .ok {
                    commits.append((txn, first.process, completion.index))
                }
            default:
                continue
            }
        }
        let reinitialised = begins.values.contains { begin in inits[begin.process, default: []].contains { $0 > begin.index } }
        guard reinitialised else {
            let why = begins.isEmpty ? "the history has no transactions"
                : "no transactional producer was initialised again after one of its transactions began: no producer was fenced"
            return CheckResult(checker: name, verdict: .notApplicable, count: 0, anomalies: [], notes: [why])
        }
        var anomalies: [FencedCommit] = []
        for commit in commits {
            guard let begin = begins[commit.txn] else { continue }
            let fencing = inits[begin.process, default: []].first { $0 > begin.index && $0 < commit.index }
            if let fencing {
                anomalies.append(FencedCommit(txn: commit.txn, producer: commit.process, beginIndex: begin.index, initIndex: fencing,
                                              commitIndex: commit.index))
            }
        }
        let firstBegin = Dictionary(begins.values.map { ($0.process, $0.index) }, uniquingKeysWith: min)
        let reinits = inits.reduce(0) { sum, entry in sum + entry.value.filter { $0 > firstBegin[entry.key, default: Int.max] }.count }
        return .judge(name, anomalies: anomalies, limit: limit, problems: problems,
                      notes: ["\(reinits) producer re-initialisation(s) after transactions of the same transactional id began"])
    }
}
