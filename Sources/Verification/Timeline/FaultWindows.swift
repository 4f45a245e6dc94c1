/// One fault as a span of time: from its `start` record to the `end` record with the same id.
/// Reports shade these on every chart, so what the cluster did can be read against what was done
/// to it.
public struct FaultWindow: Sendable, Hashable, Codable {
    public var id: String
    public var fault: FaultKind
    /// What it hit, as the start record named it ("broker-2", …).
    public var targets: [String]
    /// The command the lab applied, as a value; nil for timelines written before it was recorded.
    public var command: FaultCommand?
    /// The command as given ("crash leader_of orders/0"), when the lab recorded it.
    public var description: String?
    public var startNs: Int64
    /// When it was healed; for a fault never healed, the end of the timeline.
    public var endNs: Int64
    /// Never healed while the observers watched.
    public var ongoing: Bool

    public init(
        id: String, fault: FaultKind, targets: [String], command: FaultCommand? = nil, description: String? = nil,
        startNs: Int64, endNs: Int64, ongoing: Bool = false
    ) {
        self.id = id
        self.fault = fault
        self.targets = targets
        self.command = command
        self.description = description ?? command?.description
        self.startNs = startNs
        self.endNs = endNs
        self.ongoing = ongoing
    }

    public var durationMs: Double { Double(endNs - startNs) / 1e6 }

    enum CodingKeys: String, CodingKey {
        case id, fault, targets, command, description, ongoing
        case startNs = "start_ns"
        case endNs = "end_ns"
    }
}

extension Timeline {
    /// Every fault's window, by start time. An `end` whose `start` the timeline lacks (the fault
    /// began before observation did) opens at the timeline's first record; a `start` never ended
    /// runs to the timeline's end and is `ongoing`.
    public var faultWindows: [FaultWindow] {
        let firstNs = records.first?.timeNs ?? 0
        let lastNs = endNs ?? 0
        var open: [String: FaultWindow] = [:]
        var windows: [FaultWindow] = []
        for (time, record) in faults {
            switch record.action {
            case .start:
                if var previous = open.removeValue(forKey: record.id) {
                    // The same id started again without ending: the first window ends where the
                    // second begins, so no time is claimed twice.
                    previous.endNs = time
                    windows.append(previous)
                }
                open[record.id] = FaultWindow(
                    id: record.id, fault: record.fault, targets: record.targets, command: record.command, description: record.description,
                    startNs: time, endNs: time)
            case .end:
                if var window = open.removeValue(forKey: record.id) {
                    window.endNs = time
                    windows.append(window)
                } else {
                    windows.append(FaultWindow(
                        id: record.id, fault: record.fault, targets: record.targets, command: record.command, description: record.description,
                        startNs: firstNs, endNs: time))
                }
            }
        }
        for var window in open.values {
            window.endNs = max(lastNs, window.startNs)
            window.ongoing = true
            windows.append(window)
        }
        return windows.sorted { ($0.startNs, $0.id) < ($1.startNs, $1.id) }
    }
}
