import Foundation
import KafkaClient
import Lab
import Logging
import Playbook
import Processes

extension ShellSession {
    /// `launcher` is read as `samsa cluster up --launcher` reads it (`LauncherLoader.resolve`), and
    /// what it cannot run is refused here, before anything starts, with the CLI's words.
    func clusterUp(brokers requested: Int?, config: [ShellCommand.Property], directory: String?, trackDurability: Bool = false,
                   basePort: Int? = nil, launcher name: String? = nil) async throws {
        if let lab { throw Failure("a cluster is already up in \(lab.directory)", hint: "`cluster down` first, or `exit --keep` and attach") }
        let launcher: BrokerLauncher
        do {
            launcher = try name.map(LauncherLoader.resolve) ?? LauncherLoader.samsa()
        } catch {
            throw Failure("--launcher \(name ?? "samsa"): \(error)")
        }
        let brokers = requested ?? min(3, launcher.maxBrokers)
        if let problem = launcher.brokerCountProblem(brokers) { throw Failure("--brokers \(brokers): \(problem)") }
        if !launcher.properties && !config.isEmpty { throw Failure("--config: the \(launcher.name) launcher takes no broker properties") }
        if trackDurability && !launcher.powerLoss {
            throw Failure("--track-durability: the \(launcher.name) launcher cannot track durability (power-loss needs power_loss: true in its spec)")
        }
        let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withYear, .withMonth, .withDay, .withTime])
        let directory = directory ?? options.runsDirectory + "/shell-" + stamp.replacingOccurrences(of: ":", with: "")
        if FileManager.default.fileExists(atPath: directory + "/control.sock") {
            throw Failure("\(directory) already holds a lab", hint: "`attach \(directory)` or choose another --dir")
        }
        // The lab cleans and claims its directory; its own output goes next to it.
        try FileManager.default.createDirectory(atPath: (directory as NSString).deletingLastPathComponent.isEmpty ? "."
                                                : (directory as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        var request = LabLauncher.Request(brokers: brokers, basePort: try basePort ?? LocalCluster.freeBasePort(brokers: brokers),
                                          directory: directory, outputPath: directory + ".log")
        request.brokerConfig = config.map { "\($0.key)=\($0.value)" }
        if trackDurability { request.options.append("--track-durability") }
        // A spec file by its absolute path: the lab process reads it again, wherever it runs.
        if let name {
            request.options += ["--launcher", LauncherLoader.builtinPath(name) == nil ? URL(fileURLWithPath: name).path : name]
        }
        // No parent-death signal: `--stop-with-parent` stops the lab (cleanly) when this shell ends,
        // however it ends, unless `exit --keep` detached it first.
        request.stopWithParent = true
        request.parentDeathSignal = false
        let what = launcher.zookeeper ? "ZooKeeper and \(brokers)" : "\(brokers)"
        say("starting \(what) \(launcher.name == "samsa" ? "" : launcher.name + " ")broker(s) in \(directory) ...")
        let samsa = options.samsaBinary
        let pid: pid_t
        do {
            pid = try await Blocking.run { [request] in try LabLauncher.launch(samsaBinary: samsa, request, shouldStop: { Interrupts.pending }).pid }
        } catch let failure as LabLauncher.Failure {
            throw Failure(failure.description)
        }
        try await connect(directory, pid: pid)
        self.lab?.launcher = launcher
        let lab = lab!
        say("cluster up: \(lab.brokers.count) broker(s), bootstrap \(lab.bootstrap)")
        say("directory \(lab.directory); from another terminal: samsa fault --dir \(lab.directory) ...")
    }

    func attach(_ directory: String) async throws {
        if let lab { throw Failure("already driving the lab in \(lab.directory)", hint: "`exit --keep` or `cluster down` first") }
        try await connect(directory, pid: nil)
        say("attached to \(directory): \(lab!.brokers.count) broker(s), bootstrap \(lab!.bootstrap)")
    }

    /// `samsa shell attach --bootstrap`: an existing cluster, not a lab. Its brokers are the ones
    /// Metadata lists; the shell's clients write under `runs/shell-attach-<time>`.
    public func attachExternal(bootstrap: String) async throws {
        let addresses = bootstrap.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for address in addresses {
            guard let colon = address.lastIndex(of: ":"), colon != address.startIndex, let port = Int(address[address.index(after: colon)...]),
                  (1...65535).contains(port) else {
                throw Failure("--bootstrap: '\(address)' is not host:port", hint: "e.g. --bootstrap 10.0.0.1:9092,10.0.0.2:9092")
            }
        }
        var clientOptions = KafkaCluster.Options()
        clientOptions.clientId = "samsa-shell"
        clientOptions.requestTimeoutMs = 5000
        clientOptions.connectTimeoutMs = 2000
        let joined = addresses.joined(separator: ",")
        let client = try KafkaCluster(bootstrap: joined, options: clientOptions)
        let brokers: [Int32]
        do {
            brokers = try await client.refreshMetadata(topics: nil).brokers.keys.sorted()
        } catch {
            await client.close()
            throw Failure("cannot reach the cluster at \(joined): \(error)", hint: "check the addresses and that a broker listens there")
        }
        let stamp = ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withYear, .withMonth, .withDay, .withTime])
        let directory = options.runsDirectory + "/shell-attach-" + stamp.replacingOccurrences(of: ":", with: "")
        let workloads = try Workloads(directory: directory + "/shell", bootstrap: joined, logger: Logger(label: "samsa.shell"))
        let observation: ExternalObservation
        do {
            observation = try ExternalObservation(bootstrap: joined, timelinePath: directory + "/timeline.jsonl", options: clientOptions)
        } catch {
            await client.close()
            throw Failure("cannot observe the cluster at \(joined): \(error)")
        }
        lab = Lab(directory: directory, bootstrap: joined, brokers: brokers, pid: nil, client: client, workloads: workloads, external: true,
                  observer: observation)
        say("attached to the cluster at \(joined): broker(s) \(brokers.map(String.init).joined(separator: ", ")); "
            + "faults and cluster up/down/status need a lab; check runs the checks that need none")
    }

    /// Reads the lab's status through its control socket and opens a client on it.
    func connect(_ directory: String, pid: pid_t?) async throws {
        let status = try await labStatus(directory)
        let brokers = status.processes.compactMap { $0.name.hasPrefix("broker-") ? Int32($0.name.dropFirst(7)) : nil }.sorted()
        var clientOptions = KafkaCluster.Options()
        clientOptions.clientId = "samsa-shell"
        clientOptions.requestTimeoutMs = 5000
        clientOptions.connectTimeoutMs = 2000
        let client = try KafkaCluster(bootstrap: status.bootstrap, options: clientOptions)
        let workloads = try Workloads(directory: directory + "/shell", bootstrap: status.bootstrap,
                                      logger: Logger(label: "samsa.shell"))
        lab = Lab(directory: directory, bootstrap: status.bootstrap, brokers: brokers, pid: pid, client: client, workloads: workloads)
    }

    func labStatus(_ directory: String) async throws -> LabStatus {
        let response = try await control(.status, directory: directory)
        guard let status = response.status else { throw Failure("the lab sent no status") }
        return status
    }

    func control(_ request: ControlRequest, directory: String, timeoutMs: Int = 60_000) async throws -> ControlResponse {
        let response: ControlResponse
        do {
            response = try await Blocking.run { try ControlClient.send(request, directory: directory, timeoutMs: timeoutMs) }
        } catch let failure as ControlClient.Failure {
            throw Failure(failure.description)
        }
        guard response.ok else { throw Failure(response.error ?? "the lab refused the request") }
        return response
    }

    func clusterStatus() async throws {
        let lab = try requireLab()
        say(LabStatusView.render(try await labStatus(lab.directory)))
    }

    func clusterDown() async throws {
        let lab = try requireLab()
        try await stopLab(lab)
        say("cluster down: \(lab.directory) kept for `samsa check`-style reading")
    }

    /// Stops the shell's workloads and the lab (this shell's or an attached one), waiting for the
    /// lab's process when this shell started it.
    func stopLab(_ lab: Lab) async throws {
        await Blocking.run { lab.workloads.stopAll(graceMs: 5000) }
        await lab.client.close()
        self.lab = nil
        _ = try? await control(.shutdown, directory: lab.directory, timeoutMs: 10_000)
        if let pid = lab.pid {
            // Bounded: after a minute the lab is terminated (SIGTERM, then SIGKILL).
            _ = try await Blocking.run { () -> Int32 in
                ChildProcess.waitForExit(pid, timeoutMs: 60_000) ?? ChildProcess.terminate(pid, graceMs: 10_000)
            }
        }
    }

    /// Sends a fault, parsed from the line that named it, to the lab.
    func fault(_ command: FaultCommand) async throws {
        let lab = try requireLab()
        let before = (try? await KafkaAdmin(cluster: lab.client).describeTopics(nil)) ?? []
        if case .awaitCondition(let condition, let timeoutMs) = command {
            say("waiting up to \(Double(timeoutMs) / 1000) s for \(condition)")
        }
        let timeoutMs: Int
        if case .awaitCondition(_, let waitMs) = command { timeoutMs = waitMs + 15_000 } else { timeoutMs = 60_000 }
        let response = try await control(.fault(command), directory: lab.directory, timeoutMs: timeoutMs)
        say(response.message ?? "ok")
        switch command {
        case .crash, .stop, .pause, .isolate, .isolateZookeeper, .powerLoss:
            // With every broker down there is no controller to move anything: nothing to wait for.
            if let brokers = response.fault?.brokers, !Set(lab.brokers).isSubset(of: Set(brokers)) {
                await awaitLeadershipMoves(lab, away: Set(brokers), before: before)
            }
        default:
            break
        }
    }

    /// After a fault took `away` out, waits (bounded, Ctrl-C stops it) until no partition is led
    /// by them and no ISR lists them any more (the controller does both when their ZooKeeper
    /// sessions end), and says where leadership went, so the next command sees the new state.
    func awaitLeadershipMoves(_ lab: Lab, away: Set<Int32>, before: [KafkaAdmin.PartitionDescription]) async {
        let led = before.filter { away.contains($0.leader) }
        let followed = before.filter { !away.contains($0.leader) && $0.isr.contains(where: away.contains) }
        guard !led.isEmpty || !followed.isEmpty else { return }
        let started = Date()
        if options.interactive { say("waiting for the controller to move leadership and shrink ISRs (Ctrl-C stops waiting)") }
        let now: [KafkaAdmin.PartitionDescription]
        do {
            now = try await LeadershipWait.until(.awayFrom(away), client: lab.client, shouldStop: { Interrupts.pending })
        } catch let timeout as LeadershipWait.Timeout {
            now = timeout.last
        } catch {
            now = []
        }
        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
        for old in led.sorted(by: { ($0.topic, $0.partition) < ($1.topic, $1.partition) }) {
            let new = now.first { $0.topic == old.topic && $0.partition == old.partition }
            if let new, !away.contains(new.leader) {
                let leader = new.leader < 0 ? "none (offline)" : String(new.leader)
                say("  \(old.topic)/\(old.partition): leader \(old.leader) -> \(leader), epoch \(new.leaderEpoch), ISR \(new.isr.map(String.init).joined(separator: ",")) after \(seconds) s")
            } else {
                say("  \(old.topic)/\(old.partition): still led by \(old.leader) after \(seconds) s")
            }
        }
        let stillListed = followed.filter { old in
            !now.contains { $0.topic == old.topic && $0.partition == old.partition && !$0.isr.contains(where: away.contains) }
        }
        if !followed.isEmpty {
            let names = away.sorted().map(String.init).joined(separator: ",")
            say(stillListed.isEmpty ? "  broker(s) \(names) left the ISR of \(followed.count) partition(s) they followed"
                                    : "  \(stillListed.count) ISR(s) still list broker(s) \(names) after \(seconds) s")
        }
    }

    /// `exit`: stops the lab this shell started; `exit --keep` leaves it running.
    func leave(keep: Bool) async {
        guard let lab else { return }
        if lab.external {
            await Blocking.run { lab.workloads.stopAll(graceMs: 5000) }
            await lab.observer?.stop()
            await lab.client.close()
            self.lab = nil
            say("detached from the cluster at \(lab.bootstrap) (this shell never ran it; it keeps running)")
            return
        }
        if keep {
            if lab.pid != nil { _ = try? await control(.detach, directory: lab.directory, timeoutMs: 10_000) }
            await Blocking.run { lab.workloads.stopAll(graceMs: 5000) }
            await lab.client.close()
            self.lab = nil
            say("the cluster keeps running in \(lab.directory)")
            say("  attach:  samsa shell, then `attach \(lab.directory)`")
            say("  stop:    samsa cluster down --dir \(lab.directory)")
            return
        }
        if lab.pid == nil {
            await Blocking.run { lab.workloads.stopAll(graceMs: 5000) }
            await lab.client.close()
            self.lab = nil
            say("detached from \(lab.directory) (it keeps running: it was started elsewhere)")
            return
        }
        say("stopping the cluster in \(lab.directory) ...")
        do { try await stopLab(lab) } catch { printError("\(error)", hint: nil) }
    }
}

/// What the shell observes of an existing cluster while attached: an `ExternalObserver` on a
/// client of its own, from `attach --bootstrap` until the shell leaves, so that `check` reads the
/// same timeline (leaders, ISRs, high watermarks) a playbook run against the cluster records.
final class ExternalObservation: Sendable {
    let client: KafkaCluster
    let timeline: TimelineLog
    let observer: ExternalObserver

    init(bootstrap: String, timelinePath: String, options: KafkaCluster.Options) throws {
        try FileManager.default.createDirectory(atPath: (timelinePath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        timeline = try TimelineLog(path: timelinePath)
        var options = options
        options.clientId = "samsa-shell-observer"
        do {
            client = try KafkaCluster(bootstrap: bootstrap, options: options)
        } catch {
            timeline.close()
            throw error
        }
        observer = ExternalObserver(client: client, timeline: timeline, logger: Logger(label: "samsa.shell.observer"))
        observer.start()
    }

    func stop() async {
        await observer.stop()
        timeline.close()
        await client.close()
    }
}
