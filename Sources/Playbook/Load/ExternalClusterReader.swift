import Foundation
import Lab
import Yams

/// Reads the `cluster:` block of a playbook that runs against an existing cluster:
///
/// ```yaml
/// cluster:
///   bootstrap: "10.0.0.1:9092,10.0.0.2:9092"
///   brokers:
///     1: {host: 10.0.0.1, port: 9092}
///     2: {host: 10.0.0.2, port: 9092, vars: {unit: kafka}}
///   executor:
///     ssh: "ssh -o BatchMode=yes {host}"     # optional: without it commands run here
///     timeout: 30s
///     state_dir: /var/tmp/samsa-staging       # the journal of applied faults
///     commands:
///       crash: "sudo systemctl kill -s KILL {unit}"
///       restart: "sudo systemctl start {unit}"
/// ```
///
/// Every template is checked against every broker it can run on (an unknown `{name}` is an
/// error), and every fault step against the templates: a fault a step names with no template for
/// a broker it may hit, or without the template that heals it, is refused before anything starts.
enum ExternalClusterReader {
    static let keys = ["bootstrap", "executor"]
    static let brokerKeys = ["host", "port", "vars", "commands"]
    static let executorKeys = ["ssh", "timeout", "state_dir", "commands"]
    static let actionNames = ExecutorAction.allCases.map(\.rawValue)

    static func read(_ cluster: Fields, _ r: YAMLReader, _ plan: inout RunPlan) {
        if let key = cluster.key("config") {
            r.report(key, "an external cluster keeps its own broker configuration: 'config' is for the lab's brokers (set topic configs under topics)")
        }
        guard let bootstrapNode = cluster["bootstrap"] else {
            r.report(cluster.key("executor") ?? cluster.node, "an external cluster needs 'bootstrap' (host:port,...) beside its executor")
            return
        }
        guard let bootstrap = r.string(bootstrapNode, "cluster.bootstrap") else { return }
        let addresses = bootstrap.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for address in addresses where parseAddress(address) == nil {
            r.report(bootstrapNode, "cluster.bootstrap: '\(address)' is not host:port")
        }
        guard let brokersNode = cluster["brokers"] else {
            r.report(bootstrapNode, "an external cluster needs 'brokers': each broker id faults may touch, with its host and port")
            return
        }
        let brokers = readBrokers(brokersNode, r)
        let executor = readExecutor(cluster["executor"], r, bootstrap: bootstrap)
        guard let brokers, let executor, !brokers.isEmpty else { return }
        let external = ExternalCluster(bootstrap: addresses.joined(separator: ","), brokers: brokers, executor: executor)
        checkTemplates(external, r, executorNode: cluster["executor"] ?? bootstrapNode, brokersNode: brokersNode)
        plan.external = external
        plan.brokers = brokers.count
    }

    static func parseAddress(_ text: String) -> (host: String, port: Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65535).contains(port) else { return nil }
        let host = String(text[..<colon])
        return host.isEmpty ? nil : (host, port)
    }

    static func readBrokers(_ node: Node, _ r: YAMLReader) -> [ExternalCluster.Broker]? {
        guard case .mapping(let mapping) = node else {
            r.report(node, "cluster.brokers of an external cluster must map broker ids to their host and port (1: {host: h, port: 9092}), not a count")
            return nil
        }
        var brokers: [ExternalCluster.Broker] = []
        for (key, value) in mapping {
            guard let text = key.scalar?.string, let id = Int32(text), id >= 0 else {
                r.report(key, "cluster.brokers: '\(key.scalar?.string ?? "?")' is not a broker id (a whole number, 0 or more)")
                continue
            }
            guard let fields = r.mapping(value, "broker \(id)", allowed: brokerKeys) else { continue }
            guard let hostNode = fields["host"], let host = r.string(hostNode, "broker \(id) host") else {
                r.report(value, "broker \(id) needs a host")
                continue
            }
            var broker = ExternalCluster.Broker(id: id, host: host, port: 9092)
            if let node = fields["port"], let port = r.int(node, "broker \(id) port", in: 1...65535) { broker.port = port }
            if let node = fields["vars"], let entries = r.stringMap(node, "broker \(id) vars") {
                for entry in entries {
                    if ExecutorAction.reservedVariables.contains(entry.key) {
                        r.report(entry.keyNode, "'\(entry.key)' is set by Samsa for every broker; choose another name")
                    } else {
                        broker.variables[entry.key] = entry.value
                    }
                }
            }
            if let node = fields["commands"] { broker.commands = readCommands(node, r, "broker \(id) commands") }
            brokers.append(broker)
        }
        if brokers.count > PlaybookLoader.maxBrokers {
            r.report(node, "at most \(PlaybookLoader.maxBrokers) brokers can be listed, not \(brokers.count)")
            return nil
        }
        return brokers.sorted { $0.id < $1.id }
    }

    static func readCommands(_ node: Node, _ r: YAMLReader, _ what: String) -> [String: String] {
        guard let fields = r.mapping(node, what, allowed: actionNames) else { return [:] }
        var commands: [String: String] = [:]
        for (name, _, value) in fields.entries {
            guard let text = r.string(value, "\(what).\(name)") else { continue }
            if text.trimmingCharacters(in: .whitespaces).isEmpty { r.report(value, "\(what).\(name) is empty"); continue }
            do { _ = try CommandTemplate(text).placeholders() } catch { r.report(value, "\(what).\(name): \(error)"); continue }
            commands[name] = text
        }
        return commands
    }

    static func readExecutor(_ node: Node?, _ r: YAMLReader, bootstrap: String) -> FaultExecutorSpec? {
        var spec = FaultExecutorSpec(commands: [:], stateDirectory: defaultStateDirectory(bootstrap: bootstrap))
        guard let node else { return spec }
        guard let fields = r.mapping(node, "cluster.executor", allowed: executorKeys) else { return nil }
        if let node = fields["commands"] { spec.commands = readCommands(node, r, "cluster.executor.commands") }
        if let node = fields["ssh"], let text = r.string(node, "cluster.executor.ssh") {
            do { _ = try CommandTemplate(text).placeholders(); spec.ssh = text } catch { r.report(node, "cluster.executor.ssh: \(error)") }
        }
        if let node = fields["timeout"], let ms = r.duration(node, "cluster.executor.timeout", in: 100...600_000) { spec.timeoutMs = Int(ms) }
        if let node = fields["state_dir"], let path = r.string(node, "cluster.executor.state_dir") {
            let base = URL(fileURLWithPath: r.file).deletingLastPathComponent()
            spec.stateDirectory = path.hasPrefix("/") ? path : URL(fileURLWithPath: path, relativeTo: base).standardizedFileURL.path
        }
        return spec
    }

    /// `~/.samsa/external/<bootstrap>`: one journal per cluster, so any playbook run against it
    /// heals what an earlier one left.
    static func defaultStateDirectory(bootstrap: String) -> String {
        let home = ProcessInfo.processInfo.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSTemporaryDirectory()
        let name = String(bootstrap.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" }.prefix(120))
        return home + "/.samsa/external/" + name
    }

    /// Every template renders for every broker it applies to.
    static func checkTemplates(_ cluster: ExternalCluster, _ r: YAMLReader, executorNode: Node, brokersNode: Node) {
        for broker in cluster.brokers {
            for action in ExecutorAction.allCases where cluster.template(action, broker: broker.id) != nil {
                do { _ = try ExternalFaultExecutor.render(action, broker: broker.id, cluster: cluster, values: action.actionVariables) } catch {
                    r.report(broker.commands[action.rawValue] != nil ? brokersNode : executorNode, "\(error)")
                }
            }
        }
    }

    /// Every fault step can run on the external cluster with the templates given, and be healed.
    static func checkSteps(_ plan: RunPlan, at node: Node, _ r: YAMLReader) {
        guard let cluster = plan.external else { return }
        for (index, step) in plan.steps.enumerated() {
            let command = step.command
            let label = "step \(index + 1) ('\(command)')"
            guard command.runsOnExternalCluster else {
                let faults = ExecutorAction.allCases.filter { $0.heal != nil }
                let heals = ExecutorAction.allCases.filter { $0.heal == nil }
                r.report(node, "\(label): '\(command)' cannot run on an external cluster: its executor runs "
                         + faults.map(\.rawValue).joined(separator: ", ") + " (with "
                         + heals.map(\.rawValue).joined(separator: ", ") + " to undo them), heal and await")
                continue
            }
            guard let action = command.executorAction else { continue }
            var brokers: [Int32] = []
            for target in command.targets {
                switch target {
                case .broker(let id): brokers.append(id)
                case .zookeeper, .clients: r.report(node, "\(label): an external cluster's executor faults brokers only, not \(target)")
                default: brokers += cluster.brokerIds
                }
            }
            for id in Set(brokers).sorted() {
                for needed in [action] + [action.heal].compactMap({ $0 }) {
                    guard cluster.template(needed, broker: id) != nil else {
                        let why = needed == action ? "" : " (it heals '\(action.rawValue)')"
                        r.report(node, "\(label) may \(action.rawValue) broker \(id), but the executor has no '\(needed.rawValue)' command for broker \(id)\(why): "
                                 + "set cluster.executor.commands.\(needed.rawValue) or cluster.brokers.\(id).commands.\(needed.rawValue)")
                        continue
                    }
                    // A slow step's own values: a template needing `{bandwidth_bytes}` refuses a step without --bandwidth.
                    guard action == .slow else { continue }
                    do { _ = try ExternalFaultExecutor.render(needed, broker: id, cluster: cluster, values: command.degradationVariables) } catch {
                        r.report(node, "\(label): \(error)")
                    }
                }
            }
        }
    }
}
