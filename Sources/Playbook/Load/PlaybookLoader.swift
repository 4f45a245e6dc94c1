import Foundation
import KafkaProtocol
import Lab
import SamsaConfig
import Verification
import Yams

/// Reads a playbook file into a `RunPlan`, validating everything before anything starts: unknown
/// keys (with a "did you mean"), wrong types, impossible values (RF above the broker count, min ISR
/// above RF), fault steps in the shared grammar, and targets naming topics, partitions, groups and
/// brokers that exist. Every problem is reported as `file:line:column: message`.
public enum PlaybookLoader {
    static let topKeys = ["name", "description", "seed", "cluster", "topics", "workload", "faults", "expectations"]
    static let clusterKeys = ["brokers", "config", "launcher"]
    static let topicKeys = ["name", "partitions", "replication_factor", "config"]
    static let workloadKeys = ["duration", "settle", "producers", "consumers"]
    static let producerKeys = ["topic", "instances", "acks", "idempotence", "max_in_flight", "retries", "delivery_timeout",
                               "request_timeout", "rate", "count", "keys", "value_size", "partition", "compression",
                               "transactional", "txn_records", "abort_rate", "zombie_after"]
    static let consumerKeys = ["topic", "group", "assign", "instances", "commit", "isolation", "output", "txn_records", "abort_rate"]
    /// Properties the lab sets for each broker itself (ports, directories, ZooKeeper address).
    static let labManagedProperties = ["broker.id", "listeners", "advertised.listeners", "log.dirs", "log.dir", "zookeeper.connect",
                                       "samsa.peer.addresses", "samsa.event.log", "samsa.metrics.port"]
    static let maxBrokers = 9

    /// Loads and validates `path`. `seedOverride` replaces the playbook's `seed` (randomized
    /// schedules expand from it); `scheduleOverride` replaces the playbook's fault schedule with a
    /// schedule file (as a suite case does).
    /// The file must pass `SourceFile`'s rule (a .yaml or .yml name, a YAML mapping with playbook
    /// keys) before any of it is quoted in a diagnostic.
    public static func load(path: String, seedOverride: UInt64? = nil, scheduleOverride: String? = nil) throws -> RunPlan {
        let r = YAMLReader(file: path)
        guard let text = SourceFile.read(path, "playbook", r) else { throw PlaybookError(r.diagnostics) }
        return try parse(text, file: path, seedOverride: seedOverride, scheduleOverride: scheduleOverride)
    }

    /// Validates playbook text; `file` names it in diagnostics and anchors relative schedule paths.
    public static func parse(_ text: String, file: String, seedOverride: UInt64? = nil, scheduleOverride: String? = nil) throws -> RunPlan {
        let reader = YAMLReader(file: file)
        var extra: [PlaybookDiagnostic] = []
        let plan = build(text, reader: reader, seedOverride: seedOverride, scheduleOverride: scheduleOverride, extra: &extra)
        let diagnostics = reader.diagnostics + extra
        guard diagnostics.isEmpty, let plan else {
            throw PlaybookError(diagnostics.isEmpty ? [PlaybookDiagnostic(file: file, line: 0, column: 0, message: "the playbook is incomplete")] : diagnostics)
        }
        return plan
    }

    private static func build(_ text: String, reader r: YAMLReader, seedOverride: UInt64?, scheduleOverride: String?,
                              extra: inout [PlaybookDiagnostic]) -> RunPlan? {
        guard let root = SourceFile.document(text, "playbook", keys: topKeys, r), let top = r.mapping(root, "the playbook", allowed: topKeys) else {
            return nil
        }
        let fallbackName = URL(fileURLWithPath: r.file).deletingPathExtension().lastPathComponent
        var plan = RunPlan(name: top["name"].flatMap { r.string($0, "name") } ?? fallbackName)
        plan.source = r.file
        plan.description = top["description"].flatMap { r.string($0, "description") } ?? ""
        if let node = top["seed"], let seed = r.int(node, "seed", in: 0...Int.max) { plan.seed = UInt64(seed) }
        if let seedOverride { plan.seed = seedOverride }

        if let node = top["cluster"] { readCluster(node, r, &plan) }
        if let node = top["topics"] { readTopics(node, r, &plan) } else { r.report(root, "the playbook needs a 'topics' list") }
        if let node = top["workload"] { readWorkload(node, r, &plan) } else { r.report(root, "the playbook needs a 'workload' with at least one producer") }
        let context = StepContext(plan: plan)
        if let scheduleOverride {
            let schedule = ScheduleLoader.loadFile(scheduleOverride, parameters: context.defaultParameters, context: context, seed: plan.seed,
                                                   durationMs: plan.durationMs, diagnostics: &extra)
            plan.steps = schedule ?? []
            plan.schedule = scheduleOverride
        } else if let node = top["faults"] {
            let base = URL(fileURLWithPath: r.file).deletingLastPathComponent().path
            let faults = ScheduleLoader.readFaultsBlock(node, r, context: context, baseDirectory: base, seed: plan.seed,
                                                         durationMs: plan.durationMs, diagnostics: &extra)
            plan.steps = faults.steps
            plan.schedule = faults.scheduleFile
        }
        if let node = top["expectations"] { plan.expectations = ExpectationsReader.read(node, r, plan: plan) }
        if plan.external != nil { ExternalClusterReader.checkSteps(plan, at: top["faults"] ?? root, r) }
        if let launcher = plan.launcher { checkSteps(plan, launcher, at: top["faults"] ?? root, r) }
        return plan
    }

    // MARK: Sections

    static func readCluster(_ node: Node, _ r: YAMLReader, _ plan: inout RunPlan) {
        guard let cluster = r.mapping(node, "cluster", allowed: clusterKeys + ExternalClusterReader.keys) else { return }
        if cluster["bootstrap"] != nil || cluster["executor"] != nil {
            ExternalClusterReader.read(cluster, r, &plan)
            return
        }
        if let node = cluster["brokers"], let brokers = r.int(node, "cluster.brokers", in: 1...maxBrokers) { plan.brokers = brokers }
        if let node = cluster["launcher"] { readLauncher(node, cluster, r, &plan) }
        guard let node = cluster["config"], let entries = r.stringMap(node, "cluster.config") else { return }
        if let launcher = plan.launcher, !launcher.properties {
            r.report(node, "the \(launcher.name) launcher takes no broker properties: cluster.config does not apply to it")
            return
        }
        for entry in entries {
            if labManagedProperties.contains(entry.key) {
                r.report(entry.keyNode, "'\(entry.key)' is set by the lab for each broker and cannot be changed in a playbook")
            } else if let problem = BrokerProperties.validate(key: entry.key, value: entry.value) {
                r.report(BrokerProperties.validate(key: entry.key, value: "") == nil || problem.hasPrefix("unknown") ? entry.keyNode : entry.valueNode, problem)
            } else {
                plan.brokerConfig[entry.key] = entry.value
            }
        }
        if let node = cluster["config"], let minIsr = plan.brokerConfig["min.insync.replicas"].flatMap(Int.init), minIsr > plan.brokers {
            r.report(node, "min.insync.replicas \(minIsr) is more than the \(plan.brokers) broker(s) of the cluster: acks=all writes could never succeed")
        }
    }

    /// `cluster.launcher`: a built-in name or a spec file (relative to the playbook), and whether
    /// it supports the cluster's broker count.
    static func readLauncher(_ node: Node, _ cluster: Fields, _ r: YAMLReader, _ plan: inout RunPlan) {
        guard let name = r.string(node, "cluster.launcher") else { return }
        var reference = name
        if LauncherLoader.builtinPath(name) == nil && !name.hasPrefix("/") && (name.contains("/") || name.hasSuffix(".yaml") || name.hasSuffix(".yml")) {
            reference = URL(fileURLWithPath: r.file).deletingLastPathComponent().appendingPathComponent(name).path
        }
        let launcher: BrokerLauncher
        do { launcher = try LauncherLoader.resolve(reference) } catch {
            r.report(node, "cluster.launcher '\(name)': \(error)")
            return
        }
        if let problem = launcher.brokerCountProblem(plan.brokers) {
            r.report(cluster["brokers"] ?? node, problem + (cluster["brokers"] == nil ? " (cluster.brokers defaults to 3)" : ""))
        }
        plan.launcher = launcher
    }

    /// Faults the launcher's brokers cannot take: power-loss without the durability tracker, and
    /// anything that needs ZooKeeper (its links, its partition state) when the launcher runs none.
    static func checkSteps(_ plan: RunPlan, _ launcher: BrokerLauncher, at node: Node, _ r: YAMLReader) {
        for (index, step) in plan.steps.enumerated() {
            let command = step.command
            let label = "step \(index + 1) ('\(command)')"
            if case .powerLoss = command, !launcher.powerLoss {
                r.report(node, "\(label): the \(launcher.name) launcher does not support power-loss (its spec has no power_loss: true)")
            }
            guard !launcher.zookeeper else { continue }
            var needsZookeeper = false
            if case .isolateZookeeper = command { needsZookeeper = true }
            if case .awaitCondition = command { needsZookeeper = true }
            if step.condition != nil { needsZookeeper = true }
            for target in command.targets {
                switch target {
                case .zookeeper, .inSyncFollowerOf: needsZookeeper = true
                default: break
                }
            }
            if needsZookeeper {
                r.report(node, "\(label): the \(launcher.name) launcher runs no ZooKeeper, and this step needs it (its links, or the partition state conditions read)")
            }
        }
    }

    static func readTopics(_ node: Node, _ r: YAMLReader, _ plan: inout RunPlan) {
        guard let items = r.sequence(node, "topics") else { return }
        if items.isEmpty { r.report(node, "topics must list at least one topic") }
        for item in items {
            guard let fields = r.mapping(item, "a topic", allowed: topicKeys) else { continue }
            guard let nameNode = fields["name"], let name = r.string(nameNode, "topic name") else {
                r.report(item, "a topic needs a name")
                continue
            }
            if let problem = topicNameProblem(name) { r.report(nameNode, problem); continue }
            if plan.topics.contains(where: { $0.name == name }) { r.report(nameNode, "topic '\(name)' is declared twice"); continue }
            var topic = RunPlan.Topic(name: name, partitions: 1, replicationFactor: Int16(min(plan.brokers, 3)))
            if let node = fields["partitions"], let partitions = r.int(node, "partitions", in: 1...1000) { topic.partitions = Int32(partitions) }
            if let node = fields["replication_factor"], let rf = r.int(node, "replication_factor", in: 1...maxBrokers) {
                if rf > plan.brokers {
                    r.report(node, "replication_factor \(rf) is more than the \(plan.brokers) broker(s) of the cluster")
                } else {
                    topic.replicationFactor = Int16(rf)
                }
            }
            if let node = fields["config"], let entries = r.stringMap(node, "topic config") {
                for entry in entries {
                    if let problem = TopicProperties.validate(name: entry.key, value: entry.value) {
                        r.report(problem.hasPrefix("unknown") ? entry.keyNode : entry.valueNode, problem)
                    } else {
                        topic.config[entry.key] = entry.value
                    }
                }
            }
            let minIsr = topic.config["min.insync.replicas"] ?? plan.brokerConfig["min.insync.replicas"]
            if let minIsr = minIsr.flatMap(Int.init), minIsr > Int(topic.replicationFactor) {
                let at = fields["config"] ?? fields["replication_factor"] ?? item
                r.report(at, "min.insync.replicas \(minIsr) is more than replication_factor \(topic.replicationFactor) of topic '\(name)': acks=all writes could never succeed")
            }
            plan.topics.append(topic)
        }
    }

    /// Kafka's rule for topic names (the broker's own, `TopicPartition.validateTopicName`), plus the
    /// lab's: internal `__` names are the broker's own.
    static func topicNameProblem(_ name: String) -> String? {
        if let problem = TopicPartition.validateTopicName(name) { return problem }
        if name.hasPrefix("__") { return "topic names starting with '__' are internal to the broker" }
        return nil
    }

    static func readWorkload(_ node: Node, _ r: YAMLReader, _ plan: inout RunPlan) {
        guard let workload = r.mapping(node, "workload", allowed: workloadKeys) else { return }
        if let node = workload["duration"], let ms = r.duration(node, "workload.duration", in: 1000...3_600_000) { plan.durationMs = ms }
        if let node = workload["settle"], let ms = r.duration(node, "workload.settle", in: 0...600_000) { plan.settleMs = ms }
        if let node = workload["producers"], let items = r.sequence(node, "workload.producers") {
            for item in items { if let producer = readProducer(item, r, plan) { plan.producers.append(producer) } }
        }
        if plan.producers.isEmpty && r.diagnostics.isEmpty {
            r.report(workload["producers"] ?? node, "the workload needs at least one producer: without writes there is nothing to verify")
        }
        if let node = workload["consumers"], let items = r.sequence(node, "workload.consumers") {
            for item in items { if let consumer = readConsumer(item, r, plan) { plan.consumers.append(consumer) } }
        }
    }

    static func topic(_ fields: Fields, _ item: Node, _ r: YAMLReader, _ plan: RunPlan, _ what: String) -> RunPlan.Topic? {
        guard let node = fields["topic"] else {
            r.report(item, "a \(what) needs a topic")
            return nil
        }
        guard let name = r.string(node, "\(what) topic") else { return nil }
        guard let topic = plan.topics.first(where: { $0.name == name }) else {
            let hint = NearestName.closest(to: name, among: plan.topics.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
            r.report(node, "topic '\(name)' is not declared under topics\(hint)")
            return nil
        }
        return topic
    }

    static func readProducer(_ item: Node, _ r: YAMLReader, _ plan: RunPlan) -> RunPlan.Producer? {
        guard let fields = r.mapping(item, "a producer", allowed: producerKeys), let topic = topic(fields, item, r, plan, "producer") else { return nil }
        var producer = RunPlan.Producer(topic: topic.name)
        if let node = fields["instances"], let value = r.int(node, "instances", in: 1...16) { producer.instances = value }
        if let node = fields["acks"], let value = r.string(node, "acks") {
            if ["all", "-1", "0", "1"].contains(value) { producer.acks = value == "-1" ? "all" : value } else {
                r.report(node, "acks must be all, 1 or 0 (or -1, the same as all), not '\(value)'")
            }
        }
        if let node = fields["idempotence"], let value = r.bool(node, "idempotence") { producer.idempotence = value }
        if let node = fields["max_in_flight"], let value = r.int(node, "max_in_flight", in: 1...1000) { producer.maxInFlight = value }
        if let node = fields["retries"], let value = r.int(node, "retries", in: 0...Int(Int32.max)) { producer.retries = value }
        if let node = fields["delivery_timeout"], let value = r.duration(node, "delivery_timeout", in: 1...3_600_000) { producer.deliveryTimeoutMs = Int(value) }
        if let node = fields["request_timeout"], let value = r.duration(node, "request_timeout", in: 1...900_000) { producer.requestTimeoutMs = Int(value) }
        if let node = fields["rate"], let value = r.double(node, "rate (records per second; 0 for as fast as possible)", in: 0...1_000_000) { producer.rate = value }
        if let node = fields["count"], let value = r.int(node, "count", in: 0...100_000_000) { producer.count = value }
        if let node = fields["keys"], let value = r.int(node, "keys", in: 0...1_000_000) { producer.keys = value }
        if let node = fields["value_size"], let value = r.int(node, "value_size", in: 8...1_000_000) { producer.valueSize = value }
        if let node = fields["partition"], let value = r.int(node, "partition", in: 0...Int(Int32.max)) {
            if value >= Int(topic.partitions) {
                r.report(node, "partition \(value) does not exist: topic '\(topic.name)' has \(topic.partitions) partition(s)")
            } else {
                producer.partition = Int32(value)
            }
        }
        if let node = fields["compression"], let value = r.string(node, "compression") {
            if ProducerSpec.codecs.contains(value) { producer.compression = value } else {
                r.report(node, "compression must be one of \(ProducerSpec.codecs.joined(separator: ", ")), not '\(value)'")
            }
        }
        if let node = fields["transactional"], let value = r.bool(node, "transactional") { producer.transactional = value }
        if let node = fields["txn_records"], let value = r.int(node, "txn_records", in: 1...100_000) { producer.txnRecords = value }
        if let node = fields["abort_rate"], let value = r.double(node, "abort_rate (the fraction of transactions aborted)", in: 0...1) {
            producer.abortRate = value
        }
        if producer.transactional, let node = fields["zombie_after"], let ms = r.duration(node, "zombie_after", in: 0...3_600_000) {
            // Silent for the transaction timeout + 2 s, then a few seconds to replace and wake it.
            let needed = ms + Int64(producer.settings.transactionTimeoutMs) + 7_000
            if needed > plan.durationMs {
                r.report(node, "zombie_after \(ms) ms: the zombie stays silent for the transaction timeout (\(producer.settings.transactionTimeoutMs) ms) + 2 s "
                         + "and then needs 5 s to be replaced and woken, so the workload must last at least \(needed) ms (it lasts \(plan.durationMs) ms)")
            } else {
                producer.zombieAfterMs = ms
            }
        }
        if !producer.transactional, let node = fields["txn_records"] ?? fields["abort_rate"] ?? fields["zombie_after"] {
            r.report(node, "txn_records, abort_rate and zombie_after need transactional: true")
        }
        if producer.transactional {
            // A transactional producer is idempotent with acks=all (as Kafka requires).
            if producer.acks != "all", let node = fields["acks"] {
                r.report(node, "a transactional producer needs acks: all, not \(producer.acks)")
            }
            if fields["idempotence"] != nil && !producer.idempotence, let node = fields["idempotence"] {
                r.report(node, "a transactional producer is idempotent: idempotence cannot be false")
            }
            producer.idempotence = true
        }
        if producer.idempotence && producer.acks != "all", let node = fields["idempotence"] {
            r.report(node, "idempotence needs acks: all (as in Kafka), but acks is \(producer.acks)")
        }
        if producer.idempotence && producer.maxInFlight > 5, let node = fields["max_in_flight"] {
            r.report(node, "an idempotent producer allows at most 5 requests in flight, not \(producer.maxInFlight)")
        }
        if producer.requestTimeoutMs > producer.deliveryTimeoutMs, let node = fields["request_timeout"] ?? fields["delivery_timeout"] {
            r.report(node, "request_timeout (\(producer.requestTimeoutMs) ms) cannot exceed delivery_timeout (\(producer.deliveryTimeoutMs) ms)")
        }
        return producer
    }

    static func readConsumer(_ item: Node, _ r: YAMLReader, _ plan: RunPlan) -> RunPlan.Consumer? {
        guard let fields = r.mapping(item, "a consumer", allowed: consumerKeys), let topic = topic(fields, item, r, plan, "consumer") else { return nil }
        let group = fields["group"].flatMap { r.string($0, "group") }
        var consumer = RunPlan.Consumer(topic: topic.name, group: group)
        if let group, group.isEmpty || group.count > 255, let node = fields["group"] { r.report(node, "a group id must be 1 to 255 characters") }
        if let node = fields["assign"], let items = r.sequence(node, "assign") {
            for item in items {
                guard let partition = r.int(item, "an assigned partition", in: 0...Int(Int32.max)) else { continue }
                if partition >= Int(topic.partitions) {
                    r.report(item, "partition \(partition) does not exist: topic '\(topic.name)' has \(topic.partitions) partition(s)")
                } else if consumer.assign.contains(Int32(partition)) {
                    r.report(item, "partition \(partition) is assigned twice")
                } else {
                    consumer.assign.append(Int32(partition))
                }
            }
        }
        if fields["group"] == nil && fields["assign"] == nil {
            r.report(item, "a consumer needs a group (to subscribe) or assign (a list of partitions)")
        }
        if fields["group"] != nil, let node = fields.key("assign") {
            r.report(node, "a consumer either subscribes with a group or is assigned partitions, not both")
        }
        if let node = fields["instances"], let value = r.int(node, "instances", in: 1...16) { consumer.instances = value }
        if let node = fields["commit"], let value = r.string(node, "commit") {
            if ["sync", "async", "auto", "none"].contains(value) { consumer.commit = value } else {
                r.report(node, "commit must be sync, async, auto or none, not '\(value)'")
            }
        }
        if consumer.group == nil && consumer.commit != "none" && fields["commit"] != nil, let node = fields["commit"] {
            r.report(node, "commit \(consumer.commit) needs a group to commit to")
        }
        if consumer.group == nil { consumer.commit = "none" }
        if let node = fields["isolation"], let value = r.string(node, "isolation") {
            if let level = IsolationLevel(rawValue: value) { consumer.isolation = level } else {
                r.report(node, "isolation must be read_committed or read_uncommitted, not '\(value)'")
            }
        }
        if let node = fields["output"] {
            readTransform(node, fields, item, r, plan, &consumer)
        } else if let node = fields["txn_records"] ?? fields["abort_rate"] {
            r.report(node, "txn_records and abort_rate of a consumer need output: (consume-transform-produce)")
        }
        return consumer
    }

    /// `output:` makes a consumer a consume-transform-produce process: it reads read_committed in its
    /// group and commits its output and its input offsets in one transaction.
    static func readTransform(_ node: Node, _ fields: Fields, _ item: Node, _ r: YAMLReader, _ plan: RunPlan, _ consumer: inout RunPlan.Consumer) {
        guard let output = r.string(node, "output") else { return }
        guard plan.topics.contains(where: { $0.name == output }) else {
            let hint = NearestName.closest(to: output, among: plan.topics.map(\.name)).map { "; did you mean '\($0)'?" } ?? ""
            r.report(node, "output topic '\(output)' is not declared under topics\(hint)")
            return
        }
        if output == consumer.topic { r.report(node, "a transform's output must be another topic than the one it reads") }
        if consumer.group == nil { r.report(item, "a consume-transform-produce consumer (output:) needs a group: its offsets are committed in its transactions") }
        if let commit = fields.key("commit") { r.report(commit, "a consume-transform-produce consumer commits its offsets in its transactions: commit does not apply") }
        if consumer.isolation == .readUncommitted, let isolation = fields["isolation"] {
            r.report(isolation, "a consume-transform-produce consumer reads read_committed")
        }
        consumer.isolation = .readCommitted
        var transform = TransformSpec(output: output)
        if let node = fields["txn_records"], let value = r.int(node, "txn_records", in: 1...100_000) { transform.txnRecords = value }
        if let node = fields["abort_rate"], let value = r.double(node, "abort_rate (the fraction of transactions aborted)", in: 0...1) {
            transform.abortRate = value
        }
        consumer.transform = transform
    }
}
