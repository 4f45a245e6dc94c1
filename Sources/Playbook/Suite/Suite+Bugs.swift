import Foundation
import SamsaConfig
import Verification
import Yams

extension Suite {
    /// One seeded bug of the suite's `bugs:` section: the broker runs with it switched on
    /// (`samsa.test.seeded.bugs`) in each of `cases`, and at least `minCaught` of those runs must
    /// end with a safety checker's verdict invalid.
    public struct Bug: Sendable, Equatable {
        /// A name from the broker's seeded-bug catalog (`SeededBugCatalog`).
        public var name: String
        /// Names of safe cases (`expect: valid`), from this file or its `cases_from` suites.
        public var cases: [String]
        public var minCaught: Int

        public init(name: String, cases: [String], minCaught: Int) {
            self.name = name
            self.cases = cases
            self.minCaught = minCaught
        }

        /// The bug with `count` of its cases required to catch it (`samsa suite --min-caught`), at
        /// most its number of cases and at least one.
        public func requiring(_ count: Int) -> Bug {
            Bug(name: name, cases: cases, minCaught: max(1, min(count, cases.count)))
        }
    }

    static let bugKeys = ["bug", "cases", "min_caught"]
    /// Two cases per bug by default: one case catching a bug may be luck of timing.
    public static let defaultMinCaught = 2

    /// The plan of `entry` with `bug` switched on in every broker: the property in the broker
    /// configuration and the environment variable that allows it, for the broker processes only.
    public static func bugPlan(_ plan: RunPlan, bug: String) -> RunPlan {
        var plan = plan
        plan.name += " [seeded bug \(bug)]"
        plan.brokerConfig[seededBugsProperty] = bug
        var environment = plan.brokerEnvironment ?? [:]
        environment[seededBugsEnvironmentVariable] = "1"
        plan.brokerEnvironment = environment
        return plan
    }

    /// `bugs:` — a list of `{bug, cases, min_caught}`. `incomplete` says some case failed to load,
    /// so an unknown case name is not reported again (its own diagnostics say why).
    static func readBugs(_ node: Node, _ r: YAMLReader, suite: Suite, incomplete: Bool) -> [Bug] {
        guard let items = r.sequence(node, "bugs") else { return [] }
        if items.isEmpty { r.report(node, "'bugs' needs at least one bug") }
        var bugs: [Bug] = []
        for item in items {
            guard let fields = r.mapping(item, "a seeded bug", allowed: bugKeys) else { continue }
            guard let nameNode = fields["bug"], let name = r.string(nameNode, "bug") else {
                r.report(item, "a seeded bug needs 'bug: NAME' (one of: \(SeededBugCatalog.names.joined(separator: ", ")))")
                continue
            }
            guard SeededBugCatalog.isKnown(name) else {
                let hint = NearestName.closest(to: name, among: SeededBugCatalog.names).map { "did you mean '\($0)'? " } ?? ""
                r.report(nameNode, "unknown seeded bug '\(name)'; \(hint)known: \(SeededBugCatalog.names.joined(separator: ", "))")
                continue
            }
            if bugs.contains(where: { $0.name == name }) {
                r.report(nameNode, "bug '\(name)' is listed twice")
                continue
            }
            guard let casesNode = fields["cases"], let caseItems = r.sequence(casesNode, "cases of bug \(name)") else {
                if fields["cases"] == nil { r.report(item, "bug '\(name)' needs 'cases': the safe cases that must catch it") }
                continue
            }
            var names: [String] = []
            for caseNode in caseItems {
                guard let caseName = r.string(caseNode, "a case name") else { continue }
                if names.contains(caseName) {
                    r.report(caseNode, "case '\(caseName)' is listed twice for bug '\(name)'")
                    continue
                }
                guard let entry = suite.lookup(caseName) else {
                    if !incomplete {
                        let known = (suite.cases + suite.library).map(\.name)
                        let hint = NearestName.closest(to: caseName, among: known).map { "; did you mean '\($0)'?" } ?? ""
                        r.report(caseNode, "no case named '\(caseName)' in this suite or its cases_from suites\(hint)")
                    }
                    continue
                }
                guard entry.expect == .valid else {
                    r.report(caseNode, "case '\(caseName)' expects invalid; a seeded bug can only be caught by a safe case (expect: valid)")
                    continue
                }
                names.append(caseName)
            }
            if caseItems.isEmpty { r.report(casesNode, "bug '\(name)' needs at least one case") }
            var minCaught = min(defaultMinCaught, max(1, names.count))
            if let node = fields["min_caught"], let value = r.int(node, "min_caught", in: 1...max(1, caseItems.count)) {
                minCaught = value
            }
            bugs.append(Bug(name: name, cases: names, minCaught: minCaught))
        }
        return bugs
    }
}

/// How one run of a case with a seeded bug turned out.
public enum BugRunResult: String, Sendable, Codable, Equatable {
    /// A safety checker's verdict was invalid.
    case caught
    /// Every safety check valid and every expectation held: the bug went unnoticed.
    case missed
    /// Every safety check valid, but an expectation (acknowledged count, ISR shrinks, lag) failed:
    /// the bug hurt availability, which is not proof of a broken guarantee.
    case missedLivenessOnly = "missed-liveness-only"
    /// No check invalid but some unknown: the run could not tell.
    case unknown
    /// The run did not complete (the lab failed, or was interrupted).
    case error

    /// As the suite table prints it.
    public var label: String {
        switch self {
        case .caught: return "caught"
        case .missed: return "missed"
        case .missedLivenessOnly: return "missed (liveness only)"
        case .unknown: return "unknown"
        case .error: return "error"
        }
    }
}

/// The judgement of one bug run, from the checkers' verdicts alone.
public struct BugRunJudgement: Sendable, Equatable {
    public var result: BugRunResult
    /// The checkers that fired (invalid) when caught; the unknown ones when unknown.
    public var checkers: [String]

    public init(result: BugRunResult, checkers: [String]) {
        self.result = result
        self.checkers = checkers
    }

    /// Caught when any checker is invalid; else unknown when any is unknown; else missed, "liveness
    /// only" when an expectation failed. Expectations never make a run caught: they measure
    /// liveness (how much was acknowledged, how the ISR moved), not a broken guarantee.
    public static func judge(verdicts: [(checker: String, verdict: Verdict)], expectationsPassed: Bool?) -> BugRunJudgement {
        let invalid = verdicts.filter { $0.verdict == .invalid }.map(\.checker)
        if !invalid.isEmpty { return BugRunJudgement(result: .caught, checkers: invalid) }
        let unknown = verdicts.filter { $0.verdict == .unknown }.map(\.checker)
        if !unknown.isEmpty { return BugRunJudgement(result: .unknown, checkers: unknown) }
        return BugRunJudgement(result: expectationsPassed == false ? .missedLivenessOnly : .missed, checkers: [])
    }
}

/// One bug over all its runs.
public struct BugSummary: Sendable, Equatable, Codable {
    public var bug: String
    public var casesRun: Int
    public var casesCaught: Int
    public var minCaught: Int
    /// Cases not run because the bug was already caught (`samsa suite --stop-when-caught`).
    public var casesNotRun: Int
    /// Every checker that fired in any of its runs.
    public var checkers: [String]
    public var caught: Bool { casesCaught >= minCaught }

    public init(bug: String, results: [(result: BugRunResult, checkers: [String])], minCaught: Int, casesNotRun: Int = 0) {
        self.bug = bug
        self.casesNotRun = casesNotRun
        casesRun = results.count
        casesCaught = results.filter { $0.result == .caught }.count
        self.minCaught = minCaught
        var fired: [String] = []
        for run in results where run.result == .caught {
            for checker in run.checkers where !fired.contains(checker) { fired.append(checker) }
        }
        checkers = fired
    }

    enum CodingKeys: String, CodingKey {
        case bug, checkers, caught
        case casesRun = "cases_run"
        case casesCaught = "cases_caught"
        case minCaught = "min_caught"
        case casesNotRun = "cases_not_run"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(bug, forKey: .bug)
        try container.encode(casesRun, forKey: .casesRun)
        try container.encode(casesCaught, forKey: .casesCaught)
        try container.encode(minCaught, forKey: .minCaught)
        try container.encode(casesNotRun, forKey: .casesNotRun)
        try container.encode(checkers, forKey: .checkers)
        try container.encode(caught, forKey: .caught)
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        bug = try container.decode(String.self, forKey: .bug)
        casesRun = try container.decode(Int.self, forKey: .casesRun)
        casesCaught = try container.decode(Int.self, forKey: .casesCaught)
        minCaught = try container.decode(Int.self, forKey: .minCaught)
        casesNotRun = try container.decodeIfPresent(Int.self, forKey: .casesNotRun) ?? 0
        checkers = try container.decode([String].self, forKey: .checkers)
    }

    /// Bugs caught over bugs run, as "12/15 (80%)".
    public static func catchRate(_ summaries: [BugSummary]) -> (caught: Int, bugs: Int, text: String) {
        let caught = summaries.filter(\.caught).count
        let percent = summaries.isEmpty ? 0 : Int((Double(caught) * 100 / Double(summaries.count)).rounded())
        return (caught, summaries.count, "\(caught)/\(summaries.count) (\(percent)%)")
    }
}
