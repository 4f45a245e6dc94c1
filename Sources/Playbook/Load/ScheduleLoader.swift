import Foundation
import Lab
import Yams

/// Reads fault schedules: a playbook's `faults` block (inline timed steps, a randomized schedule,
/// or a schedule file from `Chaos/` with parameters) and schedule files themselves. Steps use the
/// grammar of `samsa fault` and the shell; `${name}` in a step is replaced by a parameter.
enum ScheduleLoader {
    static let faultsKeys = ["schedule", "with", "steps", "random"]
    static let fileKeys = ["name", "description", "steps", "random"]
    static let stepKeys = ["at", "do", "heal_after", "when", "timeout", "on_timeout"]
    static let randomKeys = ["start", "every", "jitter", "heal_after", "until", "faults"]

    /// The playbook's `faults:` block.
    static func readFaultsBlock(_ node: Node, _ r: YAMLReader, context: StepContext, baseDirectory: String, seed: UInt64,
                                durationMs: Int64, diagnostics: inout [PlaybookDiagnostic]) -> (steps: [RunPlan.Step], scheduleFile: String?) {
        guard let fields = r.mapping(node, "faults", allowed: faultsKeys) else { return ([], nil) }
        var parameters = context.defaultParameters
        if let node = fields["with"], let entries = r.stringMap(node, "faults.with") {
            for entry in entries { parameters[entry.key] = entry.value }
        }
        if let node = fields["schedule"] {
            if let key = fields.key("steps") ?? fields.key("random") {
                r.report(key, "faults take either a schedule file or inline steps/random, not both")
                return ([], nil)
            }
            guard let path = r.string(node, "faults.schedule") else { return ([], nil) }
            guard let resolved = resolve(path, baseDirectory: baseDirectory) else {
                r.report(node, "schedule file '\(path)' not found (looked next to the playbook and in the current directory)")
                return ([], nil)
            }
            let steps = loadFile(resolved, parameters: parameters, context: context, seed: seed, durationMs: durationMs, diagnostics: &diagnostics)
            return (steps ?? [], resolved)
        }
        if fields["with"] != nil, let key = fields.key("with") { r.report(key, "'with' sets the parameters of a schedule file; there is no schedule") }
        return (readStepsAndRandom(fields, node, r, parameters: parameters, context: context, seed: seed), nil)
    }

    /// The `steps` and `random` of a faults block or schedule file, in the order they run, checked
    /// against `StepBudget`: too many steps, or steps too dense to apply before the workload ends,
    /// are reported at the step (or the `random` block) that does not fit.
    static func readStepsAndRandom(_ fields: Fields, _ node: Node, _ r: YAMLReader, parameters: [String: String], context: StepContext,
                                   seed: UInt64) -> [RunPlan.Step] {
        var located: [(step: RunPlan.Step, node: Node)] = []
        if let node = fields["steps"] { located += readSteps(node, r, parameters: parameters, context: context) }
        if let node = fields["random"] {
            located += readRandom(node, r, parameters: parameters, context: context, seed: seed, budget: StepBudget.maxSteps - located.count)
                .map { (step: $0, node: node) }
        }
        let ordered = located.enumerated().sorted { ($0.element.step.atMs, $0.offset) < ($1.element.step.atMs, $1.offset) }.map(\.element)
        if ordered.count > StepBudget.maxSteps {
            r.report(fields.key("random") ?? fields.key("steps") ?? node,
                     "the schedule has \(ordered.count) steps; at most \(StepBudget.maxSteps) are allowed")
            return []
        }
        if let problem = StepBudget.check(ordered.map(\.step), durationMs: context.durationMs) {
            r.report(ordered[problem.index].node, problem.message)
            return []
        }
        return ordered.map(\.step)
    }

    /// A schedule file (`Chaos/*.yaml`), with its own diagnostics appended to `diagnostics`. The
    /// file must pass `SourceFile`'s rule before any of it is quoted.
    static func loadFile(_ path: String, parameters: [String: String], context: StepContext, seed: UInt64, durationMs: Int64,
                         diagnostics: inout [PlaybookDiagnostic]) -> [RunPlan.Step]? {
        let r = YAMLReader(file: path)
        defer { diagnostics += r.diagnostics }
        guard let text = SourceFile.read(path, "schedule", r),
              let root = SourceFile.document(text, "schedule", keys: ["steps", "random"], r),
              let fields = r.mapping(root, "the schedule", allowed: fileKeys) else { return nil }
        if fields["steps"] == nil && fields["random"] == nil {
            r.report(root, "a schedule needs steps or random")
            return nil
        }
        return readStepsAndRandom(fields, root, r, parameters: parameters, context: context, seed: seed)
    }

    static func resolve(_ path: String, baseDirectory: String) -> String? {
        let candidates = path.hasPrefix("/") ? [path] : [baseDirectory + "/" + path, FileManager.default.currentDirectoryPath + "/" + path]
        return candidates.first { FileManager.default.isReadableFile(atPath: $0) }.map { URL(fileURLWithPath: $0).standardized.path }
    }

    /// Each step with its node (for positions). A list longer than `StepBudget.maxSteps` is
    /// refused before any of it is read.
    static func readSteps(_ node: Node, _ r: YAMLReader, parameters: [String: String], context: StepContext) -> [(step: RunPlan.Step, node: Node)] {
        guard let items = r.sequence(node, "steps") else { return [] }
        guard items.count <= StepBudget.maxSteps else {
            r.report(node, "steps lists \(items.count) steps; at most \(StepBudget.maxSteps) are allowed")
            return []
        }
        var steps: [(step: RunPlan.Step, node: Node)] = []
        for item in items {
            guard let fields = r.mapping(item, "a step", allowed: stepKeys) else { continue }
            guard let atNode = fields["at"], let doNode = fields["do"] else {
                r.report(item, "a step needs 'at' (when, e.g. 10s) and 'do' (the fault, e.g. crash leader_of orders/0)")
                continue
            }
            let at = r.duration(atNode, "at", in: 0...3_600_000)
            let command = self.command(doNode, r, parameters: parameters, context: context)
            var healAfter: Int64?
            if let node = fields["heal_after"] {
                healAfter = r.duration(node, "heal_after", in: 1...3_600_000)
                if let command, command.isAdminRequest {
                    r.report(node, "heal_after does not apply to '\(command.name)': it is a one-shot admin request with nothing to heal")
                } else if let command, !StepContext.lasts(command) {
                    r.report(node, "heal_after applies to faults that last until healed, not to '\(command.name)'")
                }
            }
            let wait = readWait(fields, r, parameters: parameters, context: context)
            guard let at, let command, let wait else { continue }
            if case .awaitCondition = command, wait.condition != nil, let key = fields.key("when") {
                r.report(key, "a step either waits with 'when' and does something, or does 'await'; not both")
                continue
            }
            if at >= context.durationMs {
                r.report(atNode, "at \(YAMLReader.formatDuration(at)) is not before the end of the workload (duration \(YAMLReader.formatDuration(context.durationMs)))")
                continue
            }
            steps.append((RunPlan.Step(atMs: at, command: command, healAfterMs: healAfter, condition: wait.condition,
                                       timeoutMs: wait.timeoutMs, onTimeout: wait.onTimeout), item))
        }
        return steps
    }

    /// A step's `when:`, `timeout:` and `on_timeout:`; nil when one of them is wrong (reported).
    static func readWait(_ fields: Fields, _ r: YAMLReader, parameters: [String: String], context: StepContext)
        -> (condition: Condition?, timeoutMs: Int64?, onTimeout: RunPlan.Step.TimeoutAction?)? {
        var valid = true
        var condition: Condition?
        if let node = fields["when"] {
            condition = self.condition(node, r, parameters: parameters, context: context)
            if condition == nil { valid = false }
        }
        var timeoutMs: Int64?
        if let node = fields["timeout"] {
            timeoutMs = r.duration(node, "timeout", in: 1...Int64(FaultCommand.maxAwaitTimeoutMs))
            if timeoutMs == nil { valid = false }
            if fields["when"] == nil, let key = fields.key("timeout") {
                r.report(key, "timeout bounds the wait of a step with 'when'; this step has none")
                valid = false
            }
        }
        var onTimeout: RunPlan.Step.TimeoutAction?
        if let node = fields["on_timeout"] {
            if let text = r.string(node, "on_timeout") {
                onTimeout = RunPlan.Step.TimeoutAction(rawValue: text)
                if onTimeout == nil { r.report(node, "on_timeout must be skip (do not fire the step) or run (fire it anyway), not '\(text)'") }
            }
            if onTimeout == nil { valid = false }
            if fields["when"] == nil, let key = fields.key("on_timeout") {
                r.report(key, "on_timeout applies to a step with 'when'; this step has none")
                valid = false
            }
        }
        guard valid else { return nil }
        return (condition, condition == nil ? nil : timeoutMs ?? RunPlan.Step.defaultTimeoutMs, condition == nil ? nil : onTimeout ?? .skip)
    }

    /// Parses a `when:` condition after substituting parameters, reporting a problem at the column
    /// of the offending word.
    static func condition(_ node: Node, _ r: YAMLReader, parameters: [String: String], context: StepContext) -> Condition? {
        substitutedParse(node, r, "a step's 'when'", parameters: parameters, parse: ConditionParser.parse, problem: context.problem(with:))
    }

    static func reportParseError(_ error: CommandParseError, _ node: Node, _ r: YAMLReader, text: String, raw: String) {
        let mark = node.mark
        let quoted = node.scalar.map { $0.style == .singleQuoted || $0.style == .doubleQuoted } ?? false
        // Columns inside the text are exact only when no parameter was substituted before them.
        let offset = text == raw ? error.offset : 0
        r.report(line: mark?.line ?? 0, column: (mark?.column ?? 0) + (quoted ? 1 : 0) + offset, "'\(text)': \(error)")
    }

    /// Parses one step in the shared grammar, after substituting parameters, reporting a problem at
    /// the column of the offending word.
    static func command(_ node: Node, _ r: YAMLReader, parameters: [String: String], context: StepContext) -> FaultCommand? {
        substitutedParse(node, r, "a step's 'do'", parameters: parameters, parse: FaultParser.parse, problem: context.problem(with:))
    }

    /// Substitutes parameters in a scalar, parses it and asks `problem` about the result, reporting
    /// at the node (and, for a parse error, at the column of the offending word).
    private static func substitutedParse<T>(_ node: Node, _ r: YAMLReader, _ what: String, parameters: [String: String],
                                            parse: (String) throws -> T, problem: (T) -> String?) -> T? {
        guard let raw = r.string(node, what) else { return nil }
        let text: String
        switch substitute(raw, parameters) {
        case .success(let substituted): text = substituted
        case .failure(let missing):
            let known = parameters.keys.sorted().map { "${\($0)}" }.joined(separator: ", ")
            r.report(node, "unknown parameter ${\(missing.name)} (known: \(known.isEmpty ? "none" : known))")
            return nil
        }
        do {
            let parsed = try parse(text)
            if let problem = problem(parsed) {
                r.report(node, "'\(text)': \(problem)")
                return nil
            }
            return parsed
        } catch let error as CommandParseError {
            reportParseError(error, node, r, text: text, raw: raw)
            return nil
        } catch {
            r.report(node, "'\(text)': \(error)")
            return nil
        }
    }

    struct MissingParameter: Error { var name: String }

    /// Replaces `${name}` with its value; an unknown name is an error.
    static func substitute(_ text: String, _ parameters: [String: String]) -> Result<String, MissingParameter> {
        var result = ""
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            result += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                return .failure(MissingParameter(name: String(rest[open.upperBound...])))
            }
            let name = String(rest[open.upperBound..<close])
            guard let value = parameters[name] else { return .failure(MissingParameter(name: name)) }
            result += value
            rest = rest[rest.index(after: close)...]
        }
        return .success(result + rest)
    }

    /// A `random:` block's steps; more than `budget` of them is refused before they are drawn.
    static func readRandom(_ node: Node, _ r: YAMLReader, parameters: [String: String], context: StepContext, seed: UInt64,
                           budget: Int) -> [RunPlan.Step] {
        guard let fields = r.mapping(node, "random", allowed: randomKeys) else { return [] }
        guard let everyNode = fields["every"], let facesNode = fields["faults"] else {
            r.report(node, "random needs 'every' (e.g. 10s) and 'faults' (a list of steps to choose from)")
            return []
        }
        var schedule = RandomSchedule(startMs: 0, everyMs: 10_000, jitterMs: 0, healAfterMs: nil, untilMs: context.durationMs, commands: [])
        var valid = true
        func duration(_ key: String, _ range: ClosedRange<Int64>) -> Int64? {
            guard let node = fields[key] else { return nil }
            guard let value = r.duration(node, "random.\(key)", in: range) else { valid = false; return nil }
            return value
        }
        if let value = duration("start", 0...3_600_000) { schedule.startMs = value }
        if let value = duration("every", 100...3_600_000) { schedule.everyMs = value }
        if let value = duration("jitter", 0...3_600_000) { schedule.jitterMs = value }
        if let value = duration("until", 1...3_600_000) {
            if value > context.durationMs {
                r.report(fields["until"], "random.until \(YAMLReader.formatDuration(value)) is after the end of the workload (duration \(YAMLReader.formatDuration(context.durationMs)))")
                valid = false
            }
            schedule.untilMs = value
        }
        schedule.healAfterMs = duration("heal_after", 1...3_600_000) ?? schedule.everyMs / 2
        if schedule.jitterMs * 2 >= schedule.everyMs {
            r.report(fields["jitter"] ?? everyNode, "random.jitter must be less than half of random.every, so faults keep their order")
            valid = false
        }
        if schedule.startMs >= schedule.untilMs {
            r.report(fields["start"] ?? node, "random.start must be before random.until (or the end of the workload)")
            valid = false
        }
        guard let faces = r.sequence(facesNode, "random.faults") else { return [] }
        if faces.isEmpty { r.report(facesNode, "random.faults must list at least one fault") }
        for face in faces {
            guard let command = command(face, r, parameters: parameters, context: context) else { valid = false; continue }
            if !StepContext.lasts(command) {
                r.report(face, "random faults must last until healed; '\(command.name)' does not")
                valid = false
                continue
            }
            schedule.commands.append(command)
        }
        guard valid, !schedule.commands.isEmpty else { return [] }
        guard schedule.stepCount <= budget else {
            r.report(everyNode, "random gives \(schedule.stepCount) steps (one every \(YAMLReader.formatDuration(schedule.everyMs)) from "
                     + "\(YAMLReader.formatDuration(schedule.startMs)) to \(YAMLReader.formatDuration(schedule.untilMs))); "
                     + "with the other steps at most \(StepBudget.maxSteps) are allowed")
            return []
        }
        return schedule.steps(seed: seed)
    }
}
