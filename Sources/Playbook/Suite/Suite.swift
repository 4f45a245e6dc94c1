import Foundation
import Verification
import Yams

/// A CI suite: playbook × schedule cases, each with the checkers' expected verdict. Unsafe
/// configurations are listed with `expect: invalid` — the suite fails if the checkers miss their
/// loss — and safe ones with `expect: valid`.
///
/// A suite may also list seeded bugs (`bugs:`, see `Suite.Bug`): each is run against safe cases
/// named from this file or from the suites named by `cases_from:`, and must be caught — a safety
/// checker's verdict invalid — by at least `min_caught` of them.
public struct Suite: Sendable, Equatable {
    public struct Case: Sendable, Equatable {
        public var name: String
        /// Resolved to a readable path when the suite loads.
        public var playbook: String
        public var schedule: String?
        public var seed: UInt64?
        public var expect: Verdict
        /// The validated plan (with the schedule applied).
        public var plan: RunPlan
    }

    public var name: String
    public var path: String
    /// This file's own cases: each runs as it is, without a seeded bug.
    public var cases: [Case]
    /// Cases of the `cases_from` suites, which this file's bugs may name; only the named ones run.
    public var library: [Case] = []
    public var bugs: [Bug] = []

    static let topKeys = ["name", "description", "cases", "cases_from", "bugs"]
    static let caseKeys = ["name", "playbook", "schedule", "seed", "expect"]

    /// Every case run without a bug: this file's own, then each library case a bug names, once.
    public var baselineCases: [Case] {
        let named = Set(bugs.flatMap(\.cases))
        return cases + library.filter { named.contains($0.name) && !cases.map(\.name).contains($0.name) }
    }

    /// The case called `name`, from this file or its library.
    public func lookup(_ name: String) -> Case? {
        cases.first { $0.name == name } ?? library.first { $0.name == name }
    }

    /// Loads the suite and validates every playbook and schedule it names, so that a typo in the
    /// last case fails before the first one runs.
    public static func load(path: String, seedOverride: UInt64? = nil) throws -> Suite {
        let r = YAMLReader(file: path)
        var extra: [PlaybookDiagnostic] = []
        guard let text = SourceFile.read(path, "suite", r) else { throw PlaybookError(r.diagnostics) }
        let baseDirectory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var suite = Suite(name: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent, path: path, cases: [])
        if let root = SourceFile.document(text, "suite", keys: ["cases", "bugs"], r), let top = r.mapping(root, "the suite", allowed: topKeys) {
            if let node = top["name"], let name = r.string(node, "name") { suite.name = name }
            if let node = top["cases_from"] {
                suite.library = readLibrary(node, r, baseDirectory: baseDirectory, seedOverride: seedOverride, extra: &extra)
            }
            if let node = top["cases"], let items = r.sequence(node, "cases") {
                if items.isEmpty && top["bugs"] == nil { r.report(node, "a suite needs at least one case") }
                for item in items {
                    if let entry = readCase(item, r, baseDirectory: baseDirectory, seedOverride: seedOverride, extra: &extra) {
                        if suite.cases.contains(where: { $0.name == entry.name }) {
                            r.report(item, "case '\(entry.name)' is listed twice")
                        } else if suite.library.contains(where: { $0.name == entry.name }) {
                            r.report(item, "case '\(entry.name)' is also defined in a cases_from suite; give it another name")
                        } else {
                            suite.cases.append(entry)
                        }
                    }
                }
            } else if top["cases"] == nil && top["bugs"] == nil {
                r.report(root, "a suite needs 'cases' (or 'bugs' with 'cases_from')")
            }
            if let node = top["bugs"] {
                suite.bugs = readBugs(node, r, suite: suite, incomplete: !extra.isEmpty)
            }
        }
        let diagnostics = r.diagnostics + extra
        if !diagnostics.isEmpty { throw PlaybookError(diagnostics) }
        return suite
    }

    /// `cases_from: suite.yaml` or a list of files: their own cases (not their bugs or libraries).
    static func readLibrary(_ node: Node, _ r: YAMLReader, baseDirectory: String, seedOverride: UInt64?,
                            extra: inout [PlaybookDiagnostic]) -> [Case] {
        let items: [Node]
        if case .sequence = node { items = r.sequence(node, "cases_from") ?? [] } else { items = [node] }
        var cases: [Case] = []
        for item in items {
            guard let file = r.string(item, "cases_from") else { continue }
            guard let resolved = ScheduleLoader.resolve(file, baseDirectory: baseDirectory) else {
                r.report(item, "suite '\(file)' not found (looked next to the suite and in the current directory)")
                continue
            }
            do {
                for entry in try Suite.load(path: resolved, seedOverride: seedOverride).cases {
                    if cases.contains(where: { $0.name == entry.name }) {
                        r.report(item, "case '\(entry.name)' of '\(file)' is already defined by an earlier cases_from suite")
                    } else {
                        cases.append(entry)
                    }
                }
            } catch let error as PlaybookError {
                extra += error.diagnostics
            } catch {
                r.report(item, "\(error)")
            }
        }
        return cases
    }

    static func readCase(_ item: Node, _ r: YAMLReader, baseDirectory: String, seedOverride: UInt64?,
                         extra: inout [PlaybookDiagnostic]) -> Case? {
        guard let fields = r.mapping(item, "a suite case", allowed: caseKeys) else { return nil }
        guard let playbookNode = fields["playbook"], let playbook = r.string(playbookNode, "playbook") else {
            r.report(item, "a case needs a playbook")
            return nil
        }
        guard let expectNode = fields["expect"], let expectText = r.string(expectNode, "expect") else {
            r.report(item, "a case needs 'expect: valid' or 'expect: invalid'")
            return nil
        }
        guard let expect = ["valid": Verdict.valid, "invalid": Verdict.invalid][expectText] else {
            r.report(expectNode, "expect must be valid or invalid, not '\(expectText)'")
            return nil
        }
        guard let playbookPath = ScheduleLoader.resolve(playbook, baseDirectory: baseDirectory) else {
            r.report(playbookNode, "playbook '\(playbook)' not found (looked next to the suite and in the current directory)")
            return nil
        }
        var schedulePath: String?
        if let node = fields["schedule"], let schedule = r.string(node, "schedule") {
            guard let resolved = ScheduleLoader.resolve(schedule, baseDirectory: baseDirectory) else {
                r.report(node, "schedule '\(schedule)' not found (looked next to the suite and in the current directory)")
                return nil
            }
            schedulePath = resolved
        }
        var seed = seedOverride
        if seed == nil, let node = fields["seed"], let value = r.int(node, "seed", in: 0...Int.max) { seed = UInt64(value) }
        do {
            let plan = try PlaybookLoader.load(path: playbookPath, seedOverride: seed, scheduleOverride: schedulePath)
            let defaultName = plan.name + (schedulePath.map { "+" + URL(fileURLWithPath: $0).deletingPathExtension().lastPathComponent } ?? "")
            let name = fields["name"].flatMap { r.string($0, "name") } ?? defaultName
            return Case(name: name, playbook: playbookPath, schedule: schedulePath, seed: seed, expect: expect, plan: plan)
        } catch let error as PlaybookError {
            extra += error.diagnostics
            return nil
        } catch {
            r.report(playbookNode, "\(error)")
            return nil
        }
    }
}
