import Yams

/// Reads a playbook's `expectations:` block.
enum ExpectationsReader {
    static let keys = ["no_lost_writes", "no_duplicates", "order", "single_leader", "lost_writes_detected", "isr_shrinks",
                       "max_consumer_lag", "lag_recovers_within", "min_acknowledged", "max_unavailable", "errors_seen", "allowed_anomalies",
                       "max_steps_not_run"]
    static let boundKeys = ["min", "max"]

    static func read(_ node: Node, _ r: YAMLReader, plan: RunPlan) -> Expectations {
        var expectations = Expectations()
        guard let fields = r.mapping(node, "expectations", allowed: keys) else { return expectations }
        func flag(_ key: String) -> Bool? { fields[key].flatMap { r.bool($0, key) } }
        expectations.noLostWrites = flag("no_lost_writes")
        expectations.noDuplicates = flag("no_duplicates")
        expectations.order = flag("order")
        expectations.singleLeader = flag("single_leader")
        expectations.lostWritesDetected = flag("lost_writes_detected")
        if expectations.noLostWrites == true && expectations.lostWritesDetected == true, let key = fields.key("lost_writes_detected") {
            r.report(key, "lost_writes_detected: true contradicts no_lost_writes: true")
        }
        if let node = fields["isr_shrinks"] {
            if let bounds = r.mapping(node, "isr_shrinks", allowed: boundKeys) {
                expectations.isrShrinksMin = bounds["min"].flatMap { r.int($0, "isr_shrinks.min", in: 0...1_000_000) }
                expectations.isrShrinksMax = bounds["max"].flatMap { r.int($0, "isr_shrinks.max", in: 0...1_000_000) }
                if bounds.entries.isEmpty { r.report(node, "isr_shrinks needs min, max or both") }
                if let low = expectations.isrShrinksMin, let high = expectations.isrShrinksMax, low > high, let key = bounds.key("max") {
                    r.report(key, "isr_shrinks.max \(high) is below isr_shrinks.min \(low)")
                }
            }
        }
        if let node = fields["max_consumer_lag"], let value = r.int(node, "max_consumer_lag", in: 0...Int(Int64.max)) {
            expectations.maxConsumerLag = Int64(value)
            if plan.consumers.allSatisfy({ $0.group == nil }) { r.report(node, "max_consumer_lag needs a consumer with a group (lag is measured per group)") }
        }
        if let node = fields["lag_recovers_within"], let value = r.duration(node, "lag_recovers_within", in: 0...3_600_000) {
            expectations.lagRecoversWithinMs = value
            if plan.consumers.allSatisfy({ $0.group == nil }) { r.report(node, "lag_recovers_within needs a consumer with a group (lag is measured per group)") }
        }
        if let node = fields["min_acknowledged"], let value = r.int(node, "min_acknowledged", in: 0...Int(Int32.max)) {
            expectations.minAcknowledged = value
        }
        if let node = fields["max_unavailable"], let value = r.duration(node, "max_unavailable", in: 0...3_600_000) {
            expectations.maxUnavailableMs = value
        }
        if let node = fields["errors_seen"], let items = r.sequence(node, "errors_seen") {
            for item in items {
                guard let name = r.string(item, "an error name") else { continue }
                if name.isEmpty || !name.allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) {
                    r.report(item, "'\(name)' is not a Kafka error name (like NOT_ENOUGH_REPLICAS)")
                } else {
                    expectations.errorsSeen.append(name)
                }
            }
        }
        if let node = fields["allowed_anomalies"], let items = r.sequence(node, "allowed_anomalies") {
            var names: [String] = []
            for item in items {
                guard let name = r.string(item, "a checker name") else { continue }
                let normalized = name.replacingOccurrences(of: "-", with: "_")
                if CheckNames.all.contains(normalized) {
                    if !names.contains(normalized) { names.append(normalized) }
                } else {
                    let hint = CheckNames.nearest(normalized).map { "did you mean '\($0)'? " } ?? ""
                    r.report(item, "'\(name)' is not a checker; \(hint)(checkers: \(CheckNames.all.joined(separator: ", ")))")
                }
            }
            expectations.allowedAnomalies = names
        }
        if let node = fields["max_steps_not_run"], let value = r.int(node, "max_steps_not_run", in: 0...StepBudget.maxSteps) {
            expectations.maxStepsNotRun = value
        }
        return expectations
    }
}
