import Foundation

/// A run's timeline: samples and events from every observer, in time order.
public struct Timeline: Sendable {
    public let records: [TimelineRecord]
    public let problems: InputProblems

    public static let defaultSource = "timeline.jsonl"

    /// Records are sorted by time (stably, so records with equal times keep their file order).
    public init(records: [TimelineRecord], problems: InputProblems = InputProblems()) {
        if zip(records, records.dropFirst()).contains(where: { $0.timeNs > $1.timeNs }) {
            self.records = records.enumerated()
                .sorted { ($0.element.timeNs, $0.offset) < ($1.element.timeNs, $1.offset) }
                .map(\.element)
        } else {
            self.records = records
        }
        self.problems = problems
    }

    /// Reads `timeline.jsonl`; never throws: an unreadable file is a timeline with a problem.
    public static func load(path: String) -> Timeline {
        let decoded = JSONL.read(TimelineRecord.self, path: path, source: (path as NSString).lastPathComponent)
        return Timeline(records: decoded.items, problems: decoded.problems)
    }

    /// Time of the last record; the end of what the observers saw.
    public var endNs: Int64? { records.last?.timeNs }

    /// Metadata samples and unreachable samples, in order: the observers' view of the cluster.
    public var clusterSamples: [(timeNs: Int64, metadata: MetadataSample?)] {
        records.compactMap { record in
            switch record.body {
            case .metadata(let sample): return (record.timeNs, sample)
            case .unreachable: return (record.timeNs, nil)
            default: return nil
            }
        }
    }

    public var brokerEvents: [(timeNs: Int64, event: BrokerEvent)] {
        records.compactMap { record in
            if case .brokerEvent(let event) = record.body { return (record.timeNs, event) }
            return nil
        }
    }

    public var faults: [(timeNs: Int64, fault: FaultRecord)] {
        records.compactMap { record in
            if case .fault(let fault) = record.body { return (record.timeNs, fault) }
            return nil
        }
    }

    public var processes: [(timeNs: Int64, process: ProcessRecord)] {
        records.compactMap { record in
            if case .process(let process) = record.body { return (record.timeNs, process) }
            return nil
        }
    }

    public var lagSamples: [(timeNs: Int64, sample: LagSample)] {
        records.compactMap { record in
            if case .lag(let sample) = record.body { return (record.timeNs, sample) }
            return nil
        }
    }
}

/// Broker ids from the names the lab gives processes and fault targets.
public enum BrokerName {
    /// "broker-2", "broker2", "broker 2", "b2" or "2" → 2. Nil for anything else ("zookeeper",
    /// "broker-1->broker-3").
    public static func id(_ name: String) -> Int32? {
        var digits = Substring(name)
        for prefix in ["broker-", "broker_", "broker ", "broker", "b"] where digits.hasPrefix(prefix) {
            digits = digits.dropFirst(prefix.count)
            break
        }
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) else { return nil }
        return Int32(digits)
    }
}
