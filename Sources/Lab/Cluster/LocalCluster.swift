import Coordination
import Processes
import Foundation
import KafkaClient
import KafkaProtocol
import NIOCore
import NIOPosix
import Logging
import NIOConcurrencyHelpers
import Verification

/// ZooKeeper and N broker processes on loopback, under one run directory, with every link between
/// them passing through the lab's `ProxyNetwork`. How each broker is launched, made ready and
/// observed comes from its launcher spec (`BrokerLauncher`: Samsa's own `samsa broker --config
/// server.properties` by default, or Tansu, or another broker); ZooKeeper runs only when the spec
/// needs it. Broker i (ids 1...N) listens on an internal port (basePort + 200 + i - 1) that nothing
/// but the proxies uses; clients reach it through the proxy of link `clients->i` at
/// 127.0.0.1:(basePort + i - 1), which it advertises; it reaches broker j through link `i->j` and
/// ZooKeeper through link `i->zk`. Every child is started through
/// `ChildProcess` (own process group, parent-death signal), so none outlives the lab, even when the
/// lab itself is killed with SIGKILL.
///
/// Owner: `state` (lock-guarded) holds the process table; start/stop calls block and must run off
/// event loops.
public final class LocalCluster: Sendable {
    public struct Spec: Sendable {
        public var brokers: Int
        public var basePort: Int
        public var directory: String
        /// `key=value` properties applied to every broker after the lab defaults.
        public var brokerProperties: [(String, String)]
        public var samsaBinary: String
        public var readyTimeoutMs: Int = 60_000
        /// The durability tracker (`DurabilityTracking.locateLibrary`), preloaded into every broker
        /// so that `power-loss` can drop what was never fsynced; nil: untracked.
        public var durabilityLibrary: String?
        /// Extra environment variables for the broker processes only (not ZooKeeper, not clients).
        public var brokerEnvironment: [String: String] = [:]
        /// How each broker is launched, made ready, observed, and which evidence it leaves.
        /// Setting it sets `readyTimeoutMs` to the spec's readiness timeout.
        public var launcher: BrokerLauncher = .samsa {
            didSet { readyTimeoutMs = launcher.readiness.timeoutMs }
        }

        public init(brokers: Int, basePort: Int, directory: String, brokerProperties: [(String, String)] = [], samsaBinary: String) {
            self.brokers = brokers
            self.basePort = basePort
            self.directory = directory
            self.brokerProperties = brokerProperties
            self.samsaBinary = samsaBinary
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public enum ProcessState: String, Sendable, Codable {
        case running, stopped, crashed, paused
        /// Being stopped by the lab (a controlled shutdown can take seconds): its exit is expected.
        case stopping
    }

    public struct BrokerInfo: Sendable {
        public var id: Int32
        public var pid: Int32
        public var clientPort: Int
        public var directory: String
        public var state: ProcessState
    }

    struct State {
        var zookeeper: ZooKeeperServer?
        /// The launcher's executable, resolved once when the first broker starts.
        var executable: String?
        var brokers: [Int32: BrokerInfo] = [:]
        /// Proxy ports of links i->j and i->zk, fixed for the life of the lab so restarts reuse them.
        var linkPorts: [LinkID: Int] = [:]
        /// Set by `killAll`: no broker starts again, and stopping waits for no controlled shutdown.
        var killed = false
    }

    public let spec: Spec
    public let run: RunDirectory
    public let network: ProxyNetwork
    let logger: Logger
    private let state = NIOLockedValueBox(State())
    private let timeline = NIOLockedValueBox<TimelineLog?>(nil)

    /// Where process starts, kills, pauses and exits are recorded.
    public func setTimeline(_ log: TimelineLog) { timeline.withLockedValue { $0 = log } }

    func recordProcess(_ id: Int32, _ state: ProcessRecord.State, pid: Int32, exitCode: Int32? = nil, signal: Int32? = nil,
                       unplanned: Bool? = nil, lastOutput: String? = nil) {
        timeline.withLockedValue { $0 }?.append(.process(ProcessRecord(name: "broker-\(id)", state: state, pid: pid, exitCode: exitCode,
                                                                       signal: signal, unplanned: unplanned, lastOutput: lastOutput)))
    }

    public init(spec: Spec, logger: Logger) {
        self.spec = spec
        self.run = RunDirectory(path: spec.directory)
        self.logger = logger
        self.network = ProxyNetwork(logger: logger)
    }

    public var bootstrap: String { (1...spec.brokers).map { "127.0.0.1:\(spec.basePort + $0 - 1)" }.joined(separator: ",") }
    public var zookeeperConnect: String? { state.withLockedValue { $0.zookeeper?.connectString } }
    public var brokers: [BrokerInfo] { state.withLockedValue { $0.brokers.values.sorted { $0.id < $1.id } } }
    public var zookeeperPid: Int32? { state.withLockedValue { $0.zookeeper?.pid } }

    public func brokerDirectory(_ id: Int32) -> String { run.path + "/broker-\(id)" }

    /// Where broker `id`'s durability tracker writes (see `DurabilityJournal`).
    public func durabilityJournal(_ id: Int32) -> String { brokerDirectory(id) + "/" + DurabilityTracking.journalName }

    public var tracksDurability: Bool { spec.durabilityLibrary != nil }

    public var launcher: BrokerLauncher { spec.launcher }

    /// The Kafka node id broker `id` reports in Metadata (its lab id unless the launcher says otherwise).
    public func nodeId(_ id: Int32) -> Int32 { spec.launcher.nodeId(of: id) ?? id }

    /// The lab id of the broker reporting Kafka node id `node`, or nil when none does.
    public func brokerId(ofNode node: Int32) -> Int32? { brokerIds.first { nodeId($0) == node } }

    /// Where the lab scrapes broker `id`'s Prometheus metrics (the launcher's `observe.prometheus`
    /// rendered), or nil when the launcher names none.
    public func metricsEndpoint(_ id: Int32) -> (port: Int, path: String)? {
        guard let template = spec.launcher.prometheus,
              let url = try? BrokerLauncher.render(template, BrokerLauncher.Context(values: placeholderValues(id))),
              let components = URLComponents(string: url), let port = components.port else { return nil }
        return (port, components.path.isEmpty ? "/" : components.path)
    }

    /// Broker i serves Prometheus metrics at base-port + 100 + i - 1.
    public func metricsPort(_ id: Int32) -> Int { spec.basePort + 100 + Int(id) - 1 }

    /// The port broker i listens on; only the proxies (and the lab's observers) connect to it.
    public func internalPort(_ id: Int32) -> Int { spec.basePort + 200 + Int(id) - 1 }

    public var brokerIds: [Int32] { (1...Int32(spec.brokers)).map { $0 } }

    /// Starts ZooKeeper (when the launcher needs it) and every broker, then waits until all brokers
    /// registered and a controller was elected (when the launcher's readiness asks for it), and
    /// every broker's metadata names all brokers and, when asked, a controller (so a
    /// client's first request already sees the whole cluster). Throws with the failing process's log tail
    /// when something does not come up.
    public func start() async throws {
        if let problem = spec.launcher.brokerCountProblem(spec.brokers) { throw Failure(description: problem) }
        if spec.durabilityLibrary != nil && !spec.launcher.powerLoss {
            throw Failure(description: "the \(spec.launcher.name) launcher cannot track durability (power-loss needs power_loss: true in its spec)")
        }
        try await Blocking.run { try self.startZooKeeper() }
        try await buildNetwork()
        try await Blocking.run { try self.startBrokers() }
        try await waitUntilServing()
    }

    func startZooKeeper() throws {
        for note in try run.claim() { logger.info("\(run.path): \(note)") }
        for id in brokerIds {
            for (port, what) in [(spec.basePort + Int(id) - 1, "client port"), (metricsPort(id), "metrics port"), (internalPort(id), "internal port")] {
                guard Self.portIsFree(port) else {
                    throw Failure(description: "port \(port) (\(what) of broker \(id)) is already in use; choose another --base-port")
                }
            }
        }
        guard spec.launcher.zookeeper else { return }
        var zkConfig = ZooKeeperServerConfiguration(directory: run.path + "/zookeeper")
        zkConfig.tickTimeMs = LabDefaults.zookeeperTickMs
        let zookeeper: ZooKeeperServer
        do { zookeeper = try ZooKeeperServer.start(zkConfig) } catch {
            throw Failure(description: "ZooKeeper did not start: \(error)")
        }
        state.withLockedValue { $0.zookeeper = zookeeper }
        recordProcesses()
    }

    /// One proxy per directed link: clients->i on the client port, i->j and i->zk on ephemeral ports.
    func buildNetwork() async throws {
        let zookeeperPort = state.withLockedValue { $0.zookeeper?.port }
        if spec.launcher.zookeeper && zookeeperPort == nil { throw Failure(description: "ZooKeeper is not running") }
        var ports: [LinkID: Int] = [:]
        for id in brokerIds {
            let broker = LinkEndpoint.broker(Int(id))
            _ = try await network.addLink(LinkID(from: .client, to: broker), target: LinkTarget(port: internalPort(id)),
                                          listenPort: spec.basePort + Int(id) - 1)
            for peer in brokerIds where peer != id {
                let link = LinkID(from: broker, to: .broker(Int(peer)))
                ports[link] = try await network.addLink(link, target: LinkTarget(port: internalPort(peer))).port
            }
            if let zookeeperPort {
                let zk = LinkID(from: broker, to: .zookeeper)
                ports[zk] = try await network.addLink(zk, target: LinkTarget(port: zookeeperPort)).port
            }
        }
        state.withLockedValue { $0.linkPorts = ports }
    }

    func startBrokers() throws {
        for id in brokerIds { try startBroker(id) }
        if spec.launcher.readiness.zookeeperRegistration { try waitUntilRegistered() }
    }

    /// The broker properties `{properties}` expands to: the lab defaults, then the caller's.
    func properties() -> [(String, String)] {
        LabDefaults.brokerProperties(brokers: spec.brokers) + spec.brokerProperties
    }

    /// The values of the launcher's placeholders for broker `id` (see `BrokerLauncher.Placeholder`).
    func placeholderValues(_ id: Int32) -> [BrokerLauncher.Placeholder: String] {
        let ports = state.withLockedValue { $0.linkPorts }
        let broker = LinkEndpoint.broker(Int(id))
        let peers = brokerIds.filter { $0 != id }.compactMap { peer in
            ports[LinkID(from: broker, to: .broker(Int(peer)))].map { "\(peer)=127.0.0.1:\($0)" }
        }.joined(separator: ",")
        var values: [BrokerLauncher.Placeholder: String] = [
            .brokerId: String(id), .brokers: String(spec.brokers), .host: "127.0.0.1",
            .port: String(spec.basePort + Int(id) - 1), .advertisedPort: String(spec.basePort + Int(id) - 1), .listenPort: String(internalPort(id)),
            .dataDir: brokerDirectory(id) + "/data", .brokerDir: brokerDirectory(id), .peers: peers,
            .metricsPort: String(metricsPort(id)), .samsa: spec.samsaBinary,
            .properties: properties().map { "\($0.0)=\($0.1)" }.joined(separator: "\n"),
        ]
        if let zookeeper = ports[LinkID(from: broker, to: .zookeeper)] { values[.zookeeper] = "127.0.0.1:\(zookeeper)" }
        if spec.launcher.configFile != nil { values[.configFile] = brokerDirectory(id) + "/" + spec.launcher.configFileName }
        if let node = spec.launcher.nodeId(of: id) { values[.nodeId] = String(node) }
        return values
    }

    /// The executable, arguments and environment of broker `id`, with its config file written.
    func launchCommand(_ id: Int32) throws -> (executable: String, arguments: [String], environment: [String: String]) {
        let launcher = spec.launcher
        let context = BrokerLauncher.Context(values: placeholderValues(id))
        do {
            if let template = launcher.configFile {
                try BrokerLauncher.render(template, context).write(toFile: brokerDirectory(id) + "/" + launcher.configFileName, atomically: true, encoding: .utf8)
            }
            let executable = try state.withLockedValue { $0.executable } ?? launcher.resolveExecutable(context)
            state.withLockedValue { $0.executable = executable }
            let arguments = try launcher.arguments.map { try BrokerLauncher.render($0, context) }
            let environment = try launcher.environment.mapValues { try BrokerLauncher.render($0, context) }
            return (executable, arguments, environment)
        } catch let failure as BrokerLauncher.Failure {
            throw Failure(description: "the \(launcher.name) launcher cannot start broker \(id): \(failure)")
        }
    }

    /// Starts (or restarts) broker `id` with its existing data.
    public func startBroker(_ id: Int32) throws {
        if state.withLockedValue({ $0.killed }) { throw Failure(description: "the lab was killed; broker \(id) is not started again") }
        let directory = brokerDirectory(id)
        try FileManager.default.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        let command = try launchCommand(id)
        var options = ChildProcess.Options(outputPath: directory + "/broker.log")
        options.environment = command.environment.merging(spec.brokerEnvironment) { $1 }
        if let library = spec.durabilityLibrary {
            options.environment.merge(DurabilityTracking.environment(library: library, dataDirectory: directory + "/data",
                                                                     journal: durabilityJournal(id))) { $1 }
        }
        let pid = try ChildProcess.spawn(executable: command.executable, arguments: command.arguments, options: options)
        state.withLockedValue {
            $0.brokers[id] = BrokerInfo(id: id, pid: pid, clientPort: spec.basePort + Int(id) - 1, directory: directory, state: .running)
        }
        recordProcesses()
        recordProcess(id, .started, pid: pid)
        logger.info("started broker \(id) (pid \(pid)) on 127.0.0.1:\(spec.basePort + Int(id) - 1)")
    }

    private func waitUntilRegistered() throws {
        guard let connect = zookeeperConnect else { throw Failure(description: "ZooKeeper is not running") }
        let client = try ZooKeeperClient.connect(connectString: connect, sessionTimeoutMs: 10_000, connectTimeoutMs: 10_000, logger: logger) { _ in }
        defer { client.close() }
        let deadline = Date(timeIntervalSinceNow: Double(spec.readyTimeoutMs) / 1000)
        while Date() < deadline {
            for broker in brokers where ChildProcess.exitStatus(of: broker.pid) != nil {
                throw Failure(description: "broker \(broker.id) exited during startup:\n\(Self.tail(broker.directory + "/broker.log"))")
            }
            let registered = (try? client.children("/brokers/ids", watch: false)) ?? []
            let controller = (try? client.exists("/controller", watch: false)) ?? nil
            if registered.count == spec.brokers && controller != nil { return }
            usleep(50_000)
        }
        throw Failure(description: "the cluster was not ready within \(spec.readyTimeoutMs) ms")
    }

    /// Asks every broker for metadata until each reports all brokers and a controller.
    private func waitUntilServing() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await waitUntilServing(group: group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try? await group.shutdownGracefully()
    }

    private func waitUntilServing(group: EventLoopGroup) async throws {
        let deadline = Date(timeIntervalSinceNow: Double(spec.readyTimeoutMs) / 1000)
        for broker in brokers {
            var lastProblem = "no answer"
            while true {
                guard Date() < deadline else {
                    throw Failure(description: "broker \(broker.id) did not report the whole cluster within \(spec.readyTimeoutMs) ms (\(lastProblem))")
                }
                if ChildProcess.exitStatus(of: broker.pid) != nil {
                    throw Failure(description: "broker \(broker.id) (\(spec.launcher.name)) exited during startup:\n\(Self.tail(broker.directory + "/broker.log"))")
                }
                do {
                    let connection = try await KafkaConnection.connect(host: "127.0.0.1", port: broker.clientPort, group: group,
                                                                       clientId: "samsa-lab", connectTimeoutMs: 2000, requestTimeoutMs: 2000)
                    defer { connection.close() }
                    let response: MetadataResponse = try await connection.send(MetadataRequest(topics: []), timeoutMs: 2000)
                    if response.brokers.count == spec.brokers && (response.controllerId >= 0 || !spec.launcher.readiness.controller) { break }
                    lastProblem = "\(response.brokers.count) broker(s), controller \(response.controllerId)"
                } catch {
                    lastProblem = "\(error)"
                }
                try await Task.sleep(for: .milliseconds(50))
            }
        }
    }

    // MARK: Process control

    /// Sends `signal` to broker `id`'s process group.
    public func signal(_ id: Int32, _ signal: Int32) throws {
        guard let broker = state.withLockedValue({ $0.brokers[id] }) else { throw Failure(description: "no broker \(id)") }
        kill(-broker.pid, signal)
        kill(broker.pid, signal)
    }

    /// SIGKILL (crash) or SIGTERM (clean stop, bounded by `graceMs`) broker `id` and reap it.
    public func stopBroker(_ id: Int32, clean: Bool, graceMs: Int = 20_000) throws {
        guard let broker = state.withLockedValue({ $0.brokers[id] }) else { throw Failure(description: "no broker \(id)") }
        guard broker.state == .running || broker.state == .paused else {
            throw Failure(description: "broker \(id) is not running (\(broker.state.rawValue))")
        }
        // Marked first, so that the reaper does not take the exit the lab asked for for a crash.
        state.withLockedValue { $0.brokers[id]?.state = .stopping }
        let status: Int32
        if clean {
            kill(broker.pid, SIGCONT)
            status = ChildProcess.terminate(broker.pid, graceMs: graceMs)
        } else {
            kill(broker.pid, SIGKILL)
            status = ChildProcess.waitForExit(broker.pid, timeoutMs: 10_000) ?? -1
        }
        state.withLockedValue { $0.brokers[id]?.state = clean ? .stopped : .crashed }
        let exitCode: Int32? = status >= 0 && status & 0x7f == 0 ? (status >> 8) & 0xff : nil
        recordProcess(id, clean ? .exited : .killed, pid: broker.pid, exitCode: exitCode)
    }

    /// SIGKILL several brokers at one instant (a correlated failure: every signal is sent before
    /// any exit is awaited), then reap them. Each must be running or paused.
    public func crashBrokers(_ ids: [Int32]) throws {
        let targets = try ids.map { id -> BrokerInfo in
            guard let broker = state.withLockedValue({ $0.brokers[id] }) else { throw Failure(description: "no broker \(id)") }
            guard broker.state == .running || broker.state == .paused else {
                throw Failure(description: "broker \(id) is not running (\(broker.state.rawValue))")
            }
            return broker
        }
        state.withLockedValue { state in for broker in targets { state.brokers[broker.id]?.state = .stopping } }
        for broker in targets { kill(broker.pid, SIGKILL) }
        for broker in targets {
            let status = ChildProcess.waitForExit(broker.pid, timeoutMs: 10_000) ?? -1
            state.withLockedValue { $0.brokers[broker.id]?.state = .crashed }
            let exitCode: Int32? = status >= 0 && status & 0x7f == 0 ? (status >> 8) & 0xff : nil
            recordProcess(broker.id, .killed, pid: broker.pid, exitCode: exitCode)
        }
    }

    /// The process state of broker `id`, nil for an unknown id.
    public func state(of id: Int32) -> ProcessState? { state.withLockedValue { $0.brokers[id]?.state } }

    /// SIGSTOP: the process stays alive but does nothing, as a long GC pause or a frozen VM.
    public func pauseBroker(_ id: Int32) throws {
        guard let broker = state.withLockedValue({ $0.brokers[id] }), broker.state == .running else {
            throw Failure(description: "broker \(id) is not running")
        }
        kill(broker.pid, SIGSTOP)
        state.withLockedValue { $0.brokers[id]?.state = .paused }
        recordProcess(id, .paused, pid: broker.pid)
    }

    public func resumeBroker(_ id: Int32) throws {
        guard let broker = state.withLockedValue({ $0.brokers[id] }) else { throw Failure(description: "no broker \(id)") }
        guard broker.state == .paused else { throw Failure(description: "broker \(id) is not paused (\(broker.state.rawValue))") }
        kill(broker.pid, SIGCONT)
        state.withLockedValue { $0.brokers[id]?.state = .running }
        recordProcess(id, .resumed, pid: broker.pid)
    }

    /// Starts a stopped or crashed broker on its data; a running one is crashed first.
    public func restartBroker(_ id: Int32) throws {
        guard let broker = state.withLockedValue({ $0.brokers[id] }) else { throw Failure(description: "no broker \(id)") }
        if broker.state == .running || broker.state == .paused { try stopBroker(id, clean: false) }
        try startBroker(id)
    }

    /// Notices brokers that exited on their own (a crash the lab did not cause) and records them.
    public func reapExited() {
        for broker in brokers where broker.state == .running || broker.state == .paused {
            if let status = ChildProcess.exitStatus(of: broker.pid) {
                state.withLockedValue { $0.brokers[broker.id]?.state = .crashed }
                let exitCode: Int32? = status >= 0 && status & 0x7f == 0 ? (status >> 8) & 0xff : nil
                let signal: Int32? = exitCode == nil && status >= 0 ? status & 0x7f : nil
                recordProcess(broker.id, exitCode == nil ? .killed : .exited, pid: broker.pid, exitCode: exitCode, signal: signal,
                              unplanned: true, lastOutput: Self.tail(of: broker.directory + "/broker.log"))
                logger.warning("broker \(broker.id) exited on its own: \(ChildProcess.describe(waitStatus: status))")
            }
        }
    }

    /// The last lines of a process's output file (at most `lines` lines of its last 4 KiB), or nil.
    static func tail(of path: String, lines: Int = 5) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        guard let size = try? handle.seekToEnd() else { return nil }
        try? handle.seek(toOffset: size > 4096 ? size - 4096 : 0)
        guard let data = try? handle.readToEnd() else { return nil }
        let kept = String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).suffix(lines)
        return kept.isEmpty ? nil : kept.joined(separator: "\n")
    }

    public func setState(_ id: Int32, _ processState: ProcessState) {
        state.withLockedValue { $0.brokers[id]?.state = processState }
    }

    /// Stops every broker (SIGTERM in parallel, SIGKILL after the grace period), ZooKeeper and the
    /// proxies. Faults are healed first so a controlled shutdown can reach the controller.
    public func stop(graceMs: Int = 15_000) async {
        try? await network.healAll()
        await Blocking.run { self.stopProcesses(graceMs: graceMs) }
        await network.shutdown()
    }

    func stopProcesses(graceMs requestedGraceMs: Int) {
        let graceMs = state.withLockedValue { $0.killed } ? 0 : requestedGraceMs
        let running = brokers
        for broker in running {
            kill(broker.pid, SIGCONT)
            kill(broker.pid, SIGTERM)
        }
        for broker in running {
            if ChildProcess.waitForExit(broker.pid, timeoutMs: graceMs) == nil {
                kill(-broker.pid, SIGKILL)
                kill(broker.pid, SIGKILL)
                _ = ChildProcess.waitForExit(broker.pid, timeoutMs: 5_000)
            }
        }
        if let zookeeper = state.withLockedValue({ $0.zookeeper }) { _ = zookeeper.stop() }
        state.withLockedValue { state in
            for id in state.brokers.keys { state.brokers[id]?.state = .stopped }
        }
        run.release()
    }

    /// SIGKILLs every broker's process group and ZooKeeper at once, without waiting: an aborted
    /// run (a second Ctrl-C) that cannot wait for controlled shutdowns. A `stop` still running
    /// reaps them, and returns as soon as they are gone.
    public func killAll() {
        state.withLockedValue { $0.killed = true }
        for broker in brokers {
            kill(-broker.pid, SIGKILL)
            kill(broker.pid, SIGKILL)
        }
        if let zookeeper = zookeeperPid {
            kill(-zookeeper, SIGKILL)
            kill(zookeeper, SIGKILL)
        }
    }

    func recordProcesses() {
        var processes: [RunDirectory.RecordedProcess] = []
        if let zk = zookeeperPid { processes.append(.init(name: "zookeeper", pid: zk, startTime: ProcessTable.startTime(of: zk))) }
        for broker in brokers { processes.append(.init(name: "broker-\(broker.id)", pid: broker.pid, startTime: ProcessTable.startTime(of: broker.pid))) }
        run.record(processes)
    }
}
