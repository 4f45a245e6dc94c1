import ArgumentParser
import Foundation
import Lab

struct FaultCLI: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fault",
        abstract: "Inject or heal a fault in a running lab (see `samsa cluster up`).",
        discussion: """
        FAULT is one of:
          crash|stop|restart|pause|resume|isolate|isolate-zk TARGET
          partition GROUP | GROUP [| GROUP]      partition GROUP -> GROUP   (one way)
          slow TARGET [--latency 300ms] [--jitter 50ms] [--bandwidth 100kb]
          lossy TARGET --reset-probability 0.1
          heal [FAULT-ID]
        TARGET: a broker id, leader_of T/P, followers_of T/P, controller, coordinator_of G, random, all;
        partition groups may also name zk and clients.
        Examples:
          samsa fault --dir D crash 2
          samsa fault --dir D isolate leader_of orders/0
          samsa fault --dir D partition '1 | 2 3'
          samsa fault --dir D slow 3 --latency 300ms --jitter 50ms
          samsa fault --dir D heal
        """
    )

    @Option(name: .long, help: "Run directory of the lab.") var dir: String = "./samsa-cluster"
    @Flag(name: .long, help: "JSON for scripts.") var json = false
    @Argument(parsing: .captureForPassthrough, help: "The fault and its arguments.") var words: [String] = []

    func validate() throws {
        guard !words.isEmpty else { throw ValidationError("name a fault, e.g. `samsa fault --dir D crash 2`") }
        do { _ = try FaultParser.parse(line) } catch { throw ValidationError("\(error)") }
    }

    /// Words rejoined; a word with spaces (a quoted partition) is kept whole by the grammar's split.
    var line: String { words.joined(separator: " ") }

    func run() async throws {
        let response: ControlResponse
        do { response = try ControlClient.send(ControlRequest(op: "fault", command: line), directory: dir) } catch { throw fail("fault", error) }
        if json {
            try printJSON(response)
            if !response.ok { throw ExitCode(1) }
            return
        }
        guard response.ok else { throw fail("fault", ControlClient.Failure(description: response.error ?? "failed")) }
        print(response.message ?? "ok")
    }
}

/// Terminal rendering of a lab's status (also used by the shell).
enum LabStatusView {
    static func render(_ status: LabStatus) -> String {
        var out = "lab \(status.directory)\nbootstrap \(status.bootstrap)\n\n"
        var processes = TextTable(["PROCESS", "PID", "STATE", "CLIENT-PORT"])
        for p in status.processes { processes.add([p.name, String(p.pid), p.state, p.clientPort.map(String.init) ?? "-"]) }
        out += processes.render() + "\n\n"
        if status.faults.isEmpty {
            out += "no active faults\n"
        } else {
            var faults = TextTable(["FAULT", "COMMAND", "BROKERS", "LINKS"])
            for f in status.faults {
                faults.add([String(f.id), f.command, f.brokers.map(String.init).joined(separator: ","), String(f.links.count)])
            }
            out += faults.render() + "\n"
        }
        if !status.links.isEmpty {
            var links = TextTable(["LINK", "CONDITION"])
            for l in status.links { links.add([l.link, l.condition]) }
            out += "\n" + links.render() + "\n"
        }
        if !status.snapshot.partitions.isEmpty {
            var table = TextTable(["TOPIC", "PARTITION", "LEADER", "EPOCH", "ISR", "HW", "LEO"])
            for p in status.snapshot.partitions where !p.topic.hasPrefix("__") {
                table.add([p.topic, String(p.partition), p.leader < 0 ? "none" : String(p.leader), String(p.leaderEpoch),
                           p.isr.map(String.init).joined(separator: ","), p.highWatermark.map(String.init) ?? "-", p.logEndOffset.map(String.init) ?? "-"])
            }
            out += "\ncontroller \(status.snapshot.controller)\n" + table.render()
        }
        return out
    }
}
