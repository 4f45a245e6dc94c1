import Foundation
import Verification

/// Anomalies as table rows people read: one column per field, times as seconds from the run's
/// start instead of absolute nanoseconds, nested values as short "field: value" phrases instead
/// of JSON. report.json keeps the raw values.
enum EvidenceRows {
    /// Columns shown first when an anomaly has them, in this order; the rest follow sorted.
    static let leadingKeys = ["topic", "partition", "offset", "value", "reason", "process"]

    static func columns(_ objects: [[String: JSONValue]]) -> [String] {
        let keys = Set(objects.flatMap(\.keys))
        return leadingKeys.filter(keys.contains) + keys.subtracting(leadingKeys).sorted()
    }

    /// "ack_time_ns" → "ack time", "leader_epoch" → "leader epoch".
    static func header(_ key: String) -> String {
        let name = key.hasSuffix("_ns") ? String(key.dropLast(3)) : key
        return name.replacingOccurrences(of: "_", with: " ")
    }

    /// One field's value: a time (a key ending in `_ns`) as "+8.200 s", a string as itself, an
    /// object as "field: value, …", an array as its items separated by "; ".
    static func cell(_ key: String, _ value: JSONValue?, startNs: Int64) -> String {
        switch value {
        case nil, .null?: return ""
        case .string(let text)?: return text
        case .bool(let flag)?: return flag ? "yes" : "no"
        case .int(let number)? where key.hasSuffix("_ns"): return Format.offset(number, from: startNs)
        case .int(let number)?: return String(number)
        case .double(let number)? where key.hasSuffix("_ns"): return Format.offset(Int64(number), from: startNs)
        case .double(let number)?: return JSONText.spaced(.double(number))
        case .array(let items)?:
            return items.isEmpty ? "none" : items.map { cell(key, $0, startNs: startNs) }.joined(separator: "; ")
        case .object(let fields)?:
            return columns([fields]).compactMap { field in
                let text = cell(field, fields[field], startNs: startNs)
                return text.isEmpty ? nil : "\(header(field)): \(text)"
            }.joined(separator: ", ")
        }
    }

    static let lostRangeHeaders = [
        "Partition", "Offsets", "Writes", "Acknowledged", "Acknowledged by", "Taken over by", "Truncated by", "Final log end", "Why lost",
    ]

    /// A run of lost offsets in one partition, its story in columns.
    static func lostRange(_ range: LostRange, startNs: Int64) -> [String] {
        func at(_ ns: Int64) -> String { Format.offset(ns, from: startNs) }
        func term(_ term: LostRange.Term) -> String { ReportRows.leader(term.broker, term.leaderEpoch) + " from \(at(term.sinceNs))" }
        func offset(_ value: Int64) -> String { value < 0 ? "unknown" : String(value) }
        let offsets = range.firstOffset == range.lastOffset
            ? offset(range.firstOffset) : "\(offset(range.firstOffset))–\(offset(range.lastOffset))"
        let acknowledged: String
        switch (range.firstAckNs, range.lastAckNs) {
        case let (first?, last?) where first == last: acknowledged = at(first)
        case let (first?, last?): acknowledged = "\(at(first)) to \(at(last))"
        default: acknowledged = "never (seen by reads)"
        }
        let truncated: String
        if !range.truncations.isEmpty {
            truncated = range.truncations.map { cut in
                "broker \(cut.broker), log end \(cut.fromOffset) → \(cut.toOffset) at \(at(cut.timeNs))"
            }.joined(separator: "; ")
        } else {
            truncated = range.brokerEventsRecorded == false ? "unknown (no broker event log)" : "none logged"
        }
        return [
            Format.partition(range.topic, range.partition), offsets, Format.count(range.count), acknowledged,
            range.acknowledgedBy.isEmpty ? "unknown" : range.acknowledgedBy.map(term).joined(separator: "; "),
            range.tookOver.map(term) ?? "none seen", truncated, range.finalEnd.map(String.init) ?? "unknown",
            range.reasons.map { $0.rawValue.replacingOccurrences(of: "_", with: " ") }.joined(separator: ", "),
        ]
    }
}
