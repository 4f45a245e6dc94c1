import Foundation
import Lab
import Yams

/// Reads a launcher spec (`BrokerLauncher`) from YAML: a built-in one by name (`samsa`, `tansu`,
/// shipped in `Sources/Playbook/Launchers/`) or a file by path. Every problem is reported as
/// `file:line:column: message`, all of them at once, like every other file the lab reads.
public enum LauncherLoader {
    static let keys = ["launcher", "description", "executable", "arguments", "environment", "config_file", "properties",
                       "max_brokers", "zookeeper", "node_id", "readiness", "observe", "evidence", "power_loss"]
    static let executableKeys = ["env", "locate"]
    static let configFileKeys = ["name", "template"]
    static let readinessKeys = ["timeout", "controller", "zookeeper_registration"]
    static let observeKeys = ["prometheus"]
    static let evidenceKeys = ["samsa_event_logs", "samsa_data_directories"]

    /// The launchers shipped with the lab, by name.
    public static let builtinNames = ["samsa", "tansu"]

    /// The built-in spec file of `name`, or nil.
    public static func builtinPath(_ name: String) -> String? {
        guard builtinNames.contains(name) else { return nil }
        return Bundle.module.path(forResource: name, ofType: "yaml", inDirectory: "Launchers")
    }

    /// A built-in name (`samsa`, `tansu`) or the path of a spec file (anything with a `/` or a
    /// .yaml/.yml name).
    public static func resolve(_ nameOrPath: String) throws -> BrokerLauncher {
        if let path = builtinPath(nameOrPath) { return try load(path: path) }
        let isPath = nameOrPath.contains("/") || [".yaml", ".yml"].contains { nameOrPath.lowercased().hasSuffix($0) }
        guard isPath else {
            throw PlaybookError([PlaybookDiagnostic(file: nameOrPath, line: 0, column: 0,
                                                    message: "no launcher named '\(nameOrPath)' (built in: \(builtinNames.joined(separator: ", ")); or give a spec file's path)")])
        }
        return try load(path: nameOrPath)
    }

    /// The built-in `samsa` spec (the lab's default).
    public static func samsa() throws -> BrokerLauncher { try resolve("samsa") }

    public static func load(path: String) throws -> BrokerLauncher {
        let r = YAMLReader(file: path)
        guard let text = SourceFile.read(path, "launcher spec", r) else { throw PlaybookError(r.diagnostics) }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws -> BrokerLauncher {
        let r = YAMLReader(file: file)
        let launcher = build(text, r)
        guard r.diagnostics.isEmpty, let launcher else {
            throw PlaybookError(r.diagnostics.isEmpty ? [PlaybookDiagnostic(file: file, line: 0, column: 0, message: "the launcher spec is incomplete")] : r.diagnostics)
        }
        return launcher
    }

    private static func build(_ text: String, _ r: YAMLReader) -> BrokerLauncher? {
        guard let root = SourceFile.document(text, "launcher spec", keys: ["launcher", "executable"], r),
              let top = r.mapping(root, "the launcher spec", allowed: keys) else { return nil }
        guard let nameNode = top["launcher"], let name = r.string(nameNode, "launcher") else {
            r.report(root, "a launcher spec needs 'launcher: NAME'")
            return nil
        }
        if name.isEmpty || !name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) {
            r.report(nameNode, "a launcher name is letters, digits, '-' and '_', not '\(name)'")
        }
        if top["executable"] == nil { r.report(root, "a launcher spec needs an 'executable'") }
        // Read on after a bad executable, so that every mistake is reported at once.
        let executable = top["executable"].flatMap { readExecutable($0, r) }
        var launcher = BrokerLauncher(name: name, executable: executable ?? .path(""))
        launcher.description = top["description"].flatMap { r.string($0, "description") } ?? ""
        if let node = top["arguments"], let items = r.sequence(node, "arguments") {
            launcher.arguments = items.compactMap { item in r.string(item, "an argument").flatMap { template(item, $0, r) } }
        }
        if let node = top["environment"], let entries = r.stringMap(node, "environment") {
            for entry in entries where template(entry.valueNode, entry.value, r) != nil { launcher.environment[entry.key] = entry.value }
        }
        if let node = top["config_file"], let fields = r.mapping(node, "config_file", allowed: configFileKeys) {
            if let node = fields["name"], let value = r.string(node, "config_file.name") {
                if value.isEmpty || value.contains("/") || value.hasPrefix(".") {
                    r.report(node, "config_file.name is a plain file name in the broker's directory, not '\(value)'")
                } else {
                    launcher.configFileName = value
                }
            }
            if let node = fields["template"], let value = r.string(node, "config_file.template") {
                launcher.configFile = template(node, value, r)
            } else if fields["template"] == nil {
                r.report(node, "config_file needs a template")
            }
        }
        if let node = top["properties"], let value = r.bool(node, "properties") { launcher.properties = value }
        if let node = top["max_brokers"], let value = r.int(node, "max_brokers", in: 1...9) { launcher.maxBrokers = value }
        if let node = top["zookeeper"], let value = r.bool(node, "zookeeper") { launcher.zookeeper = value }
        if let node = top["node_id"], let value = r.string(node, "node_id"), let checked = template(node, value, r) {
            if checked.contains("{env:") {
                r.report(node, "node_id may use {broker_id} only")
            } else if launcher.withNodeId(checked).nodeId(of: 1) == nil {
                r.report(node, "node_id must give an integer (a number, or {broker_id}), not '\(value)'")
            } else {
                launcher.nodeId = checked
            }
        }
        if let node = top["readiness"], let fields = r.mapping(node, "readiness", allowed: readinessKeys) {
            if let node = fields["timeout"], let ms = r.duration(node, "readiness.timeout", in: 1000...600_000) { launcher.readiness.timeoutMs = Int(ms) }
            if let node = fields["controller"], let value = r.bool(node, "readiness.controller") { launcher.readiness.controller = value }
            if let node = fields["zookeeper_registration"], let value = r.bool(node, "readiness.zookeeper_registration") {
                launcher.readiness.zookeeperRegistration = value
                if value && !launcher.zookeeper { r.report(node, "zookeeper_registration needs zookeeper: true") }
            }
        }
        if let node = top["observe"], let fields = r.mapping(node, "observe", allowed: observeKeys),
           let node = fields["prometheus"], let value = r.string(node, "observe.prometheus"), let checked = template(node, value, r) {
            if checked.hasPrefix("http://") { launcher.prometheus = checked } else {
                r.report(node, "observe.prometheus is an http:// URL template, not '\(value)'")
            }
        }
        if let node = top["evidence"], let fields = r.mapping(node, "evidence", allowed: evidenceKeys) {
            if let node = fields["samsa_event_logs"], let value = r.bool(node, "evidence.samsa_event_logs") { launcher.evidence.samsaEventLogs = value }
            if let node = fields["samsa_data_directories"], let value = r.bool(node, "evidence.samsa_data_directories") {
                launcher.evidence.samsaDataDirectories = value
            }
        }
        if let node = top["power_loss"], let value = r.bool(node, "power_loss") { launcher.powerLoss = value }
        checkPlaceholders(launcher, top, root, r)
        return launcher
    }

    private static func readExecutable(_ node: Node, _ r: YAMLReader) -> BrokerLauncher.Executable? {
        if case .scalar = node {
            guard let value = r.string(node, "executable"), let checked = template(node, value, r) else { return nil }
            if checked.isEmpty { r.report(node, "executable is empty") }
            return .path(checked)
        }
        guard let fields = r.mapping(node, "executable", allowed: executableKeys) else { return nil }
        let env = fields["env"].flatMap { r.string($0, "executable.env") }
        guard let locateNode = fields["locate"] else {
            r.report(node, "executable needs 'locate: [COMMAND, ARG...]' (a command printing the executable's path), or give it as a path")
            return nil
        }
        guard let items = r.sequence(locateNode, "executable.locate") else { return nil }
        let command = items.compactMap { r.string($0, "a locate argument") }
        if command.isEmpty { r.report(locateNode, "executable.locate needs a command") }
        return .locate(environment: env, command: command)
    }

    /// `value` when its braces are well formed and its placeholders known; otherwise reported at `node`.
    private static func template(_ node: Node, _ value: String, _ r: YAMLReader) -> String? {
        switch BrokerLauncher.placeholders(in: value) {
        case .success: return value
        case .failure(let failure):
            r.report(node, failure.description)
            return nil
        }
    }

    /// Placeholders that cannot have a value in this spec: `{zookeeper}` without ZooKeeper,
    /// `{config_file}` without a config file, `{properties}` outside it or without `properties`.
    private static func checkPlaceholders(_ launcher: BrokerLauncher, _ top: Fields, _ root: Node, _ r: YAMLReader) {
        var used: [(String, Node)] = []
        func collect(_ text: String, _ node: Node) {
            if case .success(let names) = BrokerLauncher.placeholders(in: text) { used += names.map { ($0, node) } }
        }
        if case .path(let path) = launcher.executable { collect(path, top["executable"] ?? root) }
        for argument in launcher.arguments { collect(argument, top["arguments"] ?? root) }
        for value in launcher.environment.values { collect(value, top["environment"] ?? root) }
        let configNode = top["config_file"] ?? root
        if let config = launcher.configFile, case .success(let names) = BrokerLauncher.placeholders(in: config) {
            if names.contains("properties") && !launcher.properties {
                r.report(configNode, "the config file uses {properties} but the spec does not say 'properties: true'")
            }
        }
        if launcher.properties && !(launcher.configFile?.contains("{properties}") ?? false) {
            r.report(top["properties"] ?? root, "properties: true needs {properties} in config_file.template (where the broker properties go)")
        }
        if let config = launcher.configFile { collect(config, configNode) }
        for (name, node) in used {
            if name == "zookeeper" && !launcher.zookeeper { r.report(node, "{zookeeper} needs zookeeper: true") }
            if name == "config_file" && launcher.configFile == nil { r.report(node, "{config_file} needs a config_file with a template") }
            if name == "properties" && !(launcher.configFile.map { text in node == configNode && text.contains("{properties}") } ?? false) {
                r.report(node, "{properties} belongs in config_file.template only")
            }
        }
    }
}

extension BrokerLauncher {
    func withNodeId(_ template: String) -> BrokerLauncher {
        var copy = self
        copy.nodeId = template
        return copy
    }
}
