import Foundation

/// Terminal rendering of a lab's status (also used by the shell).
public enum LabStatusView {
    public static func render(_ status: LabStatus) -> String {
        var out = "lab \(status.directory)\nbootstrap \(status.bootstrap)\n\n"
        var processes = TextTable(["PROCESS", "PID", "STATE", "CLIENT-PORT"])
        for p in status.processes { processes.add([p.name, String(p.pid), p.state, p.clientPort.map(String.init) ?? "-"]) }
        out += processes.render() + "\n\n"
        if status.faults.isEmpty {
            out += "no active faults\n"
        } else {
            var faults = TextTable(["FAULT", "COMMAND", "BROKERS", "LINKS"])
            for f in status.faults {
                faults.add([String(f.id), f.description, f.brokers.map(String.init).joined(separator: ","), String(f.links.count)])
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
