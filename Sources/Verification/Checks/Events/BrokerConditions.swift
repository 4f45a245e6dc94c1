/// When each broker could not work and which links were cut, from the timeline's process records
/// (killed, exited, paused until started or resumed) and fault windows (crash, stop and pause
/// targets; the links a partition, isolate or isolate_zk fault blackholed, and those a timeout
/// stalled: no byte passes either). Slow, lossy, limit_data and slice links are not cuts: traffic
/// still flows.
struct BrokerConditions {
    struct Pair: Hashable {
        var low: Int32
        var high: Int32

        init(_ a: Int32, _ b: Int32) {
            low = min(a, b)
            high = max(a, b)
        }
    }

    /// Per broker: when it was crashed, stopped or paused.
    private(set) var down: [Int32: TimeSpans] = [:]
    /// Per pair of brokers: when a link between them (either direction) was blackholed.
    private(set) var cut: [Pair: TimeSpans] = [:]
    /// Per broker: when its link to ZooKeeper was blackholed.
    private(set) var cutFromZooKeeper: [Int32: TimeSpans] = [:]

    static let processFaults: Set<FaultKind> = [.crash, .stop, .pause]
    static let blackholeFaults: Set<FaultKind> = [.partition, .isolate, .isolateZooKeeper, .timeout]

    init(_ timeline: Timeline) {
        let endNs = timeline.endNs ?? 0
        var downSince: [Int32: Int64] = [:]
        for (time, process) in timeline.processes {
            guard let broker = BrokerName.id(process.name) else { continue }
            switch process.state {
            case .killed, .exited, .paused:
                if downSince[broker] == nil { downSince[broker] = time }
            case .started, .resumed:
                if let since = downSince.removeValue(forKey: broker) { down[broker, default: TimeSpans()].insert(since, time) }
            default:
                continue
            }
        }
        for (broker, since) in downSince { down[broker, default: TimeSpans()].insert(since, max(since + 1, endNs)) }

        var open: [String: (timeNs: Int64, record: FaultRecord)] = [:]
        var windows: [(start: Int64, end: Int64, record: FaultRecord)] = []
        for (time, fault) in timeline.faults {
            switch fault.action {
            case .start:
                if let previous = open[fault.id] { windows.append((previous.timeNs, time, previous.record)) }
                open[fault.id] = (time, fault)
            case .end:
                if let started = open.removeValue(forKey: fault.id) { windows.append((started.timeNs, time, started.record)) }
            }
        }
        for started in open.values { windows.append((started.timeNs, max(started.timeNs + 1, endNs), started.record)) }
        for window in windows {
            if Self.processFaults.contains(window.record.fault) {
                for broker in window.record.targets.compactMap(BrokerName.id) {
                    down[broker, default: TimeSpans()].insert(window.start, window.end)
                }
            }
            guard Self.blackholeFaults.contains(window.record.fault) else { continue }
            for link in window.record.links ?? [] {
                let ends = link.components(separatedBy: "->")
                guard ends.count == 2, let from = Int32(ends[0]) else { continue }
                if ends[1] == "zk" || ends[1] == "zookeeper" {
                    cutFromZooKeeper[from, default: TimeSpans()].insert(window.start, window.end)
                } else if let to = Int32(ends[1]), to != from {
                    cut[Pair(from, to), default: TimeSpans()].insert(window.start, window.end)
                }
            }
        }
    }

    func down(_ broker: Int32) -> TimeSpans { down[broker] ?? TimeSpans() }
    func cut(_ a: Int32, _ b: Int32) -> TimeSpans { cut[Pair(a, b)] ?? TimeSpans() }
    func cutFromZooKeeper(_ broker: Int32) -> TimeSpans { cutFromZooKeeper[broker] ?? TimeSpans() }
}
